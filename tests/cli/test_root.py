import os
import platform
import signal
import subprocess
import sys
import time

import pytest

from mktint.cli.root import COMMANDS
from tests.support.cli import REPO, interruptible, invoke, run_subprocess

HEAVY = ("requests", "urllib3", "rich", "keyring", "requests_toolbelt")


def imported_modules(run):
    """Top-level module names from a `python -X importtime` run."""
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_help_lists_every_group_and_exit_codes():
    run = invoke("--help")
    assert run.exit_code == 0
    for group in ("torrent", "qbit", "red", "mam", "book", "auth", "health", "config",
                  "completion", "publish"):
        assert f"  {group} " in run.stdout
    assert "Exit codes" in run.stdout and "7 temporary" in run.stdout


def test_help_and_completion_import_no_heavy_library():
    help_run = run_subprocess("--help", python_flags=("-X", "importtime"))
    assert help_run.exit_code == 0
    loaded = imported_modules(help_run)
    assert "click" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)

    env = {"_MKTINT_COMPLETE": "bash_complete", "COMP_WORDS": "mktint ", "COMP_CWORD": "1"}
    completion = run_subprocess(python_flags=("-X", "importtime"), env=env)
    assert "config" in completion.stdout
    assert not imported_modules(completion) & set(HEAVY)


def test_group_help_imports_no_heavy_library():
    for group in COMMANDS:
        run = run_subprocess(group, "--help", python_flags=("-X", "importtime"))
        assert run.exit_code == 0, (group, run.stderr[-500:])
        assert not imported_modules(run) & set(HEAVY), group


def test_version():
    run = invoke("--version")
    assert run.exit_code == 0
    assert run.stdout.startswith("mktint ")


def test_usage_error_exits_2_and_json_error_on_stderr():
    run = invoke("config", "show", "--bogus")
    assert run.exit_code == 2
    assert "No such option" in run.stderr
    run = invoke("config", "get", "--json")
    assert run.exit_code == 2
    assert run.error_json()["code"] == "usage"


def test_unexpected_exception_is_one_line_with_a_debug_hint(monkeypatch):
    from mktint.core import config

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(config, "load", broken)
    run = invoke("config", "show")
    assert run.exit_code == 1
    assert "unexpected ZeroDivisionError: boom" in run.stderr
    assert "run with --debug for the traceback" in run.stderr
    assert "Traceback" not in run.stderr
    debug = invoke("--debug", "config", "show")
    assert "Traceback" in debug.stderr


def wait_until_reading_stdin(pid: int, limit: float = 30.0) -> None:
    """Block until the process sits in read(0, ...) — past start-up, whatever the load."""
    if platform.machine() != "x86_64":
        pytest.skip("reads the x86-64 syscall number from /proc/PID/syscall")
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            call = open(f"/proc/{pid}/syscall").read().split()
        except OSError:
            call = []
        if call[:2] == ["0", "0x0"]:  # x86-64: syscall 0 is read, first argument fd 0
            return
        time.sleep(0.05)
    raise AssertionError("the process never blocked reading stdin")


def test_ctrl_c_exits_130_without_traceback(tmp_path):
    # `auth login` waits on stdin; interrupt it.
    proc = subprocess.Popen([sys.executable, "-m", "mktint", "auth", "login", "red", "--with-token"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, text=True,
                            preexec_fn=interruptible)
    wait_until_reading_stdin(proc.pid)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "Traceback" not in stderr


def test_debug_trace_follows_the_current_stderr_across_in_process_runs(config_file):
    from tests.emulators.mam import mam_server

    with mam_server() as mam:
        config_file(f'[services.mam]\nurl = "{mam.url}"\n')
        for _ in range(2):  # the second run must trace into its own stderr too
            run = invoke("--debug", "mam", "status", env={"MKTINT_MAM_MAM_ID": mam.mam_id})
            assert "debug: mktint.http: → GET" in run.stderr
            assert mam.mam_id not in run.stderr
