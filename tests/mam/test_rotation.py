"""The rotating ``mam_id`` cookie: every MAM answer replaces it and the old value dies.

Real ``python -m mktint`` processes, one after another and all at once, against the
rotating emulator (tests/emulators/mam.py): none may ever send a rotated-away value.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib

import pytest

from tests.emulators.mam import VALID_MAM_ID, mam_server
from tests.support.cli import REPO, invoke, run_subprocess


@pytest.fixture
def server(config_file):
    with mam_server() as server:
        config_file(f'[services.mam]\nurl = "{server.url}"\nseedbox_url = "{server.seedbox_url}"\n')
        yield server


def secrets_file(home):
    return home / ".config" / "mktint" / "secrets.toml"


def store_in_file(home, value: str) -> None:
    path = secrets_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[mam]\nMAM_ID = "{value}"\n')
    path.chmod(0o600)


def stored(home) -> str:
    return tomllib.loads(secrets_file(home).read_text())["mam"]["MAM_ID"]


def assert_no_cookie_shown(server, *texts: str) -> None:
    for value in server.issued:
        for text in texts:
            assert value not in text


def test_status_five_times_in_separate_processes(server, isolated_home):
    store_in_file(isolated_home, VALID_MAM_ID)
    for _ in range(5):
        run = run_subprocess("mam", "status", "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json()["username"] == "mouse"
        assert_no_cookie_shown(server, run.stdout, run.stderr)
    assert server.stale == 0
    assert len(server.requests) == 5
    # The newest value is the stored secret, in the owner-only file.
    assert stored(isolated_home) == server.mam_id
    assert stat.S_IMODE(secrets_file(isolated_home).stat().st_mode) == 0o600


def test_five_processes_at_once_take_turns_with_the_cookie(server, isolated_home):
    store_in_file(isolated_home, VALID_MAM_ID)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "mktint", "mam", "status", "--json"],
                              env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(5)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * 5, [err for _, _, err in results]
    assert server.stale == 0
    assert len(server.issued) == 6  # five rotations, each from the value the last one stored
    assert stored(isolated_home) == server.mam_id


def test_status_then_seedbox_then_status_in_one_keyring(server, memory_keyring):
    memory_keyring.set_password("mktint", "mam:MAM_ID", VALID_MAM_ID)
    assert invoke("mam", "status").exit_code == 0
    assert invoke("mam", "seedbox").exit_code == 0
    run = invoke("mam", "status", "--json")
    assert run.exit_code == 0, run.stderr
    assert server.stale == 0
    assert memory_keyring.get_password("mktint", "mam:MAM_ID") == server.mam_id


def test_a_cookie_from_the_environment_keeps_working_after_it_rotates(server, isolated_home):
    env = {"MKTINT_MAM_MAM_ID": VALID_MAM_ID}
    for _ in range(3):
        run = run_subprocess("mam", "status", "--json", env=env)
        assert run.exit_code == 0, run.stderr
    assert server.stale == 0
    # The environment cannot be written back: the newest value is kept in the store, and
    # used while the environment still holds the value it descends from.
    assert stored(isolated_home) == server.mam_id
    status = run_subprocess("auth", "status", "--json", env=env)
    assert VALID_MAM_ID not in status.stdout and server.mam_id not in status.stdout
    # A new session put in the environment wins over the stored descendant of the old one.
    with server.lock:
        server.mam_id = "mam-id-new-session-0123456789"
        server.issued.append(server.mam_id)
    run = run_subprocess("mam", "status", env={"MKTINT_MAM_MAM_ID": "mam-id-new-session-0123456789"})
    assert run.exit_code == 0, run.stderr
    assert server.requests[-1][2] == "mam-id-new-session-0123456789"
    assert server.stale == 0
    assert stored(isolated_home) == server.mam_id


def test_auth_login_keeps_the_rotated_value(server, memory_keyring):
    memory_keyring.store.clear()
    run = invoke("auth", "login", "mam", "--with-token", "--json", input=VALID_MAM_ID + "\n")
    assert run.exit_code == 0, run.stderr
    assert run.json()["verified"] is True
    assert memory_keyring.get_password("mktint", "mam:MAM_ID") == server.mam_id != VALID_MAM_ID
    assert invoke("mam", "status").exit_code == 0
    assert server.stale == 0


def test_the_rotated_cookie_is_never_in_a_debug_trace(server, isolated_home):
    store_in_file(isolated_home, VALID_MAM_ID)
    for _ in range(2):
        run = run_subprocess("--debug", "mam", "status", "--json")
        assert run.exit_code == 0, run.stderr
        assert "/jsonLoad.php" in run.stderr
        assert_no_cookie_shown(server, run.stdout, run.stderr)
    assert server.stale == 0


class _Raw:
    def __init__(self, values):
        self.values = values

    def getlist(self, name):
        return self.values


class _Response:
    def __init__(self, *set_cookies):
        self.raw = type("raw", (), {"headers": _Raw(list(set_cookies))})()


@pytest.mark.parametrize("headers, expected", [
    ((), None),
    (("session=x; path=/",), None),
    (("session=x; path=/", "mam_id=new-value-1234; Max-Age=2592000; path=/; HttpOnly"), "new-value-1234"),
    (("mam_id=abc%2Fdef%3D%3D; expires=Wed, 01 Jan 2099 00:00:00 GMT; path=/",), "abc%2Fdef%3D%3D"),
    (("mam_id=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; path=/",), None),
    (("mam_id=gone-value-1234; Max-Age=0",), None),
    (("mam_id=; path=/",), None),
])
def test_rotated_cookie_reads_every_set_cookie_header(headers, expected):
    from mktint.core import redact
    from mktint.services.mam import rotated_cookie

    assert rotated_cookie(_Response(*headers)) == expected
    if expected:
        assert redact.redact(f"x {expected} y") == "x *** y"  # a secret from the moment it is read


def test_a_rotated_secret_is_stored_where_it_was_read(isolated_home, memory_keyring):
    from mktint.core.credentials import Credentials

    creds = Credentials()
    creds.file.set("mam", "MAM_ID", "from-the-file-0001")
    with creds.rotating("mam", "MAM_ID") as held:
        assert held.value == "from-the-file-0001"
        assert held.replace(held.value, "from-the-file-0002") == "file"
    assert creds.file.get("mam", "MAM_ID") == "from-the-file-0002"
    assert memory_keyring.get_password("mktint", "mam:MAM_ID") is None

    creds.store("mam", "MAM_ID", "from-the-keyring-0001")  # the keyring; the file's copy goes
    with creds.rotating("mam", "MAM_ID") as held:
        assert held.replace(held.value, "from-the-keyring-0002") == "keyring"
    assert creds.find("mam", "MAM_ID").value == "from-the-keyring-0002"
