"""Folder → seeding, proved: a second real client downloads what mktint seeds.

Two qbittorrent-nox 4.5.2 servers on loopback (DHT, PeX, LSD off; torrent traffic bound to
127.0.0.1). The first seeds — after `mktint publish` to the Gazelle emulator, and after
`mktint torrent create --target red` + `mktint qbit add`. The second gets the .torrent
and an empty save path and is pointed at the first with ``torrents/addPeers`` (private
torrents find no peers any other way here: the announce URL is a closed loopback port).
The download must complete, a recheck must give 100 %, and the files must be identical.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.publish.conftest import _world, book, mp3_64k  # noqa: F401  (fixtures)
from tests.support.cli import invoke
from tests.support.qbittorrent import PASSWORD, USERNAME, running_server

pytestmark = pytest.mark.live

LOOPBACK = {"Session\\Interface": "lo", "Session\\InterfaceAddress": "127.0.0.1"}
CLOSED_ANNOUNCE = "http://127.0.0.1:9/{passkey}/announce"  # nothing listens: no tracker
WAIT_LIMIT = 120.0  # a bound on polling, not a timing assertion


@pytest.fixture
def swarm(tmp_path, config_file, monkeypatch, book):  # noqa: F811  (book is a fixture)
    """The publish world with its own seeder, plus a leecher (service ``leech``)."""
    with running_server(tmp_path / "seeder", bittorrent=LOOPBACK) as seeder, \
            running_server(tmp_path / "leecher", bittorrent=LOOPBACK) as leecher:
        for world in _world(config_file, monkeypatch, seeder):
            config_file(world.config.read_text().replace(
                "[services.red]\n", f'[services.red]\nannounce = "{CLOSED_ANNOUNCE}"\n')
                + f'\n[services.leech]\nkind = "qbittorrent"\nurl = "{leecher.url}"\n'
                  f'username = "{USERNAME}"\n')
            monkeypatch.setenv("MKTINT_LEECH_PASSWORD", PASSWORD)
            # A few MiB over many pieces, next to the MP3s publish reads its format from.
            (book / "cover.jpg").write_bytes(os.urandom(3 * 1024 * 1024 + 12345))
            yield world


def _client(name: str):
    from mktint.core.factory import Factory

    return Factory().service(name, "qbittorrent")


def _wait(client, infohash: str, predicate, what: str) -> dict:
    deadline = time.monotonic() + WAIT_LIMIT
    row = None
    while time.monotonic() < deadline:
        found = client.torrents(hashes=[infohash])
        if found and predicate(found[0]):
            return found[0]
        row = found[0] if found else None
        time.sleep(0.2)
    pytest.fail(f"{what}: not reached in {WAIT_LIMIT:g} s; last seen {row}")


def _wait_gone(client, infohash: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while client.torrents(hashes=[infohash]):
        assert time.monotonic() < deadline, f"{infohash} still listed after removal"
        time.sleep(0.2)


def _complete(row) -> bool:
    return row["progress"] == 1 and not row["state"].startswith("checking")


def _leech(torrent: Path, infohash: str, data: Path, tmp_path: Path) -> None:
    """Download ``torrent`` into an empty folder from the seeder; check it byte for byte."""
    seeder, leecher = _client("qb"), _client("leech")
    try:
        seeding = _wait(seeder, infohash, _complete, "the seeder has all the data")
        assert seeding["state"] in ("stalledUP", "uploading", "queuedUP")
        target = tmp_path / f"download-{infohash[:8]}"
        target.mkdir()
        run = invoke("qbit", "add", torrent, "-s", "leech", "--save-path", target, "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json()[0]["status"] == "added"
        prefs = seeder.json("app/preferences")
        assert prefs["current_interface_address"] == "127.0.0.1"  # the config key took effect
        port = prefs["listen_port"]
        leecher.post("torrents/addPeers", data={"hashes": infohash, "peers": f"127.0.0.1:{port}"})
        _wait(leecher, infohash, _complete, "the leecher downloaded everything")
        assert seeding["size"] > 3 * 1024 * 1024  # many pieces went over the wire

        # The recheck: the torrent is removed (files kept) and added again, so the progress
        # seen next comes from hashing the files on disk (a recheck of a torrent that shows
        # 100 % may finish between two polls and prove nothing).
        assert invoke("qbit", "remove", infohash, "-s", "leech").exit_code == 0
        _wait_gone(leecher, infohash)
        run = invoke("qbit", "add", torrent, "-s", "leech", "--save-path", target, "--json")
        assert run.exit_code == 0 and run.json()[0]["status"] == "added", run.stderr
        rechecked = _wait(leecher, infohash, _complete, "the recheck finished")
        assert rechecked["progress"] == 1
        assert invoke("torrent", "verify", torrent, target / data.name).exit_code == 0

        got = target / data.name
        expected = sorted(p.relative_to(data) for p in data.rglob("*") if p.is_file())
        assert sorted(p.relative_to(got) for p in got.rglob("*") if p.is_file()) == expected
        for rel in expected:
            assert (got / rel).read_bytes() == (data / rel).read_bytes(), rel
    finally:
        seeder.close()
        leecher.close()


def test_a_published_folder_downloads_byte_identical_to_a_second_client(swarm, book, tmp_path):  # noqa: F811
    run = invoke("publish", book, "--to", "red", "--yes", "--json", "-o", tmp_path / "out")
    assert run.exit_code == 0, run.stderr
    [red] = run.json()["targets"]
    assert red["client"]["status"] == "added"
    _leech(Path(red["torrent"]), red["infohash"], book, tmp_path)


def test_a_created_and_added_torrent_downloads_byte_identical(swarm, book, tmp_path):  # noqa: F811
    torrent = tmp_path / "book.red.torrent"
    made = invoke("torrent", "create", book, "--target", "red", "-o", torrent, "--json")
    assert made.exit_code == 0, made.stderr
    infohash = made.json()["torrents"][0]["infohash"]
    added = invoke("qbit", "add", torrent, "--save-path", book.parent, "--json")
    assert added.exit_code == 0 and added.json()[0]["status"] == "added", added.stderr
    _leech(torrent, infohash, book, tmp_path)
