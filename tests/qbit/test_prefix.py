"""Hash prefixes (issue 24): any unique prefix of at least 6 hex digits names a torrent,
against a real qbittorrent-nox."""

from __future__ import annotations

import hashlib
import itertools
import os
import uuid

from mktint.services.qbittorrent.client import QBittorrentClient
from mktint.torrent.bencode import encode as bencode
from tests.qbit.helpers import added, one
from tests.support.cli import invoke
from tests.support.qbittorrent import make_torrent

PIECE = 16384


def colliding_torrents(tmp_path, digits=6):
    """Two torrents whose infohashes share their first ``digits`` hex digits (a birthday
    search over names: about 2**(2*digits) ** 0.5 tries); returns [(torrent, infohash, folder)]."""
    content = os.urandom(20000)
    pieces = b"".join(hashlib.sha1(content[i:i + PIECE]).digest() for i in range(0, len(content), PIECE))
    base, seen = uuid.uuid4().hex[:8], {}
    for i in itertools.count():
        name = f"amb-{base}-{i}"
        info = {"name": name, "length": len(content), "piece length": PIECE, "pieces": pieces}
        prefix = hashlib.sha1(bencode(info)).hexdigest()[:digits]
        if prefix in seen:
            break
        seen[prefix] = name
    made = []
    for name in (seen[prefix], name):
        torrent, infohash = make_torrent(tmp_path / name, name, content, piece_length=PIECE)
        made.append((torrent, infohash, tmp_path / name))
    assert made[0][1][:digits] == made[1][1][:digits] and made[0][1] != made[1][1]
    return made


def add(torrent, folder):
    run = invoke("qbit", "add", torrent, "--save-path", folder, "--json")
    assert run.exit_code == 0 and run.json()[0]["status"] == "added", run.stderr


def test_a_unique_prefix_of_six_digits_names_the_torrent(qb, tmp_path):
    infohash, _ = added(tmp_path)
    run = invoke("qbit", "info", infohash[:6].upper(), "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["hash"] == infohash
    run = invoke("qbit", "stop", infohash[:8], "--json")
    assert run.exit_code == 0, run.stderr
    assert [t["hash"] for t in run.json()["torrents"]] == [infohash]
    run = invoke("qbit", "tracker", "list", infohash[:10], "--json")
    assert run.exit_code == 0 and run.json(), run.stderr
    run = invoke("qbit", "export", infohash[:7], "-o", tmp_path / "back.torrent", "--json")
    assert run.exit_code == 0 and run.json()["hash"] == infohash, run.stderr


def test_prefixes_on_stdin_and_one_listing_per_command(qb, tmp_path, monkeypatch):
    a, _ = added(tmp_path)
    b, _ = added(tmp_path)
    listings = []
    real_json = QBittorrentClient.json

    def counting(self, endpoint, params=None, **kwargs):
        if endpoint == "torrents/info" and not params:
            listings.append(endpoint)
        return real_json(self, endpoint, params, **kwargs)

    monkeypatch.setattr(QBittorrentClient, "json", counting)
    run = invoke("qbit", "stop", a[:6], "-", "--json", input=f"{b[:9]}\n{a}\n")
    assert run.exit_code == 0, run.stderr
    assert sorted(t["hash"] for t in run.json()["torrents"]) == sorted([a, b])
    assert len(listings) == 1  # both prefixes resolved from one torrents/info


def test_an_ambiguous_prefix_lists_the_candidates(qb, tmp_path):
    (t1, h1, f1), (t2, h2, f2) = colliding_torrents(tmp_path)
    add(t1, f1)
    add(t2, f2)
    run = invoke("qbit", "info", h1[:6], "--json")
    assert run.exit_code == 2
    error = run.error_json()
    assert error["code"] == "usage"
    assert h1 in error["message"] and h2 in error["message"]
    assert one(h1)["name"] in error["message"] and one(h2)["name"] in error["message"]
    assert "more digits" in error["hint"]
    human = invoke("qbit", "stop", h2[:6])
    assert human.exit_code == 2 and f"hash prefix {h1[:6]} matches 2 torrents" in human.stderr
    # one digit more than they share tells them apart (unless they happen to share it too)
    longer = next(n for n in range(7, 41) if h1[:n] != h2[:n])
    run = invoke("qbit", "info", h2[:longer], "--json")
    assert run.exit_code == 0 and run.json()["hash"] == h2


def test_a_prefix_that_matches_nothing_is_not_found(qb, tmp_path):
    added(tmp_path)
    hashes = {t["hash"] for t in invoke("qbit", "list", "--json").json()}
    free = next(p for p in (f"{n:06x}" for n in range(16 ** 6)) if not any(h.startswith(p) for h in hashes))
    run = invoke("qbit", "info", free, "--json")
    assert run.exit_code == 5
    assert run.error_json()["code"] == "not_found"


def test_too_short_or_not_hex_is_a_usage_error_before_anything_is_sent(config_file):
    # The service points at a closed port: exit 2 (not 7) proves nothing was sent.
    from tests.support.httpserver import free_port

    config_file(f'[services.qbittorrent]\nurl = "http://127.0.0.1:{free_port()}"\n')
    for args in (("info", "decd1"), ("stop", "decd1"), ("tracker", "list", "abc"),
                 ("info", "decd147g"), ("info", "a" * 65)):
        run = invoke("qbit", *args, "--json")
        assert run.exit_code == 2, (args, run.stderr)
        assert "6 hex digits" in run.error_json()["hint"]
    run = invoke("qbit", "info", "decd1")
    assert "hash prefix 'decd1' is too short" in run.stderr
