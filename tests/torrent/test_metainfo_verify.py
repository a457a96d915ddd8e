import hashlib

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mktint.core.errors import MktintError
from mktint.torrent.bencode import encode
from mktint.torrent.create import TorrentSpec, create, scan
from mktint.torrent.metainfo import Metainfo, MetainfoError, retarget
from mktint.torrent.verify import verify
from tests.torrent.trees import ODD_TREE, write_tree

INFO_KEYS = ["name", "infohash", "piece_length", "piece_count", "total_size", "private", "source",
             "announce", "announce_list", "web_seeds", "comment", "created_by", "creation_date",
             "files"]


@pytest.fixture
def made(tmp_path):
    tree = write_tree(tmp_path / "Book", ODD_TREE)
    spec = TorrentSpec(source="RED", announce=[["https://r.test/passkey-1/announce"]])
    return tree, create(scan(tree), [spec], piece_length=16384)[0]


def test_to_dict_has_exactly_the_documented_keys(made):
    _, torrent = made
    data = torrent.metainfo.to_dict()
    assert list(data) == INFO_KEYS
    assert data["files"][0] == {"path": "01 - Chapter.m4b", "length": 100_003}
    assert data["total_size"] == sum(ODD_TREE.values())
    assert data["piece_count"] == -(-data["total_size"] // 16384)
    assert data["creation_date"].endswith("+00:00")


def test_infohash_is_over_the_original_info_bytes():
    info = b"d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:" + b"\0" * 20 + b"e"
    unsorted = b"d4:name1:a6:lengthi5e12:piece lengthi16384e6:pieces20:" + b"\0" * 20 + b"e"
    assert Metainfo.parse(b"d4:info" + info + b"e").infohash == hashlib.sha1(info).hexdigest()
    meta = Metainfo.parse(b"d4:info" + unsorted + b"e")
    assert meta.infohash == hashlib.sha1(unsorted).hexdigest() != hashlib.sha1(info).hexdigest()


def good_info(changes=None, **named):
    info = {b"name": b"x", b"piece length": 16384, b"pieces": b"\1" * 20, b"length": 5}
    info.update(changes or {})
    info.update({k.encode(): v for k, v in named.items()})
    return {k: v for k, v in info.items() if v is not None}


@pytest.mark.parametrize("top, message", [
    ({b"announce": b"x"}, "no 'info' dictionary"),
    ({b"info": good_info(name=b"")}, "missing or empty 'name'"),
    ({b"info": good_info(name=b"..")}, "unsafe file path part"),
    ({b"info": good_info({b"piece length": 0})}, "'piece length' is not a positive"),
    ({b"info": good_info(pieces=b"123")}, "not a multiple of 20"),
    ({b"info": good_info(length=None)}, "exactly one of 'length' and 'files'"),
    ({b"info": good_info(length=5_000_000)}, r"1 piece hashes for 5000000 bytes"),
    ({b"info": good_info(length=None, files=[{b"length": 5, b"path": [b"a", b"../b"]}])},
     "unsafe file path part"),
    ({b"info": good_info(length=None, files=[{b"length": 2, b"path": [b"a"]},
                                             {b"length": 3, b"path": [b"a"]}])}, "listed twice"),
    ({b"info": good_info(), b"announce-list": b"x"}, "'announce-list' is not a list"),
    ({b"info": {b"name": b"x", b"piece length": 16384, b"meta version": 2, b"file tree": {}}},
     "v2-only torrent"),
])
def test_invalid_torrents_are_explained(top, message):
    with pytest.raises(MetainfoError, match=message):
        Metainfo.parse(encode(top))


def test_v1_only_and_hybrid_are_told_apart():
    assert Metainfo.parse(encode({b"info": good_info()})).is_v1_only
    hybrid = encode({b"info": good_info({b"meta version": 2}), b"piece layers": {}})
    assert not Metainfo.parse(hybrid).is_v1_only


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_torrents_raise_only_project_errors(made, data):
    raw = bytearray(made[1].data)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        Metainfo.parse(bytes(raw[:cut] if data.draw(st.booleans()) else raw))
    except MktintError:
        pass


def test_retarget_keeps_pieces_and_changes_source_and_announce(made):
    tree, torrent = made
    new = retarget(torrent.data, source="OPS", announce=[["https://o.test/passkey-2/announce"]])
    meta = Metainfo.parse(new)
    assert meta.pieces == torrent.metainfo.pieces and meta.files == torrent.metainfo.files
    assert (meta.source, meta.private) == ("OPS", True)
    assert meta.announce == "https://o.test/passkey-2/announce" and meta.announce_list == []
    assert meta.infohash != torrent.infohash
    # the same infohash as hashing again for that tracker
    spec = TorrentSpec(source="OPS", announce=[["https://o.test/passkey-2/announce"]])
    assert create(scan(tree), [spec], piece_length=16384)[0].infohash == meta.infohash
    back = retarget(new, source="RED", announce=[["https://r.test/passkey-1/announce"]])
    assert Metainfo.parse(back).infohash == torrent.infohash


def test_retarget_public_without_source(made):
    meta = Metainfo.parse(retarget(made[1].data, source=None, announce=[], private=False))
    assert (meta.source, meta.private, meta.announce) == (None, False, None)
    assert b"private" not in meta.raw[b"info"] and b"source" not in meta.raw[b"info"]


def test_verify_complete(made):
    tree, torrent = made
    result = verify(torrent.metainfo, tree, threads=2)
    assert result.complete and result.bad_pieces == [] and result.to_dict()["complete"] is True


def test_verify_single_file(tmp_path):
    path = write_tree(tmp_path, {"one.m4b": 50_000}) / "one.m4b"
    torrent = create(scan(path), [TorrentSpec()], piece_length=16384)[0]
    assert verify(torrent.metainfo, path).complete
    assert verify(torrent.metainfo, tmp_path).complete  # the folder holding the file
    path.write_bytes(b"\0" * 50_000)
    assert verify(torrent.metainfo, path).bad_pieces == [0, 1, 2, 3]


def test_verify_missing_file(made):
    tree, torrent = made
    (tree / "Extras" / "cover.jpg").unlink()
    result = verify(torrent.metainfo, tree)
    assert not result.complete
    assert result.missing == ["Extras/cover.jpg"] and result.wrong_size == []
    assert "Extras/cover.jpg" in result.bad_files
    assert result.bad_pieces


def test_verify_wrong_size(made):
    tree, torrent = made
    with open(tree / "a" / "x.bin", "ab") as f:
        f.write(b"!")
    result = verify(torrent.metainfo, tree)
    assert result.wrong_size == [{"path": "a/x.bin", "expected": 33_333, "actual": 33_334}]
    assert not result.complete


def test_verify_bad_piece_names_the_file(made):
    tree, torrent = made
    path = tree / "Z upper.bin"
    data = bytearray(path.read_bytes())
    data[40_000] ^= 0xFF
    path.write_bytes(bytes(data))
    result = verify(torrent.metainfo, tree)
    assert result.missing == [] and result.wrong_size == []
    assert len(result.bad_pieces) == 1 and result.bad_files == ["Z upper.bin"]


def test_verify_with_nothing_on_disk_reads_nothing(made, tmp_path, monkeypatch):
    from mktint.torrent import verify as verify_module

    monkeypatch.setattr(verify_module, "hash_pieces", lambda *a, **k: pytest.fail("hashed"))
    result = verify(made[1].metainfo, tmp_path / "elsewhere")
    assert len(result.missing) == len(ODD_TREE)
    assert result.bad_pieces == list(range(made[1].metainfo.piece_count))
    assert "Extras/deep/zero.txt" not in result.bad_files and not result.complete


def test_verify_refuses_absurd_piece_length(tmp_path):
    from mktint.torrent.verify import MAX_VERIFY_PIECE_LENGTH

    length = MAX_VERIFY_PIECE_LENGTH * 2
    meta = Metainfo.parse(encode({b"info": good_info({b"piece length": length})}))
    with pytest.raises(MetainfoError, match="refusing to verify"):
        verify(meta, tmp_path)
