"""Torrents made by `mktint torrent create` are checked to 100% by a real client.

Each torrent is added to qbittorrent-nox 4.5.2 straight through the WebAPI (not through
mktint's own qBittorrent client, so the two cannot agree on a mistake): started, save
path = the data's parent folder, skip_checking=false. qBittorrent hashes the data itself;
progress 1.0 means every piece of our torrent matched."""

from __future__ import annotations

import random
import time

import pytest
import requests

from tests.support.cli import invoke
from tests.support.qbittorrent import PASSWORD, USERNAME
from tests.torrent.trees import ODD_TREE, write_tree

WAIT_LIMIT = 30.0  # a bound on polling, not a timing assertion
# States a torrent reaches once the check is over and pieces were missing (no peers here).
INCOMPLETE = ("error", "missingFiles", "stalledDL", "downloading", "pausedDL")


@pytest.fixture(scope="module")
def webapi(qbittorrent):
    session = requests.Session()
    session.headers["Referer"] = qbittorrent.url
    answer = session.post(f"{qbittorrent.url}/api/v2/auth/login",
                          data={"username": USERNAME, "password": PASSWORD}, timeout=10)
    assert answer.text == "Ok."

    def call(method, endpoint, **kwargs):
        answer = session.request(method, f"{qbittorrent.url}/api/v2/{endpoint}", timeout=10, **kwargs)
        answer.raise_for_status()
        return answer

    return call


def create(path, tmp_path, *args) -> tuple:
    out = tmp_path / "made.torrent"
    run = invoke("torrent", "create", path, "-o", out, "-a", "http://127.0.0.1:9/announce",
                 "--json", *args)
    assert run.exit_code == 0, run.stderr
    return out, run.json()["torrents"][0]["infohash"]


def check_to_the_end(webapi, torrent, infohash, save_path) -> dict:
    answer = webapi("POST", "torrents/add", files={"torrents": ("made.torrent", torrent.read_bytes())},
                    data={"savepath": str(save_path), "paused": "false", "stopped": "false",
                          "skip_checking": "false", "autoTMM": "false"})
    assert answer.text == "Ok."
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        found = webapi("GET", "torrents/info", params={"hashes": infohash}).json()
        if found and (found[0]["progress"] == 1 or found[0]["state"] in INCOMPLETE):
            return found[0]
        if time.monotonic() > deadline:
            return found[0] if found else {}
        time.sleep(0.2)


@pytest.mark.live
@pytest.mark.parametrize("size, piece_size", [(1, "16KiB"), (16_385, "16KiB"), (1_000_003, "32KiB"),
                                              (262_144, "auto")])
def test_single_file_is_checked_to_100_percent(webapi, tmp_path, size, piece_size):
    data = tmp_path / "data" / "Book (2020).m4b"
    data.parent.mkdir()
    data.write_bytes(random.randbytes(size))
    torrent, infohash = create(data, tmp_path, "--piece-size", piece_size)
    found = check_to_the_end(webapi, torrent, infohash, data.parent)
    assert found["progress"] == 1, found
    assert found["name"] == data.name and found["total_size"] == size
    assert found["state"] not in INCOMPLETE


@pytest.mark.live
@pytest.mark.parametrize("piece_size", ["16KiB", "64KiB"])
def test_nested_folder_is_checked_to_100_percent(webapi, tmp_path, piece_size):
    root = write_tree(tmp_path / "data" / "Book (2020)", ODD_TREE, seed=random.getrandbits(32))
    torrent, infohash = create(root, tmp_path, "--piece-size", piece_size)
    found = check_to_the_end(webapi, torrent, infohash, root.parent)
    assert found["progress"] == 1, found
    assert found["name"] == "Book (2020)" and found["total_size"] == sum(ODD_TREE.values())
    files = webapi("GET", "torrents/files", params={"hash": infohash}).json()
    assert sorted(f["name"] for f in files) == sorted(f"Book (2020)/{rel}" for rel in ODD_TREE)
    assert all(f["progress"] == 1 for f in files)
