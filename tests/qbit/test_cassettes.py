"""Fast offline replays of exchanges recorded from the real qbittorrent-nox 4.5.2.

Re-record with ``MKTINT_RECORD=1 python3 -m pytest tests/qbit/test_cassettes.py`` (starts a
fresh server); replay needs no server: the URL below is never connected to.
"""

from __future__ import annotations

import os

import pytest

from tests.support.cassettes import use_cassette
from tests.support.cli import invoke
from tests.support.qbittorrent import PASSWORD, make_torrent

# Read at import: the autouse fixtures clear MKTINT_* variables before each test.
RECORDING = bool(os.environ.get("MKTINT_RECORD"))
FIXED_DATA = bytes(range(256)) * 80  # a fixed torrent, so its infohash is the recorded one


@pytest.fixture
def recorded_qb(request, config_file, monkeypatch):
    if RECORDING:
        monkeypatch.setenv("MKTINT_RECORD", "1")
        url = request.getfixturevalue("qbittorrent_fresh").url
    else:
        url = "http://127.0.0.1:8080"
    config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\nurl = "{url}"\n')
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)


def test_replay_login_then_version_and_empty_list(recorded_qb):
    with use_cassette("qbit_login_version_list", secrets=[PASSWORD]):
        run = invoke("qbit", "version", "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json()["webapi_version"] == "2.8.19"
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json() == []


def test_replay_add_then_add_again(recorded_qb, tmp_path):
    torrent, infohash = make_torrent(tmp_path, "fixed-book", FIXED_DATA)
    with use_cassette("qbit_add_then_exists", secrets=[PASSWORD]):
        run = invoke("qbit", "add", torrent, "--stopped", "--json")
        assert run.exit_code == 0, run.stderr
        assert [(r["infohash"], r["status"]) for r in run.json()] == [(infohash, "added")]
        run = invoke("qbit", "add", torrent, "--json")
        assert [(r["infohash"], r["status"]) for r in run.json()] == [(infohash, "exists")]
        run = invoke("qbit", "list", "--filter", "paused", "--json")
        assert [t["hash"] for t in run.json()] == [infohash]  # 4.x "paused" asked for "stopped"


def test_replay_wrong_password(recorded_qb, monkeypatch):
    monkeypatch.setenv("MKTINT_QB_PASSWORD", "wrong-password")
    with use_cassette("qbit_wrong_password", secrets=[PASSWORD, "wrong-password"]):
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 4
        assert "rejected the user name or password" in run.error_json()["message"]
