"""Fast offline replays of exchanges recorded from real qbittorrent-nox 4.5.2, 5.1 and 5.3.

Re-record with ``MKTINT_RECORD=1 scripts/test tests/qbit/test_cassettes.py`` (starts a
fresh server of each version; 5.x needs root and the trixie roots); replay needs no
server: the URL below is never connected to. Cassettes: ``cassettes/qbit_<version>_*.json``.
"""

from __future__ import annotations

import contextlib
import os

import pytest

from tests.support.cassettes import use_cassette
from tests.support.cli import invoke
from tests.support.qbittorrent import APP_VERSIONS, PASSWORD, VERSIONS, WEBAPI_VERSIONS, make_torrent, running_server

# Read at import: the autouse fixtures clear MKTINT_* variables before each test.
RECORDING = bool(os.environ.get("MKTINT_RECORD"))
FIXED_DATA = bytes(range(256)) * 80  # a fixed torrent, so its infohash is the recorded one


@pytest.fixture(params=VERSIONS)
def recorded_qb(request, config_file, monkeypatch, tmp_path):
    """(version, server or None): a fresh real server when recording, nothing on replay."""
    version = request.param
    with contextlib.ExitStack() as stack:
        server = None
        url = "http://127.0.0.1:8080"
        if RECORDING:
            monkeypatch.setenv("MKTINT_RECORD", "1")
            server = stack.enter_context(running_server(tmp_path / "qbt", version))
            url = server.url
        config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\nurl = "{url}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        yield version, server


def test_replay_login_then_version_and_empty_list(recorded_qb):
    version, _ = recorded_qb
    with use_cassette(f"qbit_{version}_login_version_list", secrets=[PASSWORD]):
        run = invoke("qbit", "version", "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json()["app_version"] == APP_VERSIONS[version]
        assert run.json()["webapi_version"] == WEBAPI_VERSIONS[version]
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json() == []


def test_replay_add_exists_stop_start(recorded_qb, tmp_path):
    version, _ = recorded_qb
    torrent, infohash = make_torrent(tmp_path, "fixed-book", FIXED_DATA)
    with use_cassette(f"qbit_{version}_add_exists_stop_start", secrets=[PASSWORD]):
        run = invoke("qbit", "add", torrent, "--stopped", "--json")
        assert run.exit_code == 0, run.stderr
        assert [(r["infohash"], r["status"]) for r in run.json()] == [(infohash, "added")]
        run = invoke("qbit", "add", torrent, "--json")
        assert [(r["infohash"], r["status"]) for r in run.json()] == [(infohash, "exists")]
        run = invoke("qbit", "list", "--filter", "paused", "--json")
        assert [t["hash"] for t in run.json()] == [infohash]  # "paused" asks 5.x for "stopped"
        assert invoke("qbit", "start", infohash, "--json").exit_code == 0
        assert invoke("qbit", "stop", infohash, "--json").exit_code == 0


def test_replay_wrong_password(recorded_qb, monkeypatch):
    version, _ = recorded_qb
    monkeypatch.setenv("MKTINT_QB_PASSWORD", "wrong-password")
    with use_cassette(f"qbit_{version}_wrong_password", secrets=[PASSWORD, "wrong-password"]):
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 4
        assert "rejected the user name or password" in run.error_json()["message"]


def test_replay_api_key_on_5_3(recorded_qb, monkeypatch):
    version, server = recorded_qb
    if version != "5.3":
        pytest.skip("API keys came with 5.2; 4.5.2 and 5.1 refuse them (test_live_auth.py)")
    key = "qbt_" + "r" * 32  # replay: any key; the Authorization header is never recorded
    if server is not None:
        import requests

        session = requests.Session()
        session.post(f"{server.url}/api/v2/auth/login", data={"username": "admin", "password": PASSWORD},
                     timeout=10)
        key = session.post(f"{server.url}/api/v2/app/rotateAPIKey", timeout=10).json()["apiKey"]
    monkeypatch.delenv("MKTINT_QB_PASSWORD")
    with use_cassette(f"qbit_{version}_api_key", secrets=[PASSWORD, key]):
        run = invoke("auth", "login", "qb", "--secret", "API_KEY", "--with-token", "--json", input=f"{key}\n")
        assert run.exit_code == 0, run.stderr
        assert run.json()["account"] == f"API key on qBittorrent {APP_VERSIONS[version]}"
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 0, run.stderr
