"""MAM: the client and `mktint mam status/seedbox` against the emulator."""

from __future__ import annotations

import time

import pytest

from tests.emulators.mam import VALID_MAM_ID, mam_server
from tests.support.cli import invoke


@pytest.fixture
def mam(config_file, memory_keyring):
    """A running emulator, the config pointing at it and the valid cookie stored."""

    def start(**options):
        server_cm = mam_server(**options)
        server = server_cm.__enter__()
        started.append(server_cm)
        config_file(f'[services.mam]\nurl = "{server.url}"\nseedbox_url = "{server.seedbox_url}"\n')
        memory_keyring.set_password("mktint", "mam:MAM_ID", VALID_MAM_ID)
        return server

    started = []
    yield start
    for server_cm in started:
        server_cm.__exit__(None, None, None)


def test_status_json_parses_human_sizes_and_keeps_the_raw_strings(mam):
    server = mam()
    run = invoke("mam", "status", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json() == {
        "username": "mouse", "user_id": 123456, "user_class": "Power User",
        "ratio": 3.52, "ratio_raw": 3.52,
        "uploaded": round(1.234 * 1024**4), "uploaded_raw": "1.234 TiB",
        "downloaded": round(359.1 * 1024**3), "downloaded_raw": "359.1 GiB",
        "seedbonus": 98765.4,
    }
    assert server.requests == [("GET", "/jsonLoad.php", VALID_MAM_ID)]
    assert VALID_MAM_ID not in run.stdout + run.stderr


def test_json_labelled_as_html_is_still_data(mam):
    mam(json_type="text/html; charset=UTF-8")
    run = invoke("mam", "status", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["username"] == "mouse"


def test_status_prefers_exact_byte_counts(mam):
    mam(with_bytes=True)
    data = invoke("mam", "status", "--json").json()
    assert (data["uploaded"], data["downloaded"]) == (1356797348987, 385581321011)


def test_status_piped_is_key_tab_value(mam):
    mam()
    run = invoke("mam", "status")
    assert run.exit_code == 0
    assert run.stdout.splitlines() == [
        "username\tmouse", "class\tPower User", "ratio\t3.52",
        f"uploaded\t{round(1.234 * 1024**4)}", f"downloaded\t{round(359.1 * 1024**3)}",
        "seed bonus\t98765.4"]


@pytest.mark.parametrize("reject", ["redirect", "403", "html"])
def test_rejected_cookie_exits_4_with_a_refresh_hint(mam, memory_keyring, reject):
    server = mam(reject=reject)
    memory_keyring.set_password("mktint", "mam:MAM_ID", "mam-id-expired-0123456789")
    run = invoke("mam", "status", "--json")
    assert run.exit_code == 4
    error = run.error_json()
    assert error["code"] == "auth"
    assert "rejected the mam_id cookie" in error["message"]
    assert "Preferences → Security" in error["hint"]
    assert "mam-id-expired-0123456789" not in run.stderr
    # The redirect is not followed: one request, never the login page.
    assert [path for _, path, _ in server.requests] == ["/jsonLoad.php"]


def test_missing_cookie_exits_3_without_a_request(config_file):
    with mam_server() as server:
        config_file(f'[services.mam]\nurl = "{server.url}"\n')
        run = invoke("mam", "status")
        assert run.exit_code == 3
        assert "mktint auth login mam" in run.stderr
        assert server.requests == []


def test_seedbox_registers_then_reports_no_change(mam):
    server = mam()
    run = invoke("mam", "seedbox", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json() == {"ip": "127.0.0.1", "changed": True, "message": "Completed",
                          "asn": 64500, "as_name": "Example AS"}
    again = invoke("mam", "seedbox")
    assert again.exit_code == 0
    assert again.stdout == "seedbox IP unchanged: 127.0.0.1 (No change)\n"
    assert [path for _, path, _ in server.requests] == ["/json/dynamicSeedbox.php"] * 2


@pytest.mark.parametrize("retry_after, wait_text, wait", [(None, "retry within an hour", 3600.0),
                                                          (1800, "retry in 1800 s", 1800.0)])
def test_seedbox_change_too_recent_exits_7_with_the_wait(mam, retry_after, wait_text, wait):
    server = mam(seedbox_ip="10.9.8.7", last_change=time.time() - 60, retry_after=retry_after)
    run = invoke("mam", "seedbox", "--json")
    assert run.exit_code == 7
    error = run.error_json()
    assert error["code"] == "rate_limited"
    assert "last seedbox IP change too recent" in error["message"] and wait_text in error["message"]
    # Sent once, never retried.
    assert len(server.requests) == 1
    # The hourly limit of the seedbox host does not block the main site.
    assert invoke("mam", "status").exit_code == 0
    from mktint.core.errors import RateLimited
    from mktint.core.factory import Factory

    with pytest.raises(RateLimited) as caught:
        Factory().service("mam", "mam").register_seedbox()
    assert caught.value.retry_after == wait


def test_seedbox_with_a_rejected_cookie_exits_4(mam, memory_keyring):
    mam()
    memory_keyring.set_password("mktint", "mam:MAM_ID", "mam-id-wrong-0123456789")
    run = invoke("mam", "seedbox")
    assert run.exit_code == 4
    assert "Invalid session" in run.stderr


def test_seedbox_refused_by_the_session_setting_names_it(mam):
    server = mam(seedbox_allowed=False)
    run = invoke("mam", "seedbox", "--json")
    assert run.exit_code == 4
    error = run.error_json()
    assert "not allowed this function" in error["message"]
    assert '"Allow Session to set Dynamic Seedbox"' in error["hint"]
    assert server.stale == 0 and len(server.requests) == 1


def test_confirm_credential_checks_the_given_cookie_once(mam):
    from mktint.core.errors import AuthError
    from mktint.core.factory import Factory

    server = mam()
    client = Factory().service("mam", "mam")
    assert client.confirm_credential("MAM_ID", VALID_MAM_ID) == "mouse (Power User)"
    with pytest.raises(AuthError):
        client.confirm_credential("MAM_ID", "mam-id-other-0123456789")
    assert client.confirm_credential("PASSKEY", "passkey-0123456789abcdef") is None
    assert client.end_session() is None
    assert [cookie for _, _, cookie in server.requests] == [VALID_MAM_ID, "mam-id-other-0123456789"]


def test_auth_login_stores_a_confirmed_cookie(mam, memory_keyring):
    server = mam()
    memory_keyring.store.clear()
    run = invoke("auth", "login", "mam", "--with-token", "--json", input=VALID_MAM_ID + "\n")
    assert run.exit_code == 0, run.stderr
    assert run.json()["account"] == "mouse (Power User)"
    # MAM replaced the cookie while confirming it: the replacement is what is stored.
    assert memory_keyring.store[("mktint", "mam:MAM_ID")] == server.mam_id


def test_a_cookie_set_by_the_server_is_never_sent_back(mam):
    from mktint.core.factory import Factory

    server = mam()
    client = Factory().service("mam", "mam")
    client.session.cookies.set("mam_id", "mam-id-from-a-set-cookie")  # refused by the policy
    client.status()
    assert server.requests[-1][2] == VALID_MAM_ID


@pytest.mark.parametrize("text, expected", [
    ("1.234 TiB", round(1.234 * 1024**4)), ("512 MiB", 512 * 1024**2), ("0 B", 0),
    ("1,024.5 KiB", round(1024.5 * 1024)), ("3 GB", 3 * 1000**3), (12345, 12345),
    ("n/a", None), (None, None)])
def test_parse_mam_size(text, expected):
    from mktint.services.mam import parse_mam_size

    assert parse_mam_size(text) == expected


def test_debug_trace_never_shows_the_cookie(mam):
    from tests.support.cli import run_subprocess

    mam()
    run = run_subprocess("--debug", "mam", "status", "--json", env={"MKTINT_MAM_MAM_ID": VALID_MAM_ID})
    assert run.exit_code == 0, run.stderr
    assert "GET" in run.stderr and "/jsonLoad.php" in run.stderr  # the trace is there ...
    assert VALID_MAM_ID not in run.stderr + run.stdout  # ... without the cookie
