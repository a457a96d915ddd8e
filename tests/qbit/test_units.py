"""Pure parts of the qBittorrent client: versions, filters, torrent IDs, path_map, hashes."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, strategies as st

from mktint.core.config import ServiceConfig
from mktint.core.credentials import Credentials
from mktint.core.errors import UsageError
from mktint.services.qbittorrent import vocab
from mktint.services.qbittorrent.client import QBittorrentClient, hash_arg, normalise
from mktint.services.qbittorrent.metainfo import BadTorrent, magnet_id, torrent_id
from mktint.torrent.bencode import encode as bencode


def test_versions_compare_as_ints_not_strings():
    assert vocab.parse_version("2.8.19") > vocab.parse_version("2.8.5")
    assert vocab.parse_version("v4.5.2") == (4, 5, 2)
    assert vocab.parse_version("2.11.2\n") >= vocab.V5_0 > vocab.parse_version("2.9.3")
    with pytest.raises(ValueError):
        vocab.parse_version("latest")


@pytest.mark.parametrize("name, old, new", [
    ("paused", "paused", "stopped"), ("stopped", "paused", "stopped"),
    ("resumed", "resumed", "running"), ("running", "resumed", "running"),
    ("seeding", "seeding", "seeding"), ("Errored", "errored", "errored"),
])
def test_filters_are_translated_per_version(name, old, new):
    assert vocab.server_filter(name, (2, 8, 19)) == old
    assert vocab.server_filter(name, (2, 11, 2)) == new


def test_unknown_and_too_new_filters_are_refused():
    with pytest.raises(UsageError, match="unknown filter"):
        vocab.server_filter("pausedUP", (2, 15, 1))
    with pytest.raises(UsageError, match="newer qBittorrent"):
        vocab.server_filter("moving", (2, 8, 5))
    assert vocab.server_filter("moving", (2, 8, 19)) == "moving"


def test_endpoints_and_states_per_version():
    assert vocab.endpoint("stop", (2, 8, 19)) == "pause"
    assert vocab.endpoint("start", (2, 10)) == "resume"
    assert vocab.endpoint("stop", (2, 11, 0)) == "stop"
    assert vocab.endpoint("recheck", (2, 0)) == "recheck"
    assert normalise({"state": "pausedUP", "tags": "a, b", "added_on": 0})["state"] == "stoppedUP"
    assert normalise({"state": "pausedUP", "tags": "a, b", "added_on": 0})["tags"] == ["a", "b"]
    assert normalise({"added_on": 1700000000})["added_on"] == "2023-11-14T22:13:20+00:00"


def test_torrent_ids_v1_v2_and_hybrid():
    v1 = {"name": "x", "length": 1, "piece length": 16384, "pieces": b"\0" * 20}
    assert torrent_id(bencode({"info": v1})) == (hashlib.sha1(bencode(v1)).hexdigest(), "x")
    v2 = {"name": "y", "meta version": 2, "piece length": 16384, "file tree": {}}
    assert torrent_id(bencode({"info": v2}))[0] == hashlib.sha256(bencode(v2)).hexdigest()[:40]
    hybrid = {**v1, "meta version": 2, "file tree": {}}
    # qBittorrent (libtorrent 2) knows a hybrid by its v2 hash, truncated (seen on 4.5.2, 5.1, 5.3).
    assert torrent_id(bencode({"announce": "a", "info": hybrid}))[0] == hashlib.sha256(bencode(hybrid)).hexdigest()[:40]
    for bad in (b"", b"not bencode", b"d4:infoi3ee", b"d8:announce1:ae", b"d4:info" + bencode(v1)[:-3]):
        with pytest.raises(BadTorrent):
            torrent_id(bad)


@given(st.binary(max_size=200))
def test_torrent_id_never_crashes_on_junk(data):
    try:
        torrent_id(data)
    except BadTorrent:
        pass


def test_magnet_ids():
    h = "0123456789abcdef0123456789abcdef01234567"
    assert magnet_id(f"magnet:?xt=urn:btih:{h.upper()}&dn=x") == h
    b32 = base64.b32encode(bytes.fromhex(h)).decode()
    assert magnet_id(f"magnet:?xt=urn:btih:{b32}") == h
    assert magnet_id("magnet:?xt=urn:btmh:1220" + "ab" * 32) == "ab" * 20
    assert magnet_id(f"magnet:?xt=urn:btih:{h}&xt=urn:btmh:1220" + "ab" * 32) == "ab" * 20  # hybrid
    assert magnet_id("magnet:?dn=nothing") is None


def test_hash_arg():
    h = "0123456789ABCDEF0123456789abcdef01234567"
    assert hash_arg(h) == h.lower() and hash_arg(" 012345 ") == "012345"
    for bad in ("01234", "0123456789abcdeg", "a" * 65, ""):
        with pytest.raises(UsageError):
            hash_arg(bad)


def client_with(path_map) -> QBittorrentClient:
    config = ServiceConfig("qb", "qbittorrent", {"url": "http://127.0.0.1:1", "path_map": path_map}, {})
    return QBittorrentClient(config, Credentials())


def test_path_map_takes_the_longest_prefix_on_whole_components():
    client = client_with({"/srv/media": "/data", "/srv/media/books": "/books"})
    assert client.map_path("/srv/media/books/Author/Title") == "/books/Author/Title"
    assert client.map_path("/srv/media/music") == "/data/music"
    assert client.map_path("/srv/media") == "/data"
    assert client.map_path("/srv/mediathek/x") == "/srv/mediathek/x"
    assert client_with({}).map_path("/a/b") == "/a/b"
