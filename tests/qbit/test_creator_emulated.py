"""`mktint qbit create` against the 5.x emulator's torrent creator (tests/emulators/qbittorrent5.py)."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from mktint.torrent.metainfo import Metainfo
from tests.emulators.qbittorrent5 import Qbt5Handler, Qbt5State
from tests.support.cli import invoke
from tests.support.httpserver import serve
from tests.support.qbittorrent import PASSWORD

CREATOR = ("torrentcreator/addTask", "torrentcreator/status", "torrentcreator/torrentFile",
           "torrentcreator/deleteTask")


@pytest.fixture
def emulator(config_file, monkeypatch):
    """start(version, extra_config) → the running emulator (state on ``.state``)."""
    servers = []

    def start(version: str, extra: str = ""):
        state = Qbt5State(version)
        context = serve(Qbt5Handler, qbt=state)
        server = context.__enter__()
        servers.append(context)
        server.state = state
        config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\n'
                    f'url = "{server.url}"\n{extra}')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        return server

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def book(tmp_path):
    folder = tmp_path / "srv" / "Author - Book"
    folder.mkdir(parents=True)
    (folder / "01.m4b").write_bytes(b"a" * 40000)
    (folder / "cover.jpg").write_bytes(b"c" * 3000)
    return folder


def creator_calls(state):
    return [e for _, e, _, _ in state.requests if e.startswith("torrentcreator/")]


@pytest.mark.parametrize("version", ["5.2", "next"])
def test_create_v1_with_every_option(emulator, tmp_path, version):
    server = emulator(version)
    folder = book(tmp_path)
    out = tmp_path / "book.torrent"
    run = invoke("qbit", "create", folder, "-o", out, "--source", "RED", "-a", "https://t.example/a",
                 "-a", "https://t.example/b", "--web-seed", "https://seed.example/", "--comment", "hi",
                 "--piece-size", "16KiB", "--json")
    assert run.exit_code == 0, run.stderr
    meta = Metainfo.parse(out.read_bytes())
    assert (meta.source, meta.private, meta.comment, meta.piece_length) == ("RED", True, "hi", 16384)
    assert meta.announce_list == [["https://t.example/a"], ["https://t.example/b"]]
    assert meta.web_seeds == ["https://seed.example/"]
    assert sorted(f.path for f in meta.files) == ["01.m4b", "cover.jpg"]
    data = (folder / "01.m4b").read_bytes() + (folder / "cover.jpg").read_bytes()
    assert meta.piece_hash(0) == hashlib.sha1(data[:16384]).digest()
    result = run.json()
    assert result["infohash"] == meta.infohash and result["name"] == "Author - Book"
    assert result["source_fixed"] is False and result["source_path"] == str(folder)
    assert result["output"] == str(out) and result["size"] == out.stat().st_size
    add = next(p for _, e, p, _ in server.state.requests if e == "torrentcreator/addTask")
    assert add["trackers"] == "https://t.example/a|https://t.example/b" and add["format"] == "v1"
    assert creator_calls(server.state)[-1] == "torrentcreator/deleteTask"
    assert server.state.tasks == {}


def test_path_map_applies_to_the_server_path_and_back(emulator, tmp_path):
    folder = book(tmp_path)
    server = emulator("5.2", f'[services.qb.path_map]\n"/host/books" = "{folder.parent}"\n')
    run = invoke("qbit", "create", "/host/books/Author - Book", "-o", tmp_path / "b.torrent", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["source_path"] == str(folder)
    assert run.json()["local_path"] == "/host/books/Author - Book"
    add = next(p for _, e, p, _ in server.state.requests if e == "torrentcreator/addTask")
    assert add["sourcePath"] == str(folder)


def test_source_bug_of_5_0_2_is_corrected_for_v1(emulator, tmp_path):
    server = emulator("5.0.2")
    out = tmp_path / "b.torrent"
    run = invoke("qbit", "create", book(tmp_path), "-o", out, "--source", "RED", "--comment", "hello")
    assert run.exit_code == 0, run.stderr
    assert "wrote the comment as `source`; corrected" in run.stderr
    meta = Metainfo.parse(out.read_bytes())
    assert (meta.source, meta.comment, meta.private) == ("RED", "hello", True)
    assert server.state.tasks == {}


def test_source_bug_without_source_removes_the_comment_copy(emulator, tmp_path):
    emulator("5.0.2")
    out = tmp_path / "b.torrent"
    run = invoke("qbit", "create", book(tmp_path), "-o", out, "--comment", "hello", "--public", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["source_fixed"] is True
    meta = Metainfo.parse(out.read_bytes())
    assert (meta.source, meta.comment, meta.private) == (None, "hello", False)
    assert run.json()["infohash"] == meta.infohash


@pytest.mark.parametrize("extra", [("--start-seeding",), ("--format", "hybrid")])
def test_source_bug_that_cannot_be_corrected_is_refused_before_sending(emulator, tmp_path, extra):
    server = emulator("5.0.2")
    out = tmp_path / "b.torrent"
    run = invoke("qbit", "create", book(tmp_path), "-o", out, "--source", "RED", *extra)
    assert run.exit_code == 1
    assert "5.0.0–5.0.2 writes the comment" in run.stderr and "5.0.3" in run.stderr
    assert creator_calls(server.state) == [] and not out.exists()


def test_same_source_and_comment_is_fine_on_the_buggy_version(emulator, tmp_path):
    emulator("5.0.2")
    out = tmp_path / "b.torrent"
    run = invoke("qbit", "create", book(tmp_path), "-o", out, "--source", "RED", "--comment", "RED",
                 "--start-seeding", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["source_fixed"] is False and Metainfo.parse(out.read_bytes()).source == "RED"


def test_too_many_tasks_is_exit_7(emulator, tmp_path):
    server = emulator("5.2")
    server.state.max_tasks = 0
    out = tmp_path / "b.torrent"
    run = invoke("qbit", "create", book(tmp_path), "-o", out, "--json")
    assert run.exit_code == 7
    assert "too many torrent creation tasks" in run.error_json()["message"]
    assert not out.exists()


def test_failed_task_is_reported_and_deleted(emulator, tmp_path):
    server = emulator("5.2")
    out = tmp_path / "b.torrent"
    run = invoke("qbit", "create", tmp_path / "nowhere", "-o", out)
    assert run.exit_code == 1
    assert "could not create the torrent: Path not found" in run.stderr
    assert server.state.tasks == {} and not out.exists()
    assert creator_calls(server.state)[-1] == "torrentcreator/deleteTask"


def test_existing_output_is_refused_before_anything_is_sent(emulator, tmp_path):
    server = emulator("5.2")
    out = tmp_path / "b.torrent"
    out.write_bytes(b"keep")
    run = invoke("qbit", "create", book(tmp_path), "-o", out)
    assert run.exit_code == 6 and "--force" in run.stderr
    assert out.read_bytes() == b"keep" and creator_calls(server.state) == []
    forced = invoke("qbit", "create", book_path := tmp_path / "srv" / "Author - Book", "-o", out, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert Metainfo.parse(out.read_bytes()).name == book_path.name


@pytest.mark.parametrize("size", ["3000", "128MiB", "lots"])
def test_bad_piece_size_is_refused_before_sending(emulator, tmp_path, size):
    server = emulator("5.2")
    run = invoke("qbit", "create", book(tmp_path), "-o", tmp_path / "b.torrent", "--piece-size", size)
    assert run.exit_code == 2 and "piece size" in run.stderr
    assert creator_calls(server.state) == []


def test_output_holding_a_passkey_is_0600_others_follow_the_umask(emulator, tmp_path):
    emulator("5.2")
    folder = book(tmp_path)
    previous = os.umask(0o022)
    try:
        secret, public = tmp_path / "secret.torrent", tmp_path / "public.torrent"
        run = invoke("qbit", "create", folder, "-o", secret,
                     "-a", "https://t.example/0123456789abcdefXYZ/announce")
        assert run.exit_code == 0, run.stderr
        assert invoke("qbit", "create", folder, "-o", public, "-a", "https://t.example/a").exit_code == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
