import os
import shutil
import subprocess

import pytest

from mktint.core.errors import OperationFailed, UsageError
from mktint.torrent import hashing
from mktint.torrent.create import TorrentSpec, auto_piece_length, create, scan
from mktint.torrent.metainfo import Metainfo
from tests.torrent.trees import ODD_TREE, write_tree

MKTORRENT = shutil.which("mktorrent")


def mktorrent(path, out, *, log2, source=None, private=True, announce="http://tracker.test/a"):
    args = [MKTORRENT, "-l", str(log2), "-a", announce, "-o", str(out), "-t", "2"]
    if private:
        args.append("-p")
    if source:
        args += ["-s", source]
    subprocess.run([*args, str(path)], check=True, capture_output=True)
    return Metainfo.parse(out.read_bytes())


def ours(path, *, piece_length, source=None, private=True, announce="http://tracker.test/a"):
    spec = TorrentSpec(private=private, source=source, announce=[[announce]])
    return create(scan(path), [spec], piece_length=piece_length, threads=2)[0]


@pytest.mark.skipif(MKTORRENT is None, reason="mktorrent is not installed")
@pytest.mark.parametrize("log2, source, private", [(15, "RED", True), (17, None, True),
                                                   (16, "OPS", False), (20, "MAM", True)])
def test_infohash_parity_with_mktorrent_on_nested_odd_tree(tmp_path, log2, source, private):
    tree = write_tree(tmp_path / "Book (2020)", ODD_TREE)
    theirs = mktorrent(tree, tmp_path / "m.torrent", log2=log2, source=source, private=private)
    mine = ours(tree, piece_length=2 ** log2, source=source, private=private)
    assert [f.path for f in mine.metainfo.files] == [f.path for f in theirs.files]
    assert mine.metainfo.pieces == theirs.pieces
    assert mine.infohash == theirs.infohash


@pytest.mark.skipif(MKTORRENT is None, reason="mktorrent is not installed")
def test_infohash_parity_with_mktorrent_single_file(tmp_path):
    path = write_tree(tmp_path, {"book.m4b": 250_001}) / "book.m4b"
    theirs = mktorrent(path, tmp_path / "m.torrent", log2=15, source="RED")
    mine = ours(path, piece_length=2 ** 15, source="RED")
    assert mine.metainfo.is_single_file and mine.metainfo.files[0].length == 250_001
    assert mine.infohash == theirs.infohash


def test_infohash_parity_with_torf(tmp_path):
    import torf

    # torf sorts by path parts and drops empty files; on this tree both orders agree.
    tree = write_tree(tmp_path / "Book", {"a.m4b": 70_001, "b/c.m4b": 16_385, "b/d/e.txt": 3,
                                          "f.jpg": 123_457})
    theirs = torf.Torrent(path=tree, private=True, source="RED", piece_size=2 ** 14,
                          trackers=["http://tracker.test/a"], created_by=None, creation_date=None)
    theirs.generate(threads=2)
    mine = ours(tree, piece_length=2 ** 14, source="RED")
    assert mine.infohash == theirs.infohash


def test_file_order_is_full_path_byte_order(tmp_path):
    tree = write_tree(tmp_path / "T", {"a/x": 1, "a b/x": 1, "B": 1, "a.b": 1, "é": 1})
    assert [f.path for f in scan(tree).files] == ["B", "a b/x", "a.b", "a/x", "é"]


def test_hidden_and_junk_are_skipped_unless_included(tmp_path):
    tree = write_tree(tmp_path / "T", {"book.m4b": 10, ".hidden": 1, ".git/config": 2,
                                       "sub/.DS_Store": 3, "Thumbs.db": 4, "sub/desktop.ini": 5})
    plan = scan(tree)
    assert [f.path for f in plan.files] == ["book.m4b"]
    assert plan.skipped == ["T/.git", "T/.hidden", "T/Thumbs.db", "T/sub/.DS_Store",
                            "T/sub/desktop.ini"]
    everything = scan(tree, include_hidden=True)
    assert len(everything.files) == 6 and everything.skipped == []


def test_exclude_globs_match_names_and_relative_paths(tmp_path):
    tree = write_tree(tmp_path / "T", {"a.m4b": 10, "a.nfo": 1, "scans/1.jpg": 2, "keep/1.jpg": 2})
    plan = scan(tree, exclude=("*.nfo", "scans"))
    assert [f.path for f in plan.files] == ["a.m4b", "keep/1.jpg"]
    assert plan.skipped == []


def test_empty_files_are_kept(tmp_path):
    tree = write_tree(tmp_path / "T", {"a": 10, "b": 0})
    assert [(f.path, f.length) for f in scan(tree).files] == [("a", 10), ("b", 0)]


def test_symlinks_to_files_and_folders_are_followed(tmp_path):
    outside = write_tree(tmp_path / "outside", {"x.bin": 5})
    tree = write_tree(tmp_path / "T", {"a": 10})
    os.symlink(outside / "x.bin", tree / "link.bin")
    os.symlink(outside, tree / "linked")
    assert [(f.path, f.length) for f in scan(tree).files] == [
        ("a", 10), ("link.bin", 5), ("linked/x.bin", 5)]


def test_symlink_loop_is_an_error_naming_the_link(tmp_path):
    tree = write_tree(tmp_path / "T", {"a": 10, "sub/b": 1})
    os.symlink("..", tree / "sub" / "up")
    with pytest.raises(OperationFailed, match=r"T/sub/up is a symlink loop"):
        scan(tree)


def test_self_referencing_symlink_is_an_error(tmp_path):
    tree = write_tree(tmp_path / "T", {"a": 10})
    os.symlink("self", tree / "self")
    with pytest.raises(OperationFailed, match=r"T/self is a symlink loop"):
        scan(tree)


def test_dangling_symlink_is_an_error(tmp_path):
    tree = write_tree(tmp_path / "T", {"a": 10})
    os.symlink(tmp_path / "gone", tree / "dangling")
    with pytest.raises(OperationFailed, match=r"T/dangling is a symlink that points nowhere"):
        scan(tree)


def test_no_files_is_an_error(tmp_path):
    (tmp_path / "T").mkdir()
    with pytest.raises(OperationFailed, match="T holds no files"):
        scan(tmp_path / "T")
    write_tree(tmp_path / "H", {".only-hidden": 3})
    with pytest.raises(OperationFailed, match="holds no files") as e:
        scan(tmp_path / "H")
    assert "--include-hidden" in e.value.hint


def test_all_empty_files_is_an_error(tmp_path):
    write_tree(tmp_path / "T", {"a": 0})
    with pytest.raises(OperationFailed, match="every file in .* is empty"):
        scan(tmp_path / "T")


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        scan(tmp_path / "nope")


def test_non_utf8_name_is_an_error_showing_escaped_bytes(tmp_path):
    tree = write_tree(tmp_path / "T", {"a": 10})
    (tree.joinpath(os.fsdecode(b"bad\xff.m4b"))).write_bytes(b"x")
    with pytest.raises(OperationFailed, match=r"bad\\xff\.m4b is not valid UTF-8"):
        scan(tree)


def test_unreadable_file_is_an_error_naming_it(tmp_path, monkeypatch):
    tree = write_tree(tmp_path / "T", {"a": 10, "b": 20})
    real = hashing.open_for_reading

    def refuse(path):
        if path.endswith("/b"):
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(hashing, "open_for_reading", refuse)
    with pytest.raises(OperationFailed, match=r"cannot read .*T/b: Permission denied"):
        create(scan(tree), [TorrentSpec()], piece_length=16384)


def test_file_changed_during_hashing_aborts(tmp_path, monkeypatch):
    tree = write_tree(tmp_path / "T", {"a": 100_000, "b": 100_000})
    plan = scan(tree)
    real = hashing.open_for_reading

    def open_then_grow(path):
        handle = real(path)
        if path.endswith("/a"):
            with open(path, "ab") as f:
                f.write(b"more")
        return handle

    monkeypatch.setattr(hashing, "open_for_reading", open_then_grow)
    with pytest.raises(hashing.ChangedDuringHashing, match=r"T/a changed while it was being hashed"):
        create(plan, [TorrentSpec()], piece_length=16384)


def test_file_shrunk_after_scan_aborts(tmp_path):
    tree = write_tree(tmp_path / "T", {"a": 100_000})
    plan = scan(tree)
    (tree / "a").write_bytes(b"short")
    with pytest.raises(hashing.ChangedDuringHashing):
        create(plan, [TorrentSpec()], piece_length=16384)


def test_several_targets_hash_once_and_differ_only_in_source_and_announce(tmp_path, monkeypatch):
    tree = write_tree(tmp_path / "T", ODD_TREE)
    opened = []
    real = hashing.open_for_reading
    monkeypatch.setattr(hashing, "open_for_reading", lambda p: opened.append(p) or real(p))
    hashed = []
    specs = [TorrentSpec(target="red", source="RED", announce=[["https://r.test/passkey-1/announce"]]),
             TorrentSpec(target="ops", source="OPS", announce=[["https://o.test/passkey-2/announce"]])]
    plan = scan(tree)
    red, ops = create(plan, specs, piece_length=16384, progress=hashed.append)
    assert len(opened) == len(plan.files)  # every file read once for both torrents
    assert sum(hashed) == plan.total_size
    assert red.metainfo.pieces == ops.metainfo.pieces
    assert (red.metainfo.source, ops.metainfo.source) == ("RED", "OPS")
    assert red.infohash != ops.infohash
    assert ops.metainfo.announce == "https://o.test/passkey-2/announce"
    # the same as two separate runs
    assert ours(tree, piece_length=16384, source="OPS").metainfo.pieces == ops.metainfo.pieces


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_thread_count_does_not_change_the_result(tmp_path, threads):
    tree = write_tree(tmp_path / "T", ODD_TREE)
    spec = TorrentSpec(no_date=True)
    made = create(scan(tree), [spec], piece_length=16384, threads=threads)[0]
    reference = create(scan(tree), [spec], piece_length=16384, threads=1)[0]
    assert made.data == reference.data


def test_small_files_are_hashed_by_one_worker_larger_ones_by_all():
    small = [hashing.Source("s", 4096)] * 100
    large = [hashing.Source("l", 1 << 20)] * 3 + [hashing.Source("e", 0)]  # empty files do not count
    assert hashing.worker_count(small, 4) == 1
    assert hashing.worker_count(large, 4) == 4
    assert hashing.worker_count(large, None) == hashing.default_threads()


@pytest.mark.parametrize("size, expected", [
    (1, 16 * 1024), (80_000_000, 64 * 1024), (300_000_000, 256 * 1024),
    (700_000_000, 512 * 1024), (1_500_000_000, 1024 * 1024), (4_000_000_000, 2 * 1024 * 1024),
    (100_000_000_000, 16 * 1024 * 1024)])
def test_auto_piece_length_table(size, expected):
    assert auto_piece_length(size) == expected


def test_auto_piece_length_aims_for_1000_to_2000_pieces():
    for size in (40_000_000, 123_456_789, 987_654_321, 9_999_999_999):
        assert 1000 < -(-size // auto_piece_length(size)) <= 2000


@pytest.mark.parametrize("bad", [1000, 8192, 128 * 1024 * 1024, 3 * 16384])
def test_bad_piece_length_is_a_usage_error(bad, tmp_path):
    tree = write_tree(tmp_path / "T", {"a": 10})
    with pytest.raises(UsageError, match="power of two"):
        create(scan(tree), [TorrentSpec()], piece_length=bad)


def test_created_torrent_fields(tmp_path):
    tree = write_tree(tmp_path / "T", {"a": 10})
    spec = TorrentSpec(private=False, source=None, announce=[["http://a/1", "http://a/2"], ["http://b/"]],
                       web_seeds=["http://seed/"], comment="hello", no_date=True)
    made = create(scan(tree), [spec])[0]
    meta = made.metainfo
    assert made.infohash == meta.infohash == Metainfo.parse(made.data).infohash
    assert meta.announce == "http://a/1"
    assert meta.announce_list == [["http://a/1", "http://a/2"], ["http://b/"]]
    assert (meta.private, meta.source, meta.comment, meta.creation_date) == (False, None, "hello", None)
    assert meta.web_seeds == ["http://seed/"] and meta.created_by.startswith("mktint ")
    assert set(meta.raw[b"info"]) == {b"name", b"piece length", b"pieces", b"files"}
