"""Edge cases of torrent creation, verification and writing (issues #21 and #22).

Names the reader or the seeding client would refuse or rewrite; BEP 47 pad files in
hybrid torrents (libtorrent builds them, as the oracle); extra files next to the data;
file modes of .torrent files holding passkeys; unreadable inputs; leftovers of a killed
write; verify's work with very many missing files.
"""

import os
import time
import shutil
import signal
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from mktint.torrent import bencode
from mktint.torrent.metainfo import Metainfo
from mktint.torrent.verify import VerifyResult
from tests.support.cli import REPO, invoke
from tests.torrent.trees import write_tree

RED_KEY = "passkey-red-0123456789abcdef"


@pytest.fixture
def no_hashing(monkeypatch):
    """Fail the test if anything is hashed."""
    from mktint.torrent import create

    monkeypatch.setattr(create, "hash_pieces", lambda *a, **k: pytest.fail("hashed"))


# -- names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, problem", [
    ("back\\slash.mp3", "backslash"),
    ("tab\there.mp3", "control character"),
    ("new\nline.mp3", "control character"),
    ("del\x7f.mp3", "control character"),
    ("c1\x85.mp3", "control character"),
    ("evil\u202egpj.mp3", "text-direction mark"),
    ("x" * 237 + ".mp3", "longer than 240 bytes"),
    ("é" * 119 + ".mp3", "longer than 240 bytes"),  # 242 bytes, 123 characters
])
def test_create_refuses_a_name_clients_cannot_use_before_hashing(tmp_path, no_hashing, name,
                                                                 problem):
    tree = write_tree(tmp_path / "Book", {"ok.mp3": 5000, name: 5000})
    out = tmp_path / "out.torrent"
    run = invoke("torrent", "create", tree, "-o", out, "--json")
    assert run.exit_code == 1, run.stderr
    error = run.error_json()
    assert "1 name(s) that torrent clients cannot use" in error["message"]
    assert problem in error["message"]
    assert "\t" not in error["message"].split(":", 1)[1]  # control characters shown escaped
    assert not out.exists()


def test_name_rules_flag_exactly_the_control_characters_and_the_direction_marks():
    # name_problem matches characters with one regular expression; it must flag the same
    # characters as Unicode's category Cc and libtorrent's list of marks, and no others.
    import unicodedata

    from mktint.torrent.rules import name_problem

    marks = {0x200E, 0x200F, *range(0x202A, 0x202F)}
    for code in range(0x10000):
        char = chr(code)
        if char in "/\\\0" or 0xD800 <= code <= 0xDFFF:  # refused with their own reason
            continue
        problem = name_problem(f"a{char}b") or ""
        assert ("control character" in problem) == (unicodedata.category(char) == "Cc"), hex(code)
        assert ("text-direction mark" in problem) == (code in marks), hex(code)


def test_create_lists_every_bad_name_and_a_bad_folder_once(tmp_path, no_hashing):
    tree = write_tree(tmp_path / "Book", {"a\\b.mp3": 10, "dir\tx/1.mp3": 10, "dir\tx/2.mp3": 10,
                                          "fine/ok\u200f.mp3": 10, "good.mp3": 10})
    run = invoke("torrent", "create", tree, "-o", tmp_path / "out.torrent")
    assert run.exit_code == 1
    assert "3 name(s)" in run.stderr
    for shown in ("Book/a\\b.mp3", "Book/dir\\tx:", "Book/fine/ok\\u200f.mp3"):
        assert shown in run.stderr
    assert "1.mp3" not in run.stderr  # the folder is named, not each file in it
    assert "--exclude" in run.stderr


def test_excluded_bad_names_give_a_torrent_every_reader_accepts(tmp_path):
    tree = write_tree(tmp_path / "Book", {"a\\b.mp3": 10, "tab\t.mp3": 10, "good.mp3": 10})
    out = tmp_path / "out.torrent"
    run = invoke("torrent", "create", tree, "-o", out, "--exclude", "a?b.mp3",
                 "--exclude", "tab*")
    assert run.exit_code == 0, run.stderr
    info = invoke("torrent", "info", out, "--json")
    assert info.exit_code == 0 and [f["path"] for f in info.json()["files"]] == ["good.mp3"]


def test_a_bad_single_file_name_is_refused(tmp_path, no_hashing):
    path = write_tree(tmp_path, {"tab\there.m4b": 100}) / "tab\there.m4b"
    run = invoke("torrent", "create", path, "-o", tmp_path / "out.torrent")
    assert run.exit_code == 1 and "tab\\there.m4b: holds a control character" in run.stderr


def test_reader_still_refuses_a_backslash_written_by_another_tool(tmp_path):
    info = {"name": "B", "piece length": 16384, "pieces": b"\0" * 20,
            "files": [{"length": 3, "path": ["back\\slash.mp3"]}]}
    (tmp_path / "t.torrent").write_bytes(bencode.encode({"info": info}))
    run = invoke("torrent", "info", tmp_path / "t.torrent")
    assert run.exit_code == 1 and "unsafe file path part" in run.stderr


# -- input and output paths ------------------------------------------------------------------

def test_empty_path_is_a_usage_error_not_the_current_folder(tmp_path, monkeypatch, no_hashing):
    write_tree(tmp_path / "here", {"a.mp3": 100})
    monkeypatch.chdir(tmp_path / "here")
    run = invoke("torrent", "create", "", "-o", tmp_path / "out.torrent")
    assert run.exit_code == 2
    assert "empty" in run.stderr and not (tmp_path / "out.torrent").exists()


def test_output_in_a_missing_folder_says_so_before_hashing(tmp_path, no_hashing):
    tree = write_tree(tmp_path / "Book", {"a.mp3": 100})
    missing = tmp_path / "nonexistent" / "dir"
    run = invoke("torrent", "create", tree, "-o", missing / "x.torrent")
    assert run.exit_code == 2
    assert f"the folder {missing} does not exist" in run.stderr
    assert "permission" not in run.stderr
    assert not missing.exists()


def _as_another_user(*args, cwd: Path):
    """Run mktint as an unprivileged user: root reads every file whatever its mode."""
    if os.geteuid() != 0:
        return subprocess.run([sys.executable, "-m", "mktint", *map(str, args)], cwd=cwd,
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    setpriv, python = shutil.which("setpriv"), "/usr/bin/python3"
    if setpriv is None or not os.access(python, os.X_OK):
        pytest.skip("needs setpriv and /usr/bin/python3 to drop root")
    site = [p for p in sys.path if p.endswith("site-packages") and "/.venv/" in p]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": ":".join([str(REPO), *site])}
    return subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python,
                           "-m", "mktint", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture
def shared_dir():
    """A folder another user can reach (pytest's own temporary folders are 0700)."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="mktint-shared-"))
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path)


def test_unreadable_folder_and_torrent_exit_1_with_the_reason(shared_dir):
    work = shared_dir
    tree = write_tree(work / "Book", {"a.mp3": 100})
    torrent = work / "book.torrent"
    assert invoke("torrent", "create", tree, "-o", torrent).exit_code == 0
    os.chmod(tree, 0o700)
    os.chmod(torrent, 0o600)
    for args in (("torrent", "create", tree, "-o", work / "x.torrent"),
                 ("torrent", "info", torrent),
                 ("torrent", "verify", torrent, tree),
                 ("torrent", "retarget", torrent, "--source", "X", "-a", "http://t.test/a",
                  "-o", work / "y.torrent")):
        run = _as_another_user(*args, cwd=work)
        assert run.returncode == 1, (args, run.stderr)
        assert "Permission denied" in run.stderr and "Usage:" not in run.stderr
        assert ("Book" if args[1] == "create" else "book.torrent") in run.stderr


# -- file modes ------------------------------------------------------------------------------

@pytest.fixture
def umask():
    """Set the process umask for one test: ``umask(0o027)``."""
    previous = os.umask(0o022)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o027, 0o077])
def test_torrent_files_holding_a_passkey_are_0600_others_follow_the_umask(tmp_path, monkeypatch,
                                                                          umask, mask):
    monkeypatch.setenv("MKTINT_RED_PASSKEY", RED_KEY)
    tree = write_tree(tmp_path / "Book", {"a.mp3": 30000})
    umask(mask)
    red, public = tmp_path / "red.torrent", tmp_path / "public.torrent"
    assert invoke("torrent", "create", tree, "--target", "red", "-o", red).exit_code == 0
    assert invoke("torrent", "create", tree, "-a", "http://tracker.test/announce",
                  "-o", public).exit_code == 0
    assert _mode(red) == 0o600
    assert _mode(public) == 0o666 & ~mask
    # a passkey URL given by hand (never registered with the redactor before): 0600 too
    by_hand = tmp_path / "by-hand.torrent"
    assert invoke("torrent", "create", tree, "-o", by_hand, "--announce",
                  "https://flacsfor.me/0123456789abcdef0123456789abcdef/announce").exit_code == 0
    assert _mode(by_hand) == 0o600
    # retarget: to a passkey URL → 0600; to a public URL → the umask
    assert invoke("torrent", "retarget", public, "--source", "X", "-o", tmp_path / "r1.torrent",
                  "-a", "https://t.example/0123456789abcdefXYZ/announce").exit_code == 0
    assert invoke("torrent", "retarget", red, "--source", "X", "-a", "http://t.test/announce",
                  "-o", tmp_path / "r2.torrent").exit_code == 0
    assert _mode(tmp_path / "r1.torrent") == 0o600
    assert _mode(tmp_path / "r2.torrent") == 0o666 & ~mask
    # --force over an existing file: the new mode, not the old one
    assert invoke("torrent", "create", tree, "--target", "red", "-o", public,
                  "--force").exit_code == 0
    assert _mode(public) == 0o600


@pytest.mark.live
def test_qbit_export_of_a_passkey_torrent_is_0600(tmp_path, qbittorrent, config_file,
                                                  monkeypatch, umask):
    from tests.support.qbittorrent import make_torrent, use_qbit

    use_qbit(config_file, monkeypatch, qbittorrent)
    secret, secret_hash = make_torrent(tmp_path / "s", "secret.bin",
                                       announce="https://t.example/a1b2c3d4e5f6a7b8c9d0/announce")
    public, public_hash = make_torrent(tmp_path / "p", "public.bin")
    for torrent in (secret, public):
        run = invoke("qbit", "add", torrent, "--save-path", torrent.parent, "--stopped")
        assert run.exit_code == 0, run.stderr
    umask(0o027)
    assert invoke("qbit", "export", secret_hash, "-o", tmp_path / "s.torrent").exit_code == 0
    assert invoke("qbit", "export", public_hash, "-o", tmp_path / "p.torrent").exit_code == 0
    assert _mode(tmp_path / "s.torrent") == 0o600
    assert _mode(tmp_path / "p.torrent") == 0o640


# -- a write killed half-way -----------------------------------------------------------------

KILLED_AT_FSYNC = """
import os, signal, sys
from pathlib import Path
from mktint.core import paths
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
paths.atomic_write(Path(sys.argv[1]), b"new content")
"""


def test_temp_file_of_a_killed_write_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "book.torrent"
    target.write_bytes(b"old")
    killed = subprocess.run([sys.executable, "-c", KILLED_AT_FSYNC, str(target)],
                            env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    [left] = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert left.name.startswith(".book.torrent.") and target.read_bytes() == b"old"
    from mktint.core.paths import STALE_TEMP_AGE, atomic_write

    atomic_write(target, b"soon")  # a leftover younger than STALE_TEMP_AGE may be a live writer's
    assert left.exists()
    aged = time.time() - STALE_TEMP_AGE - 1
    os.utime(left, (aged, aged))
    other = tmp_path / ".other.torrent.abcdefgh.part"  # another file's: not ours to remove
    other.write_bytes(b"x")
    os.utime(other, (aged, aged))

    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "book.torrent"]


def test_temp_file_of_a_live_writer_is_kept(tmp_path):
    """A temporary file still locked by its writer (another process) is left alone."""
    import fcntl

    from mktint.core.paths import atomic_write

    busy = tmp_path / ".book.torrent.zzzzzzzz.part"
    busy.write_bytes(b"being written")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'rb'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)", str(busy)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        atomic_write(tmp_path / "book.torrent", b"mine")
        assert busy.exists()
    finally:
        holder.kill()
        holder.wait()
    assert fcntl  # the lock is what tells live from dead writers


# -- verify: many missing files ----------------------------------------------------------------

class CountingStr(str):
    """A path that counts how often it is compared or hashed."""

    calls = 0

    def __eq__(self, other):
        CountingStr.calls += 1
        return str.__eq__(self, other)

    def __hash__(self):
        CountingStr.calls += 1
        return str.__hash__(self)


def test_verify_report_is_linear_in_missing_files():
    n = 20_000
    paths = [CountingStr(f"d/{i}.mp3") for i in range(n)]
    result = VerifyResult(n, missing=paths, bad_pieces=list(range(n)), bad_files=list(paths),
                          wrong_size=[{"path": CountingStr("w.mp3"), "expected": 2, "actual": 1}])
    CountingStr.calls = 0
    rows = result.rows()
    assert len(rows) == n + 1 and rows[0] == ("missing", "d/0.mp3")
    assert CountingStr.calls <= 4 * n  # a list scan per file would be n * n / 2 = 2e8


def test_verify_with_many_missing_files_reports_each_once(tmp_path):
    n = 30_000
    files = [{"length": 1, "path": [f"d{i // 1000}", f"{i}.mp3"]} for i in range(n)]
    info = {"name": "Big", "piece length": 16384, "pieces": b"\0" * 40, "files": files}
    torrent = tmp_path / "big.torrent"
    torrent.write_bytes(bencode.encode({"info": info}))
    write_tree(tmp_path / "Big", {"d0/0.mp3": 1})
    run = invoke("torrent", "verify", torrent, tmp_path / "Big")
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert sum(line.startswith("missing\t") for line in lines) == n - 1
    assert sum(line.startswith("bad pieces\t") for line in lines) == 1
    assert f"{n - 1} file(s) missing" in run.stderr


# -- BEP 47 pad files and extra files ------------------------------------------------------------

def _hybrid(tmp_path: Path, files: dict[str, int]) -> tuple[Path, Path]:
    """A hybrid (v1 + v2) torrent made by libtorrent: pad files align every file to a piece."""
    lt = pytest.importorskip("libtorrent", reason="the test extra installs libtorrent")
    tree = write_tree(tmp_path / "Hybrid", files)
    storage = lt.file_storage()
    for rel in sorted(files):
        storage.add_file(f"Hybrid/{rel}", files[rel])
    with warnings.catch_warnings():  # the file_storage constructor is deprecated in 2.1
        warnings.simplefilter("ignore", DeprecationWarning)
        creator = lt.create_torrent(storage, 16384)
    lt.set_piece_hashes(creator, str(tmp_path))
    torrent = tmp_path / "hybrid.torrent"
    torrent.write_bytes(lt.bencode(creator.generate()))
    return torrent, tree


HYBRID_FILES = {"01.mp3": 40_000, "02.mp3": 70_001, "sub/cover.jpg": 5_000}


def test_pad_files_are_not_files(tmp_path):
    torrent, _ = _hybrid(tmp_path, HYBRID_FILES)
    raw = bencode.decode(torrent.read_bytes())[b"info"][b"files"]
    assert any(entry.get(b"attr") == b"p" for entry in raw)  # the oracle really padded
    meta = Metainfo.parse(torrent.read_bytes())
    assert not meta.is_v1_only
    assert [f.path for f in meta.files] == sorted(HYBRID_FILES)
    assert meta.total_size == sum(HYBRID_FILES.values())
    info = invoke("torrent", "info", torrent, "--json").json()
    assert [f["path"] for f in info["files"]] == sorted(HYBRID_FILES)


def test_verify_hashes_pad_files_as_zeros_and_reports_extra_files(tmp_path):
    torrent, tree = _hybrid(tmp_path, HYBRID_FILES)
    run = invoke("torrent", "verify", torrent, tree, "--json")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.json()["missing"] == [] and run.json()["extra"] == []

    (tree / "sub" / "notes.txt").write_text("not in the torrent")
    (tree / ".DS_Store").write_text("junk")
    run = invoke("torrent", "verify", torrent, tree)
    assert run.exit_code == 0, run.stderr  # extra files are reported, not a failure
    assert run.stdout.splitlines() == [f"complete\t{Metainfo.parse(torrent.read_bytes()).piece_count}"
                                       " pieces\tHybrid", "extra\t.DS_Store", "extra\tsub/notes.txt"]

    with open(tree / "02.mp3", "r+b") as f:
        f.seek(50_000)
        f.write(b"\xff")
    run = invoke("torrent", "verify", torrent, tree, "--json")
    assert run.exit_code == 1
    assert run.json()["bad_files"] == ["02.mp3"] and run.json()["missing"] == []


SAME_FILE_WRITER = """
import sys
from mktint.core.paths import atomic_write
for i in range(int(sys.argv[2])):
    atomic_write(sys.argv[1], b"%d" % i)
"""


def test_two_processes_writing_one_file_never_remove_each_others_temp_file(tmp_path):
    """The clean-up of a killed writer's temp file must not take a live writer's (created,
    not yet locked): that writer's rename would fail with FileNotFoundError."""
    target = tmp_path / "state.json"
    writers = [subprocess.Popen([sys.executable, "-c", SAME_FILE_WRITER, str(target), "400"],
                                env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.PIPE,
                                text=True) for _ in range(3)]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
