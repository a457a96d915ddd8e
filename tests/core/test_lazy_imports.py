"""Heavy libraries are imported only when they are used (issue 23: everyday latency)."""

import json
import os
import sys

from mktint.core import credentials
from tests.support.cli import run_subprocess
from tests.support.qbittorrent import PASSWORD, write_qbit_config


def imported(run) -> set[str]:
    """Top-level module names from a ``python -X importtime`` run."""
    return {line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in run.stderr.splitlines() if line.startswith("import time:") and "|" in line}


def no_keyring_env(home) -> dict:
    """A headless machine: no D-Bus session, no keyring config, no backend named."""
    env = {name: "" for name in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS",
                                 "DISPLAY", "WAYLAND_DISPLAY")}
    runtime = home / "runtime"
    runtime.mkdir(exist_ok=True)
    return {**env, "XDG_RUNTIME_DIR": str(runtime)}


def write_secret(home) -> None:
    folder = home / ".config" / "mktint"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secrets.toml"
    path.write_text('[qbittorrent]\nPASSWORD = "pw-from-the-file"\n')
    path.chmod(0o600)


def test_secret_lookup_without_a_reachable_keyring_does_not_import_it(isolated_home):
    write_secret(isolated_home)
    run = run_subprocess("auth", "status", "--json", env=no_keyring_env(isolated_home),
                         python_flags=("-X", "importtime"))
    assert run.exit_code == 0, run.stderr[-500:]
    services = {s["name"]: s for s in json.loads(run.stdout)}
    assert services["qbittorrent"]["secrets"]["password"] == "file"
    assert not imported(run) & {"keyring", "rich"}


def test_completion_with_a_config_imports_no_tempfile_or_fractions(config_file):
    config_file('[services.home]\nkind = "qbittorrent"\nurl = "http://127.0.0.1:9"\n')
    env = {"_MKTINT_COMPLETE": "bash_complete", "COMP_WORDS": "mktint torrent create x --target ",
           "COMP_CWORD": "5"}
    run = run_subprocess(env=env, python_flags=("-X", "importtime"))
    assert run.exit_code == 0, run.stderr[-500:]
    assert not imported(run) & {"tempfile", "fractions", "requests", "keyring", "rich"}


def test_qbit_list_json_with_a_cached_session_imports_neither_keyring_nor_rich(
        qbittorrent, config_file, isolated_home):
    write_qbit_config(config_file, qbittorrent)
    env = {**no_keyring_env(isolated_home), "MKTINT_QB_PASSWORD": PASSWORD}
    assert run_subprocess("qbit", "list", "--json", env=env).exit_code == 0  # logs in, caches
    run = run_subprocess("qbit", "list", "--json", env=env, python_flags=("-X", "importtime"))
    assert run.exit_code == 0, run.stderr[-500:]
    assert isinstance(json.loads(run.stdout), list)
    modules = imported(run)
    assert "requests" in modules
    assert not modules & {"keyring", "rich", "secretstorage", "cryptography", "fractions"}


def test_a_named_keyring_backend_is_still_used(isolated_home):
    env = {**no_keyring_env(isolated_home), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    run = run_subprocess("auth", "status", "--json", env=env, python_flags=("-X", "importtime"))
    assert run.exit_code == 0, run.stderr[-500:]
    assert "keyring" in imported(run)


def test_keyring_reachable_follows_keyrings_own_backend_choice(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "keyring")  # the test suite's memory keyring imported it
    for name in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert not credentials.keyring_reachable()

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
    assert credentials.keyring_reachable()
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "bus").touch()  # libdbus and GLib find the session bus here
    assert credentials.keyring_reachable()
    os.unlink(tmp_path / "run" / "bus")

    (tmp_path / "config" / "python_keyring").mkdir(parents=True)
    (tmp_path / "config" / "python_keyring" / "keyringrc.cfg").write_text(
        "[backend]\ndefault-keyring=keyrings.alt.file.PlaintextKeyring\n")
    assert credentials.keyring_reachable()
    os.unlink(tmp_path / "config" / "python_keyring" / "keyringrc.cfg")
    assert not credentials.keyring_reachable()

    plugin = tmp_path / "site" / "keyrings.alt-5.0.0.dist-info"  # a backend without D-Bus
    plugin.mkdir(parents=True)
    (plugin / "entry_points.txt").write_text("[keyring.backends]\nfile = keyrings.alt.file\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert credentials.keyring_reachable()


def test_a_coloured_error_on_a_terminal_does_not_load_rich(tmp_path):
    """stderr is a terminal: the error line is red, written without rich."""
    import pty
    import subprocess

    from tests.support.cli import REPO

    flag = tmp_path / "rich-loaded"
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: open({str(flag)!r}, 'w').write(str('rich' in sys.modules)))\n"
            f"sys.argv = ['mktint', 'torrent', 'info', {str(tmp_path / 'missing.torrent')!r}]\n"
            "from mktint.cli import main\nmain()\n")
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=follower, env=env, timeout=60)
    os.close(follower)
    written = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        written += chunk
    os.close(leader)
    assert proc.returncode != 0
    assert b"\x1b[31merror: " in written, written
    assert flag.read_text() == "False"
