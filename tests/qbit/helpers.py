"""Small helpers for the live qBittorrent tests."""

from __future__ import annotations

import time
import uuid

from tests.support.cli import invoke
from tests.support.qbittorrent import make_torrent

WAIT_LIMIT = 30.0  # a bound on polling, not a timing assertion


def unique_torrent(tmp_path, **kwargs):
    """A fresh one-file torrent and its data; returns (torrent path, infohash, data folder)."""
    name = f"book-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / name
    torrent, infohash = make_torrent(folder, name, **kwargs)
    return torrent, infohash, folder


def added(tmp_path, *extra, **kwargs):
    """Add a unique torrent to the default client; returns (infohash, torrent path)."""
    torrent, infohash, folder = unique_torrent(tmp_path, **kwargs)
    run = invoke("qbit", "add", torrent, "--save-path", folder, "--json", *extra)
    assert run.exit_code == 0, run.stderr
    assert run.json()[0]["status"] == "added"
    return infohash, torrent


def one(infohash) -> dict:
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 0, run.stderr
    found = [t for t in run.json() if t["hash"] == infohash]
    assert found, f"{infohash} not listed"
    return found[0]


def wait_for(infohash, predicate) -> dict:
    """Poll the torrent until ``predicate(torrent)`` holds (bounded); returns it."""
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        torrent = one(infohash)
        if predicate(torrent) or time.monotonic() > deadline:
            return torrent
        time.sleep(0.2)
