"""What real qBittorrent 5.1 and 5.3 showed (issue 25), on every version the suite runs.

Each test names the defect it pins; each failed on the code before its fix.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import uuid

import pytest

from mktint.torrent.bencode import encode as bencode
from tests.qbit.helpers import added, one, wait_for
from tests.support.cli import invoke
from tests.support.qbittorrent import PASSWORD


def hybrid_torrent(folder, name: str, announce: str = "http://127.0.0.1:9/announce"):
    """A one-piece hybrid (v1 + v2) torrent and its data; returns (path, SHA-1, qBittorrent's ID).

    One file no larger than a piece needs no ``piece layers``: its ``pieces root`` is the
    SHA-256 of its only 16 KiB block (BEP 52).
    """
    content = uuid.uuid4().bytes * 1000  # 16000 bytes
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    info = {"name": name, "length": len(content), "piece length": 16384,
            "pieces": hashlib.sha1(content).digest(), "meta version": 2,
            "file tree": {name: {"": {"length": len(content),
                                      "pieces root": hashlib.sha256(content).digest()}}}}
    torrent = folder / f"{name}.torrent"
    torrent.write_bytes(bencode({"announce": announce, "info": info}))
    raw = bencode(info)
    return torrent, hashlib.sha1(raw).hexdigest(), hashlib.sha256(raw).hexdigest()[:40]


# -- 1. editTracker answers 204 on 5.3 and wants `url` -------------------------------------

def test_tracker_replace_changes_every_torrent(qb, tmp_path):
    old = f"http://127.0.0.1:9/{uuid.uuid4().hex[:8]}/announce"
    new = f"http://127.0.0.1:9/{uuid.uuid4().hex[:8]}/announce"
    hashes = [added(tmp_path, announce=old)[0] for _ in range(2)]
    run = invoke("qbit", "tracker", "replace", "--old", old, "--new", new, *hashes, "--json")
    assert run.exit_code == 0, run.stderr
    assert sorted(t["hash"] for t in run.json()["torrents"] if t["replaced"]) == sorted(hashes)
    for infohash in hashes:
        urls = [t["url"] for t in invoke("qbit", "tracker", "list", infohash, "--json").json()]
        assert new in urls and old not in urls


# -- 2. editCategory of a missing category: 404 on 5.2+, 409 before ------------------------

def test_category_edit_of_a_missing_category_is_not_found(qb):
    run = invoke("qbit", "category", "edit", f"nosuch-{uuid.uuid4().hex[:6]}", "--save-path", "/x", "--json")
    assert run.exit_code == 5, run.stderr
    assert run.error_json()["code"] == "not_found"


# -- 3. hybrid torrents are known by the truncated SHA-256 ---------------------------------

def test_hybrid_torrent_add_exists_info_and_magnet(qb, tmp_path):
    name = f"hybrid-{uuid.uuid4().hex[:8]}"
    torrent, sha1, tid = hybrid_torrent(tmp_path / name, name)
    run = invoke("qbit", "add", torrent, "--save-path", tmp_path / name, "--json")
    assert run.exit_code == 0, run.stderr
    assert [(r["infohash"], r["status"]) for r in run.json()] == [(tid, "added")]
    assert wait_for(tid, lambda t: t["progress"] == 1)["progress"] == 1
    again = invoke("qbit", "add", torrent, "--json")
    assert again.exit_code == 0 and again.json()[0]["status"] == "exists"
    assert invoke("qbit", "info", tid, "--json").json()["hash"] == tid
    # A hybrid magnet carries both hashes; the client knows it by the v2 one.
    full_v2 = hashlib.sha256(bencode({"x": 1})).hexdigest()  # any v2 hash: not in the client
    other_v1 = hashlib.sha1(full_v2.encode()).hexdigest()
    magnet = f"magnet:?xt=urn:btih:{other_v1}&xt=urn:btmh:1220{full_v2}&dn=hybrid-magnet"
    run = invoke("qbit", "add", magnet, "--stopped", "--json")
    assert run.exit_code == 0, run.stderr
    assert [(r["infohash"], r["status"]) for r in run.json()] == [(full_v2[:40], "added")]
    assert invoke("qbit", "remove", full_v2[:40], "--json").json()["count"] == 1


def test_create_hybrid_prints_the_id_the_client_uses(qb, tmp_path):
    if qb.version == "4.5.2":
        pytest.skip("torrentcreator needs qBittorrent 5.0 (refusal: test_create_needs_qbittorrent_5)")
    data = tmp_path / f"made-{uuid.uuid4().hex[:8]}"
    data.mkdir()
    (data / "a.bin").write_bytes(b"a" * 40000)
    (data / "b.bin").write_bytes(b"b" * 30000)
    target = tmp_path / "made.torrent"
    run = invoke("qbit", "create", data, "-o", target, "--format", "hybrid", "--start-seeding", "--json")
    assert run.exit_code == 0, run.stderr
    made = run.json()
    info = invoke("qbit", "info", made["infohash"], "--json")
    assert info.exit_code == 0, info.stderr
    assert info.json()["name"] == data.name
    again = invoke("qbit", "add", target, "--json")
    assert (again.json()[0]["infohash"], again.json()[0]["status"]) == (made["infohash"], "exists")


# -- 4. rss refresh of a path that does not exist ------------------------------------------

def test_rss_refresh_of_an_unknown_path_is_not_found(qb):
    run = invoke("qbit", "rss", "refresh", f"nosuch-{uuid.uuid4().hex[:6]}", "--json")
    assert run.exit_code == 5, run.stderr
    assert "no RSS feed or folder" in run.error_json()["message"]


# -- 5. search download with an unknown plugin; an empty category name; watch --tag count --

def test_search_download_with_an_unknown_plugin_is_refused(qb):
    run = invoke("qbit", "search", "download", "http://127.0.0.1:9/x.torrent", "--plugin", "nosuch")
    if qb.version == "4.5.2":
        assert run.exit_code == 1 and "needs qBittorrent 5.0" in run.stderr
    else:
        assert run.exit_code == 2, run.stderr
        assert "no search plugin 'nosuch'" in run.stderr


def test_category_add_with_an_empty_name_is_a_usage_error(qb):
    run = invoke("qbit", "category", "add", "", "--json")
    assert run.exit_code == 2, run.stderr
    assert "category name" in run.error_json()["message"]


def test_watch_counts_only_the_torrents_it_watches(qb, tmp_path):
    tag = f"w-{uuid.uuid4().hex[:6]}"
    added(tmp_path, "--tags", tag)
    added(tmp_path)  # not tagged: not watched
    run = invoke("qbit", "watch", "--tag", tag, "--count", "1")
    assert run.exit_code == 0, run.stderr
    assert "watching 1 torrent(s)" in run.stderr
    assert one(added(tmp_path)[0])  # the client holds more than one torrent


# -- 6. a 401 on login is the Host/CSRF check, not a bad password --------------------------

class PortForward:
    """A plain TCP relay from a free loopback port to the server: what Docker's port
    mapping does. The Host header keeps the outer port, which qBittorrent refuses."""

    def __init__(self, port: int):
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


def test_login_behind_a_port_mapping_is_a_host_hint_not_a_bad_password(qbittorrent_each_fresh, config_file,
                                                                      monkeypatch):
    server = qbittorrent_each_fresh
    forward = PortForward(server.port)
    try:
        config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\n'
                    f'url = "http://127.0.0.1:{forward.port}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        for _ in range(2):  # nothing is remembered as a rejected password
            run = invoke("qbit", "list", "--json")
            assert run.exit_code == 4, run.stderr
            assert "refused the request's Host or Origin header" in run.error_json()["message"]
        # `auth login` sends auth/login itself: its 401 is told apart by asking
        # app/webapiVersion unauthenticated (401 again: Host/CSRF; 403: a bad password).
        for _ in range(2):
            run = invoke("auth", "login", "qb", "--with-token", "--json", input=f"{PASSWORD}\n")
            assert run.exit_code == 4, run.stderr
            message = run.error_json()["message"]
            assert "HTTP 401 to auth/login" in message and "rejected the user name" not in message
    finally:
        forward.close()
    # The right URL works at once: the password was never recorded as rejected.
    config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\nurl = "{server.url}"\n')
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 0, run.stderr


def test_wrong_password_is_still_a_wrong_password(qbittorrent_each_fresh, config_file, monkeypatch):
    config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\n'
                f'url = "{qbittorrent_each_fresh.url}"\n')
    monkeypatch.setenv("MKTINT_QB_PASSWORD", "not-the-password")
    run = invoke("qbit", "list", "--json")
    assert run.exit_code == 4
    assert "rejected the user name or password" in run.error_json()["message"]


def test_create_v1_with_source_and_tracker_then_seed_it(qb, tmp_path):
    if qb.version == "4.5.2":
        pytest.skip("torrentcreator needs qBittorrent 5.0 (refusal: test_create_needs_qbittorrent_5)")
    from mktint.torrent.metainfo import Metainfo

    data = tmp_path / f"v1-{uuid.uuid4().hex[:8]}"
    data.mkdir()
    (data / "part1.m4b").write_bytes(uuid.uuid4().bytes * 3000)
    target = tmp_path / "v1.torrent"
    run = invoke("qbit", "create", data, "-o", target, "--source", "RED", "-a",
                 "http://127.0.0.1:9/announce", "--piece-size", "16KiB", "--json")
    assert run.exit_code == 0, run.stderr
    made = run.json()
    meta = Metainfo.parse(target.read_bytes())
    assert (meta.source, meta.private, meta.piece_length, meta.announce) == (
        "RED", True, 16384, "http://127.0.0.1:9/announce")
    assert made["infohash"] == meta.infohash and made["source_fixed"] is False
    run = invoke("qbit", "add", target, "--save-path", tmp_path, "--json")
    assert run.exit_code == 0 and run.json()[0]["status"] == "added", run.stdout + run.stderr
    assert wait_for(meta.infohash, lambda t: t["progress"] == 1)["progress"] == 1
