import os
import stat

import pytest

from mktint.core import redact
from mktint.core.credentials import Credentials
from mktint.core.errors import ConfigError, MissingCredential
from tests.support.cli import invoke, run_subprocess


def test_environment_then_file_then_keyring(monkeypatch, memory_keyring, isolated_home):
    creds = Credentials()
    memory_keyring.set_password("mktint", "red:API_KEY", "from-keyring-123")
    assert creds.find("red", "API_KEY").source == "keyring"
    creds.file.set("red", "API_KEY", "from-file-123")
    assert creds.find("red", "API_KEY").value == "from-file-123"
    monkeypatch.setenv("MKTINT_RED_API_KEY", "from-env-123")
    found = creds.find("red", "API_KEY")
    assert (found.value, found.source) == ("from-env-123", "env")


def test_env_name_uppercases_and_maps_dashes(monkeypatch):
    monkeypatch.setenv("MKTINT_MY_BOX_PASSWORD", "pw-1234")
    assert Credentials().get("my-box", "PASSWORD") == "pw-1234"


def test_secrets_are_registered_with_the_redactor_when_read(monkeypatch):
    monkeypatch.setenv("MKTINT_RED_API_KEY", "s3cr3t-key-value")
    Credentials().get("red", "API_KEY")
    assert redact.redact("Authorization: s3cr3t-key-value") == "Authorization: ***"


def test_store_prefers_keyring(memory_keyring):
    assert Credentials().store("red", "API_KEY", "abc-123-xyz") == "keyring"
    assert memory_keyring.get_password("mktint", "red:API_KEY") == "abc-123-xyz"


@pytest.mark.parametrize("backend", ["null", "fail"])
def test_missing_keyring_falls_back_to_a_0600_file(backend, isolated_home):
    import keyring
    from keyring.backends import fail, null

    keyring.set_keyring(null.Keyring() if backend == "null" else fail.Keyring())
    creds = Credentials()
    assert creds.store("mam", "MAM_ID", "cookie-value-1") == "file"
    path = isolated_home / ".config" / "mktint" / "secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Credentials().get("mam", "MAM_ID") == "cookie-value-1"
    assert creds.delete("mam", "MAM_ID") == ["file"]
    assert Credentials().get("mam", "MAM_ID") is None


def test_group_readable_secrets_file_is_refused(isolated_home):
    creds = Credentials()
    creds.file.set("red", "API_KEY", "k-123456")
    os.chmod(creds.file.path, 0o644)
    with pytest.raises(ConfigError) as info:
        Credentials().get("red", "API_KEY")
    assert "chmod 600" in info.value.hint
    assert "0644" in info.value.message


def test_require_names_the_login_command():
    with pytest.raises(MissingCredential) as info:
        Credentials().require("red", "API_KEY")
    assert "mktint auth login red" in info.value.hint
    assert "MKTINT_RED_API_KEY" in info.value.hint
    assert info.value.exit_code == 3


def test_login_with_token_stores_in_keyring_and_status_shows_it(memory_keyring):
    run = invoke("auth", "login", "red", "--with-token", "--no-verify", "--json", input="KEY-abc-123\n")
    assert run.exit_code == 0, run.stderr
    assert run.json()["stored_in"] == "keyring"
    assert "KEY-abc-123" not in run.stdout + run.stderr
    assert memory_keyring.get_password("mktint", "red:API_KEY") == "KEY-abc-123"
    status = invoke("auth", "status", "--json").json()
    red = next(s for s in status if s["name"] == "red")
    assert red["secrets"] == {"api_key": "keyring", "passkey": None}
    assert "KEY-abc-123" not in str(status)


def test_headless_login_lands_in_0600_file_in_a_real_process(isolated_home):
    run = run_subprocess("auth", "login", "red", "--with-token", "--no-verify", input="KEY-xyz-789\n")
    assert run.exit_code == 0, run.stderr
    secrets = isolated_home / ".config" / "mktint" / "secrets.toml"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert "KEY-xyz-789" in secrets.read_text()
    status = run_subprocess("auth", "status", "--json")
    red = next(s for s in status.json() if s["name"] == "red")
    assert red["secrets"]["api_key"] == "file"


def test_login_without_terminal_or_token_is_a_usage_error():
    run = invoke("auth", "login", "red", "--no-verify", input="")
    assert run.exit_code == 2
    assert "--with-token" in run.stderr


def test_login_rejects_unknown_secret_and_services_without_credentials():
    assert invoke("auth", "login", "red", "--secret", "MAM_ID", "--with-token", input="x\n").exit_code == 2
    assert invoke("auth", "login", "audnexus", "--with-token", input="x\n").exit_code == 2
    assert invoke("auth", "login", "nope", "--with-token", input="x\n").exit_code == 5


def test_status_exits_4_when_a_configured_service_lacks_its_credential(config_file):
    config_file('[services.red]\nsource = "RED"\n')
    run = invoke("auth", "status", "--json")
    assert run.exit_code == 4
    red = next(s for s in run.json() if s["name"] == "red")
    assert red == {"name": "red", "kind": "gazelle", "configured": True,
                   "secrets": {"api_key": None, "passkey": None}, "shadowed": {}, "ok": False}
    invoke("auth", "login", "red", "--with-token", "--no-verify", input="KEY-123456\n")
    assert invoke("auth", "status").exit_code == 0


def test_a_newer_file_secret_from_cron_wins_over_a_stale_keyring_entry(config_file, memory_keyring):
    """Cron (no keyring reachable) stored a new key in the file; the keyring still holds
    the old one. The file is read first, `auth status` says which is used and that the
    other differs, and a warning says so; storing again keeps one value."""
    config_file('[services.red]\nsource = "RED"\n')
    memory_keyring.set_password("mktint", "red:API_KEY", "old-keyring-key-0001")
    Credentials().file.set("red", "API_KEY", "new-file-key-0002")  # what cron wrote

    assert Credentials().get("red", "API_KEY") == "new-file-key-0002"
    status = invoke("auth", "status")
    assert "API_KEY=file (keyring differs, unused)" in status.stdout
    assert "lookup order: environment, secrets file, keyring" in status.stderr
    assert "warning: the API_KEY of red in the keyring differs from the one in" in status.stderr
    red = next(s for s in invoke("auth", "status", "--json").json() if s["name"] == "red")
    assert red["secrets"]["api_key"] == "file" and red["shadowed"] == {"api_key": ["keyring"]}

    login = invoke("auth", "login", "red", "--with-token", "--no-verify", input="newest-key-0003\n")
    assert login.exit_code == 0, login.stderr
    assert Credentials().file.get("red", "API_KEY") is None  # one value, in the keyring
    after = invoke("auth", "status")
    assert "differs" not in after.stdout + after.stderr
    assert Credentials().get("red", "API_KEY") == "newest-key-0003"


WRITER = """
import sys
from pathlib import Path
from mktint.core.credentials import SecretsFile
secrets = SecretsFile(Path(sys.argv[1]))
for i in range(int(sys.argv[3])):
    secrets.set(sys.argv[2], f"KEY{i}", f"value{i}")
"""


def test_two_processes_writing_the_secrets_file_lose_nothing(tmp_path):
    """A MAM cookie rotating while `auth login red` stores a key must not undo either write."""
    import subprocess
    import sys

    path, count = tmp_path / "secrets.toml", 150
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), service, str(count)])
               for service in ("mam", "red")]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    from mktint.core.credentials import SecretsFile
    secrets = SecretsFile(path)
    lost = [f"{service}:KEY{i}" for service in ("mam", "red") for i in range(count)
            if secrets.get(service, f"KEY{i}") != f"value{i}"]
    assert lost == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
