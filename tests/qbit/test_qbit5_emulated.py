"""qBittorrent 5.2.x and next (master) behaviours, against the emulator in tests/emulators/qbittorrent5.py
(real 4.5.2, 5.1 and 5.3 run in test_live_*.py)."""

from __future__ import annotations

import json

import pytest

from mktint.core import paths
from tests.emulators.qbittorrent5 import Qbt5Handler, Qbt5State
from tests.support.cli import invoke
from tests.support.httpserver import serve
from tests.support.qbittorrent import PASSWORD, make_torrent


@pytest.fixture(params=["5.2", "next"])
def qbt5(request, config_file, monkeypatch):
    state = Qbt5State(request.param)
    with serve(Qbt5Handler, qbt=state) as server:
        config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\nurl = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        server.state = state
        yield server


def add_one(tmp_path, *extra):
    torrent, infohash = make_torrent(tmp_path / "data", f"b{len(list(tmp_path.glob('**/*.torrent')))}")
    run = invoke("qbit", "add", torrent, "--json", *extra)
    return run, infohash


def test_login_answer_and_cookie_name_per_version(qbt5):
    run = invoke("qbit", "version", "--json")
    assert run.exit_code == 0, run.stderr
    state = qbt5.state
    assert run.json()["webapi_version"] == state.profile["webapi"]
    cached = json.loads((paths.state_dir() / "qbittorrent" / "qb.cookies.json").read_text())
    expected = f"QBT_SID_{qbt5.server_address[1]}"  # 5.2+; real 4.5.2 to 5.3: test_live_auth.py
    assert [c["name"] for c in cached["cookies"]] == [expected]
    assert state.endpoints("auth/login") == ["auth/login"]
    assert all("Referer" not in h and "Origin" not in h for _, _, _, h in state.requests)


def test_wrong_password_is_one_login_and_exit_4(qbt5, monkeypatch):
    monkeypatch.setenv("MKTINT_QB_PASSWORD", "wrong")
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 4
    assert "rejected the user name or password" in run.error_json()["message"]
    assert qbt5.state.failed_logins == 1


def test_banned_ip_is_reported_and_not_retried(qbt5):
    qbt5.state.failed_logins = 5
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 4
    assert "banned" in run.error_json()["message"]
    assert len(qbt5.state.endpoints("auth/login")) == 1


def test_stop_start_endpoints_add_flag_and_filters(qbt5, tmp_path):
    run, infohash = add_one(tmp_path, "--stopped")
    assert run.exit_code == 0, run.stderr
    assert run.json()[0]["status"] == "added"
    add_request = [p for _, e, p, _ in qbt5.state.requests if e == "torrents/add"][0]
    assert add_request["stopped"] == "true" and "paused" not in add_request
    listed = invoke("qbit", "list", "--filter", "paused", "--json")
    assert [t["state"] for t in listed.json()] == ["stoppedDL"]
    assert [p["filter"] for _, e, p, _ in qbt5.state.requests if e == "torrents/info" and "filter" in p] == ["stopped"]
    assert invoke("qbit", "start", infohash).exit_code == 0
    assert invoke("qbit", "list", "--filter", "resumed", "--json").json()[0]["state"] == "stalledDL"
    assert invoke("qbit", "stop", "--all").exit_code == 0
    used = {e for _, e, _, _ in qbt5.state.requests}
    assert {"torrents/stop", "torrents/start"} <= used
    assert not used & {"torrents/pause", "torrents/resume"}


def test_add_answers_exists_and_failed(qbt5, tmp_path):
    run, infohash = add_one(tmp_path, "--skip-check")
    assert run.exit_code == 0
    assert qbt5.state.torrents[infohash]["seed_mode"] is True
    torrent = next(tmp_path.glob("data/*.torrent"))
    again = invoke("qbit", "add", torrent, "--json")
    assert again.exit_code == 0 and again.json()[0]["status"] == "exists"
    # An info dictionary with neither v1 pieces nor v2 fails locally and is never sent.
    bad = tmp_path / "no-pieces.torrent"
    bad.write_bytes(b"d4:infod4:name1:x12:piece lengthi16384eee")
    sent = len(qbt5.state.endpoints("torrents/add"))
    run = invoke("qbit", "add", bad, "--json")
    assert run.exit_code == 1
    assert run.json()[0]["status"] == "failed" and "'pieces' is missing" in run.json()[0]["message"]
    assert len(qbt5.state.endpoints("torrents/add")) == sent


def test_all_torrents_refused_by_the_server_is_failed(qbt5, tmp_path, monkeypatch):
    torrent, infohash = make_torrent(tmp_path, "refused")
    # The client checks for existing torrents before sending: hide it from torrents/info once.
    from tests.emulators import qbittorrent5

    real_info = Qbt5Handler.info
    calls = []

    def info_hiding_first(self, params, files):
        calls.append(1)
        if len(calls) == 1:
            return self._json([])
        return real_info(self, params, files)

    monkeypatch.setitem(qbittorrent5.ROUTES, "torrents/info", ("GET", info_hiding_first))
    qbt5.state.torrents[infohash] = {"hash": infohash, "name": "refused", "state": "stalledUP",
                                      "progress": 1, "tags": "", "category": "", "trackers": []}
    run = invoke("qbit", "add", torrent, "--json", "--wait", "0")
    assert run.exit_code == 1
    result = run.json()[0]
    assert result["status"] == "failed" and "refused" in result["message"]


def test_unknown_filter_never_reaches_a_5x_server(qbt5):
    run = invoke("qbit", "remove", "--filter", "pausedUP", "--json")
    assert run.exit_code == 2
    assert not qbt5.state.requests


def test_remove_sends_delete_files_flag(qbt5, tmp_path):
    run, infohash = add_one(tmp_path)
    assert invoke("qbit", "remove", infohash).exit_code == 0
    delete = [p for _, e, p, _ in qbt5.state.requests if e == "torrents/delete"][0]
    assert delete == {"hashes": infohash, "deleteFiles": "false"}
    assert infohash not in qbt5.state.torrents


def test_tracker_replace_uses_the_versions_parameter(qbt5, tmp_path):
    _, infohash = add_one(tmp_path)
    old, new = "https://tracker.example/passkey-old/announce", "https://tracker.example/passkey-new/announce"
    run = invoke("qbit", "tracker", "replace", "--old", old, "--new", new, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["count"] == 1
    assert qbt5.state.torrents[infohash]["trackers"] == [new]


def test_api_key_is_a_bearer_header_and_skips_login(config_file, monkeypatch):
    state = Qbt5State("5.2", api_key="qbt_testkey0123456789")
    with serve(Qbt5Handler, qbt=state) as server:
        config_file(f'[services.qbittorrent]\nurl = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_QBITTORRENT_API_KEY", "qbt_testkey0123456789")
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 0, run.stderr
        assert not state.endpoints("auth/login")
        assert all(h.get("Authorization") == "Bearer qbt_testkey0123456789" for _, _, _, h in state.requests)
        monkeypatch.setenv("MKTINT_QBITTORRENT_API_KEY", "qbt_wrong")
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 4 and "API key" in run.error_json()["message"]
        assert not state.endpoints("auth/login")


def test_auth_login_with_api_key_and_logout(config_file):
    state = Qbt5State("5.2", api_key="qbt_testkey0123456789")
    with serve(Qbt5Handler, qbt=state) as server:
        config_file(f'[services.qbittorrent]\nurl = "{server.url}"\n')
        run = invoke("auth", "login", "qbittorrent", "--secret", "API_KEY", "--with-token", "--json",
                     input="qbt_testkey0123456789\n")
        assert run.exit_code == 0, run.stderr
        assert run.json()["account"] == "API key on qBittorrent v5.2.3"
        assert invoke("qbit", "version").exit_code == 0
        assert invoke("auth", "logout", "qbittorrent").exit_code == 0
        assert not state.endpoints("auth/logout")  # API keys have no session


def test_localhost_bypass_needs_no_password(config_file):
    state = Qbt5State("5.2", bypass_localhost=True)
    with serve(Qbt5Handler, qbt=state) as server:
        config_file(f'[services.qbittorrent]\nurl = "{server.url}"\n')
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json() == [] and not state.endpoints("auth/login")


def test_401_is_a_host_header_rejection_with_a_hint_and_no_login(config_file, monkeypatch):
    state = Qbt5State("5.2", listen_port=8080)  # Docker: the WebUI listens on 8080 inside
    with serve(Qbt5Handler, qbt=state) as server:
        config_file(f'[services.qbittorrent]\nurl = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_QBITTORRENT_PASSWORD", PASSWORD)
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 4
        error = run.error_json()
        assert "401" in error["message"] and "reverse proxy" in error["hint"]
        assert not state.endpoints("auth/login")


def test_forbidden_after_a_fresh_login_fails_without_looping(qbt5, monkeypatch):
    monkeypatch.setattr(Qbt5Handler, "_session", lambda self: None)  # sessions never stick
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 4
    assert len(qbt5.state.endpoints("auth/login")) == 1


def test_logout_drops_the_cached_cookie_even_when_the_server_is_gone(config_file, monkeypatch):
    state = Qbt5State("5.2")
    with serve(Qbt5Handler, qbt=state) as server:
        config_file(f'[services.qbittorrent]\nurl = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_QBITTORRENT_PASSWORD", PASSWORD)
        assert invoke("qbit", "version").exit_code == 0
    cookies = paths.state_dir() / "qbittorrent" / "qbittorrent.cookies.json"
    assert cookies.exists()
    run = invoke("auth", "logout", "qbittorrent")
    assert run.exit_code == 0
    assert "could not end the server session" in run.stderr
    assert not cookies.exists()


def test_tracker_replace_leaves_a_torrent_that_already_has_the_new_url(qbt5, tmp_path):
    _, infohash = add_one(tmp_path)
    old, new = "https://tracker.example/passkey-old/announce", "https://tracker.example/passkey-new/announce"
    qbt5.state.torrents[infohash]["trackers"] = [old, new]
    run = invoke("qbit", "tracker", "replace", "--old", old, "--new", new, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["torrents"] == [{"hash": infohash, "name": qbt5.state.torrents[infohash]["name"],
                                       "replaced": False, "message": "already has the new URL; left unchanged"}]
    assert not qbt5.state.endpoints("torrents/editTracker")


def test_add_not_listed_in_time_is_failed_and_wait_0_is_pending(qbt5, tmp_path, monkeypatch):
    from tests.emulators import qbittorrent5

    monkeypatch.setitem(qbittorrent5.ROUTES, "torrents/info", ("GET", lambda self, p, f: self._json([])))
    run, infohash = add_one(tmp_path, "--wait", "0.3")
    assert run.exit_code == 1
    assert run.json()[0]["status"] == "failed" and "not listed after 0.3 s" in run.json()[0]["message"]
    qbt5.state.torrents.clear()
    run = invoke("qbit", "add", next(tmp_path.glob("data/*.torrent")), "--wait", "0", "--json")
    assert run.exit_code == 0
    assert run.json()[0]["status"] == "pending"
