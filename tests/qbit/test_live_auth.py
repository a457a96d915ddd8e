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


# -- issue 21: one login per server across processes, recorded before it is sent ----------

def server_logins(server, outcome: str = "failure") -> int:
    """Logins the server logged ("failure" or "success"), read from its own log/main with
    the right password (that login itself is not counted)."""
    import requests

    session = requests.Session()
    answer = session.post(f"{server.url}/api/v2/auth/login", data={"username": "admin", "password": PASSWORD},
                          timeout=10)
    assert answer.status_code in (200, 204) and answer.text.strip() in ("Ok.", ""), \
        f"the right password was refused (banned?): {answer.status_code} {answer.text!r}"
    log = session.get(f"{server.url}/api/v2/log/main", timeout=10).json()
    return sum(1 for entry in log if f"login {outcome}" in entry["message"]) - (outcome == "success")


def login_failures(server) -> int:
    return server_logins(server, "failure")


def parallel_runs(password: str, count: int = 10) -> list[tuple[int, str]]:
    """``count`` concurrent `python -m mktint qbit list --json` processes; (exit code, stderr) each."""
    import os
    import subprocess
    import sys

    from tests.support.cli import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO), "MKTINT_QB_PASSWORD": password}
    runs = [subprocess.Popen([sys.executable, "-m", "mktint", "qbit", "list", "--json"], cwd=REPO, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(count)]
    results = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    for run in runs:
        run.stderr.close()
    return results


def test_ten_parallel_runs_with_the_right_password_log_in_once(qbittorrent_each_fresh, config_file):
    write_qbit_config(config_file, qbittorrent_each_fresh)
    results = parallel_runs(PASSWORD)
    assert [code for code, _ in results] == [0] * 10, results
    assert server_logins(qbittorrent_each_fresh, "success") == 1  # the others took its session


def test_ten_parallel_runs_with_a_wrong_password_send_one_login(qbittorrent_each_fresh, config_file):
    write_qbit_config(config_file, qbittorrent_each_fresh)
    results = parallel_runs("wrong-password")
    assert [code for code, _ in results] == [4] * 10, results
    assert sum("rejected the user name or password" in err for _, err in results) == 1
    assert sum("rejected this password last time" in err for _, err in results) == 9
    assert login_failures(qbittorrent_each_fresh) == 1


def test_a_full_state_disk_sends_no_login(qbittorrent_each_fresh, config_file, monkeypatch, tmp_path):
    from tests.support.fulldisk import full_tmpfs

    write_qbit_config(config_file, qbittorrent_each_fresh)
    monkeypatch.setenv("MKTINT_QB_PASSWORD", "wrong-password")
    with full_tmpfs(tmp_path / "state") as state:
        monkeypatch.setenv("XDG_STATE_HOME", str(state))
        for _ in range(6):
            run = invoke("qbit", "list", "--json")
            assert run.exit_code == 1, run.stderr
            message = run.error_json()["message"]
            assert "not logging in" in message and "No space left on device" in message
    assert login_failures(qbittorrent_each_fresh) == 0


def test_auth_login_does_not_resend_a_rejected_password_without_force(qbittorrent_each_fresh, config_file,
                                                                      caplog, monkeypatch):
    write_qbit_config(config_file, qbittorrent_each_fresh)
    run, logins, _ = traced(caplog, "auth", "login", "qb", "--with-token", "--json", input="wrong-password\n")
    assert run.exit_code == 4 and logins == 1
    for _ in range(3):
        run, logins, _ = traced(caplog, "auth", "login", "qb", "--with-token", "--json", input="wrong-password\n")
        assert run.exit_code == 4 and logins == 0
        error = run.error_json()
        assert "rejected this password last time" in error["message"]
    assert "--force" in run.stderr
    # At a terminal, the prompt for the password says why it is asked again.
    import click

    from mktint.cli import auth as auth_cli
    from mktint.core.factory import Factory

    asked = []
    note = Factory().service("qb", "qbittorrent").rejected_secret_note("PASSWORD")
    with monkeypatch.context() as patch:
        patch.setattr(auth_cli.sys, "stdin", type("Tty", (), {"isatty": staticmethod(lambda: True)})())
        patch.setattr(click, "prompt", lambda text, **kwargs: asked.append(text) or "typed")
        assert auth_cli._read_secret("PASSWORD", False, "PASSWORD for qb", note) == "typed"
    assert asked == ["qBittorrent rejected the password tried last time; PASSWORD for qb"]
    run, logins, _ = traced(caplog, "auth", "login", "qb", "--with-token", "--force", "--json",
                            input="wrong-password\n")
    assert run.exit_code == 4 and logins == 1
    run, logins, _ = traced(caplog, "auth", "login", "qb", "--with-token", "--json", input=f"{PASSWORD}\n")
    assert run.exit_code == 0 and logins == 1, run.stderr
    assert login_failures(qbittorrent_each_fresh) == 2


def test_api_key_from_rotate_api_key_on_5_3(qbittorrent_each_fresh, config_file, monkeypatch, caplog):
    import requests

    server = qbittorrent_each_fresh
    session = requests.Session()
    session.post(f"{server.url}/api/v2/auth/login", data={"username": "admin", "password": PASSWORD}, timeout=10)
    rotated = session.post(f"{server.url}/api/v2/app/rotateAPIKey", timeout=10)
    write_qbit_config(config_file, server)
    if server.version in ("4.5.2", "5.1"):  # app/rotateAPIKey: WebAPI 2.14.1 (5.2; WebAPI_Changelog.md)
        assert rotated.status_code == 404
        run = invoke("auth", "login", "qb", "--secret", "API_KEY", "--with-token", "--json",
                     input="qbt_" + "x" * 32 + "\n")
        assert run.exit_code == 4 and "API keys need qBittorrent 5.2+" in run.stderr
        return
    key = rotated.json()["apiKey"]
    assert key.startswith("qbt_")
    run = invoke("auth", "login", "qb", "--secret", "API_KEY", "--with-token", "--json", input=f"{key}\n")
    assert run.exit_code == 0, run.stderr
    assert run.json()["account"] == f"API key on qBittorrent {server.app_version}"
    run, logins, trace = traced(caplog, "qbit", "list", "--json")  # no password anywhere
    assert run.exit_code == 0 and logins == 0, run.stderr
    assert key not in trace + run.stdout + run.stderr
    monkeypatch.setenv("MKTINT_QB_API_KEY", "qbt_" + "0" * 32)
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 4 and "rejected the API key" in run.error_json()["message"]
