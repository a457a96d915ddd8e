"""`auth login` → use → `auth status` → `auth logout` as separate processes, the way a
user runs them, against the Gazelle and MAM emulators (qBittorrent, live: see
tests/qbit/test_live_auth.py). Subprocesses get keyring's null backend, so the secret
lands in the 0600 secrets file."""

from __future__ import annotations

import stat

import pytest

from mktint.core import paths
from tests.emulators.gazelle import gazelle_emulator
from tests.emulators.mam import VALID_MAM_ID, mam_server
from tests.support.cli import run_subprocess

RED_KEY = "red-api-key-0123456789abcdef"


@pytest.fixture
def red(config_file):
    with gazelle_emulator("red", api_key=RED_KEY) as site:
        config_file(f'[services.red]\nurl = "{site.url}"\n')
        yield site


@pytest.fixture
def mam(config_file):
    with mam_server() as server:
        config_file(f'[services.mam]\nurl = "{server.url}"\n')
        yield server


CASES = {
    # service: (fixture, secret, good value, command that needs it, account)
    "red": ("red", "API_KEY", RED_KEY, ("red", "whoami", "--json"), "tester (Power User)"),
    "mam": ("mam", "MAM_ID", VALID_MAM_ID, ("mam", "status", "--json"), "mouse (Power User)"),
}


@pytest.mark.parametrize("service", sorted(CASES))
def test_login_use_status_logout(service, request):
    fixture, secret, value, command, account = CASES[service]
    site = request.getfixturevalue(fixture)
    secrets_file = paths.config_dir() / "secrets.toml"

    # Not logged in: the command says which credential is missing.
    run = run_subprocess(*command)
    assert run.exit_code == 3, run.stderr

    # A rejected credential is not stored.
    wrong = f"{value[:-4]}9999"
    run = run_subprocess("auth", "login", service, "--secret", secret, "--with-token", "--json",
                         input=wrong + "\n")
    assert run.exit_code == 4, run.stderr
    assert not secrets_file.exists() or wrong not in secrets_file.read_text()

    run = run_subprocess("auth", "login", service, "--secret", secret, "--with-token", "--json",
                         input=value + "\n")
    assert run.exit_code == 0, run.stderr
    assert run.json() == {"service": service, "secret": secret, "stored_in": "file",
                          "verified": True, "account": account}
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    # MAM replaces the cookie on every answer (login's check included): the newest is stored.
    assert (site.mam_id if service == "mam" else value) in secrets_file.read_text()

    assert run_subprocess(*command).exit_code == 0
    live = site.mam_id if service == "mam" else value
    run = run_subprocess("auth", "status", "--json")
    assert run.exit_code == 0, run.stderr
    assert value not in run.stdout + run.stderr and live not in run.stdout + run.stderr

    run = run_subprocess("auth", "logout", service, "--json")
    assert run.exit_code == 0, run.stderr
    removed = run.json()["removed"]
    assert removed[secret.lower()] == ["file"]
    assert set(removed) <= {secret.lower(), "passkey"}  # `red whoami` stored the passkey it was sent
    assert live not in secrets_file.read_text()
    run = run_subprocess(*command)
    assert run.exit_code == 3
    assert run.error_json()["code"] == "missing_credential"

    run = run_subprocess("auth", "logout", service)
    assert run.exit_code == 0 and "nothing stored" in run.stderr
