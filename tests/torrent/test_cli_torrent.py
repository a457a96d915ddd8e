import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mktint.core.factory import Factory
from mktint.torrent import hashing
from mktint.torrent.metainfo import Metainfo
from tests.support.cli import invoke, run_subprocess
from tests.torrent.trees import ODD_TREE, write_tree

RED_KEY = "passkey-red-0123456789abcdef"
OPS_KEY = "passkey-ops-0123456789abcdef"


@pytest.fixture
def tree(tmp_path):
    return write_tree(tmp_path / "Book (2020)", ODD_TREE)


# Files a Gazelle site accepts in an audiobook torrent (--target checks them).
BOOK_TREE = {"01.mp3": 70_000, "Part 2/02.mp3": 50_000, "cover.jpg": 3_000, "notes.txt": 10}


@pytest.fixture
def book_tree(tmp_path):
    return write_tree(tmp_path / "Book (2020)", BOOK_TREE)


def test_create_then_info_json(tree, tmp_path):
    out = tmp_path / "book.torrent"
    run = invoke("torrent", "create", tree, "-o", out, "--source", "EX", "-a", "http://t.test/a",
                 "-a", "http://b1.test/a,http://b2.test/a", "--comment", "hi", "--piece-size",
                 "32KiB", "--json")
    assert run.exit_code == 0, run.stderr
    made = run.json()
    assert made["name"] == "Book (2020)" and made["total_size"] == sum(ODD_TREE.values())
    assert made["piece_length"] == 32768 and made["file_count"] == len(ODD_TREE)
    [row] = made["torrents"]
    assert row == {"target": None, "path": str(out), "infohash": row["infohash"], "source": "EX",
                   "private": True}
    info = invoke("torrent", "info", out, "--json").json()
    assert info["infohash"] == row["infohash"] == Metainfo.parse(out.read_bytes()).infohash
    assert info["announce"] == "http://t.test/a"
    assert info["announce_list"] == [["http://t.test/a"], ["http://b1.test/a", "http://b2.test/a"]]
    assert (info["comment"], info["source"], info["private"]) == ("hi", "EX", True)


def test_create_human_output_and_hidden_warning(tree, tmp_path):
    (tree / ".DS_Store").write_bytes(b"junk")
    run = invoke("torrent", "create", tree, "-o", tmp_path, "--public")
    assert run.exit_code == 0, run.stderr
    infohash, path = run.stdout.strip().split("\t")
    assert path == str(tmp_path / "Book (2020).torrent") and len(infohash) == 40
    assert "left out 1 hidden or junk file(s)" in run.stderr and "Book (2020)/.DS_Store" in run.stderr
    assert not Metainfo.parse(Path(path).read_bytes()).private


def test_output_defaults_to_config_output_dir(tree, tmp_path, config_file):
    config_file(f'[defaults]\noutput_dir = "{tmp_path / "made"}"\n')
    run = invoke("torrent", "create", tree, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["torrents"][0]["path"] == str(tmp_path / "made" / "Book (2020).torrent")


def test_existing_output_needs_force(tree, tmp_path):
    out = tmp_path / "book.torrent"
    out.write_bytes(b"precious")
    run = invoke("torrent", "create", tree, "-o", out)
    assert run.exit_code == 6 and "already exists" in run.stderr and "--force" in run.stderr
    assert out.read_bytes() == b"precious"
    assert invoke("torrent", "create", tree, "-o", out, "--force").exit_code == 0
    Metainfo.parse(out.read_bytes())


def test_read_only_output_folder_fails_cleanly(tree, tmp_path):
    if os.geteuid() == 0:  # root writes anywhere that is not a read-only file system
        target = Path("/proc/book.torrent")
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        target = folder / "book.torrent"
    run = invoke("torrent", "create", tree, "-o", target)
    assert run.exit_code == 1, run.stderr
    assert "cannot write" in run.stderr and "Traceback" not in run.stderr
    assert not target.exists()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".book.torrent")]


def test_non_utf8_name_exits_1_with_escaped_path(tree):
    (tree / os.fsdecode(b"bad\xe9.m4b")).write_bytes(b"x")
    run = invoke("torrent", "create", tree, "-o", tree.parent, "--json")
    assert run.exit_code == 1
    assert "bad\\xe9.m4b is not valid UTF-8" in run.error_json()["message"]


def test_changed_file_exits_1_and_writes_nothing(tree, tmp_path, monkeypatch):
    real = hashing.open_for_reading

    def touch_then_open(path):
        handle = real(path)
        os.utime(path, ns=(1, 1))
        return handle

    monkeypatch.setattr(hashing, "open_for_reading", touch_then_open)
    run = invoke("torrent", "create", tree, "-o", tmp_path / "x.torrent")
    assert run.exit_code == 1 and "changed while it was being hashed" in run.stderr
    assert not (tmp_path / "x.torrent").exists()


@pytest.mark.parametrize("size", ["1000", "8KiB", "3MiB", "128MiB", "lots"])
def test_bad_piece_size_is_a_usage_error(tree, size):
    run = invoke("torrent", "create", tree, "--piece-size", size)
    assert run.exit_code == 2 and "piece-size" in run.stderr


def test_no_files_exits_1(tmp_path):
    (tmp_path / "empty").mkdir()
    run = invoke("torrent", "create", tmp_path / "empty")
    assert run.exit_code == 1 and "holds no files" in run.stderr


class FakeGazelle:
    def __init__(self, factory, name, key):
        self.factory, self.name, self.key, self.calls = factory, name, key, 0

    def fetch_passkey(self):
        self.calls += 1
        self.factory.credentials.store(self.name, "PASSKEY", self.key)
        return self.key


@pytest.fixture
def fakes(monkeypatch):
    made = {}
    keys = {"red": RED_KEY, "ops": OPS_KEY}

    def service(self, name, kind=None):
        self.service_config(name, kind)
        return made.setdefault(name, FakeGazelle(self, name, keys[name]))

    monkeypatch.setattr(Factory, "service", service)
    return made


def test_two_targets_hash_once_and_fetch_missing_passkeys(book_tree, tmp_path, fakes, monkeypatch):
    tree = book_tree
    opened = []
    real = hashing.open_for_reading
    monkeypatch.setattr(hashing, "open_for_reading", lambda p: opened.append(p) or real(p))
    out = tmp_path / "new" / "folder"
    run = invoke("torrent", "create", tree, "--target", "red", "--target", "ops", "-o", out, "--json")
    assert run.exit_code == 0, run.stderr
    assert len(opened) == len(BOOK_TREE)
    assert [f.calls for f in fakes.values()] == [1, 1]
    rows = run.json()["torrents"]
    assert [(r["target"], r["source"], r["path"]) for r in rows] == [
        ("red", "RED", str(out / "Book (2020).red.torrent")),
        ("ops", "OPS", str(out / "Book (2020).ops.torrent"))]
    red = Metainfo.parse((out / "Book (2020).red.torrent").read_bytes())
    ops = Metainfo.parse((out / "Book (2020).ops.torrent").read_bytes())
    assert red.announce == f"https://flacsfor.me/{RED_KEY}/announce"
    assert ops.announce == f"https://home.opsfet.ch/{OPS_KEY}/announce"
    assert red.private and ops.private and red.pieces == ops.pieces
    assert RED_KEY not in run.stdout + run.stderr and OPS_KEY not in run.stdout + run.stderr
    # the stored passkey is used next time, without asking the tracker again
    again = invoke("torrent", "create", tree, "--target", "red", "-o", tmp_path / "r.torrent")
    assert again.exit_code == 0, again.stderr
    assert [f.calls for f in fakes.values()] == [1, 1]
    assert Metainfo.parse((tmp_path / "r.torrent").read_bytes()).announce == red.announce


def test_target_passkey_from_environment(book_tree, tmp_path, monkeypatch):
    monkeypatch.setenv("MKTINT_RED_PASSKEY", RED_KEY)
    run = invoke("torrent", "create", book_tree, "--target", "red", "-o", tmp_path, "--no-date")
    assert run.exit_code == 0, run.stderr
    meta = Metainfo.parse((tmp_path / "Book (2020).red.torrent").read_bytes())
    assert (meta.source, meta.private) == ("RED", True) and RED_KEY in meta.announce


def test_preflight_lists_every_long_path_and_hashes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MKTINT_RED_PASSKEY", RED_KEY)
    tree = write_tree(tmp_path / "B", {"a" * 196 + ".mp3": 5, "b" * 175 + ".mp3": 5,
                                       "c" * 174 + ".mp3": 5})
    monkeypatch.setattr(hashing, "hash_pieces", lambda *a, **k: pytest.fail("hashed"))
    run = invoke("torrent", "create", tree, "--target", "red", "-o", tmp_path / "out.torrent")
    assert run.exit_code == 1
    assert "202 characters, more than 180" in run.stderr
    assert "181 characters, more than 180" in run.stderr
    assert "c" * 174 not in run.stderr  # exactly 180 is allowed
    assert not (tmp_path / "out.torrent").exists()


def test_target_with_source_is_a_usage_error(tree):
    run = invoke("torrent", "create", tree, "--target", "red", "--source", "X")
    assert run.exit_code == 2 and "--target sets the source" in run.stderr


def test_target_of_wrong_kind_is_a_usage_error(tree):
    run = invoke("torrent", "create", tree, "--target", "qbittorrent")
    assert run.exit_code == 2 and "not a tracker" in run.stderr


def test_mam_target_needs_announce_in_config(tree, tmp_path, config_file):
    run = invoke("torrent", "create", tree, "--target", "mam", "-o", tmp_path)
    assert run.exit_code == 3 and "set services.mam.announce" in run.stderr
    url = "https://t.myanonamouse.net/tracker.php/mam-id-secret0123456789/announce"
    config_file(f'[services.mam]\nannounce = "{url}"\n')
    run = invoke("torrent", "create", tree, "--target", "mam", "-o", tmp_path, "--json")
    assert run.exit_code == 0, run.stderr
    meta = Metainfo.parse((tmp_path / "Book (2020).mam.torrent").read_bytes())
    assert (meta.source, meta.private, meta.announce) == ("MAM", True, url)
    assert url not in run.stdout + run.stderr


def test_verify_cli(tree, tmp_path):
    out = tmp_path / "b.torrent"
    assert invoke("torrent", "create", tree, "-o", out).exit_code == 0
    good = invoke("torrent", "verify", out, tree, "--json")
    assert good.exit_code == 0 and good.json()["complete"] is True
    (tree / "Extras" / "cover.jpg").unlink()
    with open(tree / "a" / "x.bin", "r+b") as f:
        f.write(b"XXXX")
    bad = invoke("torrent", "verify", out, tree)
    assert bad.exit_code == 1
    assert "missing\tExtras/cover.jpg" in bad.stdout and "bad pieces\ta/x.bin" in bad.stdout
    assert "pieces bad, 1 file(s) missing" in bad.stderr
    as_json = invoke("torrent", "verify", out, tree, "--json")
    assert as_json.exit_code == 1 and as_json.json()["missing"] == ["Extras/cover.jpg"]


def test_retarget_cli(tree, tmp_path, monkeypatch):
    red_file = tmp_path / "red.torrent"
    assert invoke("torrent", "create", tree, "--source", "RED", "-o", red_file).exit_code == 0
    monkeypatch.setenv("MKTINT_OPS_PASSKEY", OPS_KEY)
    run = invoke("torrent", "retarget", red_file, "--target", "ops", "-o", tmp_path / "ops.torrent")
    assert run.exit_code == 0, run.stderr
    ops = Metainfo.parse((tmp_path / "ops.torrent").read_bytes())
    assert run.stdout.strip() == ops.infohash and ops.source == "OPS"
    assert ops.announce == f"https://home.opsfet.ch/{OPS_KEY}/announce"
    manual = invoke("torrent", "retarget", red_file, "--source", "EX", "-a", "http://e.test/a",
                    "-o", tmp_path, "--json")
    assert manual.exit_code == 0, manual.stderr
    assert manual.json()["source"] == "EX" and manual.json()["path"] == str(tmp_path / "Book (2020).torrent")
    again = invoke("torrent", "retarget", red_file, "--source", "EX", "-a", "http://e.test/a",
                   "-o", tmp_path)
    assert again.exit_code == 6
    neither = invoke("torrent", "retarget", red_file, "-o", tmp_path / "z.torrent")
    assert neither.exit_code == 2


def test_info_on_missing_and_garbage_files(tmp_path):
    assert invoke("torrent", "info", tmp_path / "nope.torrent").exit_code == 2
    junk = tmp_path / "junk.torrent"
    junk.write_bytes(b"d4:infoi1e")
    run = invoke("torrent", "info", junk, "--json")
    assert run.exit_code == 1 and "junk.torrent: invalid bencode at byte 10" in run.error_json()["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_info_on_mutated_files_never_crashes(tmp_path, data):
    base = (b"d8:announce14:http://t.test/7:comment2:hi4:infod5:filesld6:lengthi5e4:pathl1:aee"
            b"d6:lengthi3e4:pathl1:b1:ceee4:name4:Book12:piece lengthi16384e6:pieces20:"
            + b"\1" * 20 + b"7:privatei1e6:source3:REDee")
    raw = bytearray(base)
    for _ in range(data.draw(st.integers(1, 5))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    path = tmp_path / "m.torrent"
    path.write_bytes(bytes(raw))
    run = invoke("torrent", "info", path, "--json")
    assert run.exit_code in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    if run.exit_code == 0:
        assert run.json()["name"]
    else:
        assert run.error_json()["code"] in ("bad_bencode", "bad_torrent")


def test_help_has_examples():
    for command in ("create", "info", "verify", "retarget"):
        run = invoke("torrent", command, "--help")
        assert run.exit_code == 0 and "Examples:" in run.stdout


def test_subprocess_create_has_no_progress_bar_when_piped(tree, tmp_path):
    run = run_subprocess("torrent", "create", tree, "-o", tmp_path / "s.torrent")
    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""


def test_mam_announce_placeholder_needs_a_stored_passkey(tree, config_file, memory_keyring, tmp_path):
    config_file('[services.mam]\nannounce = "https://t.example/{passkey}/announce"\n')
    run = invoke("torrent", "create", tree, "--target", "mam", "-o", tmp_path / "m.torrent")
    assert run.exit_code == 3 and "mktint auth login mam" in run.stderr
    memory_keyring.set_password("mktint", "mam:PASSKEY", "passkey-mam-0000000001")
    run = invoke("torrent", "create", tree, "--target", "mam", "-o", tmp_path / "m.torrent")
    assert run.exit_code == 0, run.stderr
    assert "passkey-mam-0000000001" not in run.stdout + run.stderr


def test_info_never_prints_the_passkey_of_an_announce_url(tree, tmp_path):
    passkey = "passkey0123456789abcdef01234567"
    out = tmp_path / "p.torrent"
    made = invoke("torrent", "create", tree, "-o", out, "--source", "RED",
                  "-a", f"https://flacsfor.me/{passkey}/announce")
    assert made.exit_code == 0, made.stderr
    for args in (("torrent", "info", out), ("torrent", "info", out, "--json")):
        run = run_subprocess(*args)
        assert run.exit_code == 0, run.stderr
        assert passkey not in run.stdout + run.stderr
        assert "https://flacsfor.me/***/announce" in run.stdout
