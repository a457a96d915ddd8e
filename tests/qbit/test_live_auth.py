"""Logins, the cached session cookie, restarts and `mktint auth` against real qbittorrent-nox
4.5.2, 5.1 and 5.3."""

from __future__ import annotations

import json
import logging
import stat

from mktint.core import paths
from tests.support.cli import invoke, run_subprocess
from tests.support.qbittorrent import PASSWORD, write_qbit_config


def traced(caplog, *args, **kwargs):
    """Run the CLI with the HTTP trace captured; returns (run, number of login requests)."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="mktint.http"):
        run = invoke(*args, **kwargs)
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("→ ")]
    return run, sum(1 for m in sent if "auth/login" in m), "\n".join(sent)


def cookie_file():
    return paths.state_dir() / "qbittorrent" / "qb.cookies.json"


def test_three_wrong_passwords_then_the_right_one_still_works(qbittorrent_each_fresh, config_file, monkeypatch,
                                                             caplog):
    write_qbit_config(config_file, qbittorrent_each_fresh)
    for attempt, wrong in enumerate(["wrong-password", "wrong-password", "other-wrong"]):
        monkeypatch.setenv("MKTINT_QB_PASSWORD", wrong)
        run, logins, trace = traced(caplog, "qbit", "list", "--json")
        assert run.exit_code == 4
        assert wrong not in run.stderr + trace
        if attempt == 1:  # the same rejected password is not sent again
            assert logins == 0 and "rejected this password last time" in run.error_json()["message"]
        else:
            assert logins == 1  # one login per run, never retried
            assert "rejected the user name or password" in run.error_json()["message"]
    marker = paths.state_dir() / "qbittorrent" / "qb.failed-login.json"
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600 and "wrong" not in marker.read_text()
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json() == []
    assert not marker.exists()


def test_session_cookie_is_cached_0600_and_reused(qb, caplog):
    first, logins, trace = traced(caplog, "qbit", "version")
    assert first.exit_code == 0 and logins == 1
    assert stat.S_IMODE(cookie_file().stat().st_mode) == 0o600
    cached = json.loads(cookie_file().read_text())
    assert cached["url"] == qb.url + "/" and cached["cookies"][0]["name"] == qb.cookie_name
    sid = cached["cookies"][0]["value"]
    second, logins, trace = traced(caplog, "qbit", "version")
    assert second.exit_code == 0 and logins == 0
    assert "Cookie" in trace and sid not in trace  # sent, and masked in the trace


def test_restarted_server_invalidates_the_cookie_and_we_log_in_again_once(qb_fresh, caplog):
    assert invoke("qbit", "list").exit_code == 0
    qb_fresh.restart()
    run, logins, _ = traced(caplog, "qbit", "list", "--json")
    assert run.exit_code == 0, run.stderr
    assert logins == 1


def test_missing_password_is_a_config_error(qbittorrent_each, config_file, monkeypatch):
    write_qbit_config(config_file, qbittorrent_each, name="nopw")
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 3
    assert run.error_json()["code"] == "missing_credential"


def test_auth_login_checks_and_logout_ends_the_session(qbittorrent_each, config_file):
    write_qbit_config(config_file, qbittorrent_each)
    run = invoke("auth", "login", "qb", "--with-token", "--json", input="nope\n")
    assert run.exit_code == 4
    run = invoke("auth", "login", "qb", "--with-token", "--json", input=f"{PASSWORD}\n")
    assert run.exit_code == 0, run.stderr
    assert run.json()["verified"] is True and run.json()["account"] == f"admin on qBittorrent {qbittorrent_each.app_version}"
    assert invoke("qbit", "version").exit_code == 0
    sid = json.loads(cookie_file().read_text())["cookies"][0]["value"]
    run = invoke("auth", "logout", "qb", "--json")
    assert run.exit_code == 0, run.stderr
    assert not cookie_file().exists()
    # The server forgot the session: the old cookie is refused.
    import requests

    answer = requests.get(f"{qbittorrent_each.url}/api/v2/app/version",
                          cookies={qbittorrent_each.cookie_name: sid}, timeout=5)
    assert answer.status_code == 403


def test_subprocess_run_reuses_the_cache_and_prints_json(qb):
    env = {"MKTINT_QB_PASSWORD": PASSWORD}
    run = run_subprocess("qbit", "version", "--json", env=env)
    assert run.exit_code == 0, run.stderr
    assert run.json()["webapi_version"] == qb.webapi_version
    assert PASSWORD not in run.stdout + run.stderr


def test_auth_login_checks_again_after_a_remembered_failure(qbittorrent_each_fresh, config_file, monkeypatch):
    write_qbit_config(config_file, qbittorrent_each_fresh)
    monkeypatch.setenv("MKTINT_QB_PASSWORD", "wrong-password")
    assert invoke("qbit", "list").exit_code == 4
    assert "last time" in invoke("qbit", "list").stderr
    monkeypatch.delenv("MKTINT_QB_PASSWORD")
    run = invoke("auth", "login", "qb", "--with-token", input=f"{PASSWORD}\n")
    assert run.exit_code == 0, run.stderr
    assert not (paths.state_dir() / "qbittorrent" / "qb.failed-login.json").exists()
    assert invoke("qbit", "list").exit_code == 0
