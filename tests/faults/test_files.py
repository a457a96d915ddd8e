"""Files under real processes: `torrent create` killed while hashing, and a file changed by
another process while it is hashed. (In-process variants with hooks, and the read-only
output folder, are in tests/torrent/test_cli_torrent.py.)

The data is a sparse file: big enough that hashing takes a while, free to create. The test
waits until the mktint process has the file open (``/proc/PID/fd``) — an event, not a
timer — and then acts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import REPO, interruptible

SPARSE_SIZE = 2 * 1024**3  # seconds of hashing on this machine; the tests stop it early
WAIT_LIMIT = 60.0  # a bound for a hung test, not a timing assertion


def start_create(data: Path, output: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "mktint", "torrent", "create", str(data), "-o", str(output),
         "--piece-size", "4MiB", "--json"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=interruptible)


def wait_until_reading(proc: subprocess.Popen, data: Path) -> None:
    """Return once ``proc`` has ``data`` open for hashing."""
    fd_dir = Path(f"/proc/{proc.pid}/fd")
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"create finished before it could be interrupted: {proc.communicate()}")
        try:
            if any(os.readlink(fd) == str(data) for fd in fd_dir.iterdir()):
                return
        except OSError:  # an fd closed while we looked
            pass
        time.sleep(0.005)
    proc.kill()
    pytest.fail("create never opened the data file")


@pytest.fixture
def big_file(tmp_path) -> Path:
    data = tmp_path / "data" / "Big Book.m4b"
    data.parent.mkdir()
    with open(data, "wb") as f:
        f.truncate(SPARSE_SIZE)
    return data


def test_create_killed_while_hashing_leaves_no_torrent(big_file, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / "Big Book.torrent"
    proc = start_create(big_file, output)
    wait_until_reading(proc, big_file)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=WAIT_LIMIT)
    assert proc.returncode == -signal.SIGKILL
    assert not output.exists()
    # The .torrent is written only after hashing, through a temporary file: nothing at all
    # is left in the output folder (a kill during that last write could leave one
    # `.Big Book.torrent.*.part` file — never a partial .torrent at the output path).
    assert list(out_dir.iterdir()) == []


def test_create_interrupted_while_hashing_exits_130_and_leaves_nothing(big_file, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = start_create(big_file, out_dir / "Big Book.torrent")
    wait_until_reading(proc, big_file)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=WAIT_LIMIT)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []


def test_file_cut_short_by_another_process_while_hashing_is_detected(big_file, tmp_path):
    # (A file that grows or is touched is caught by the size/mtime check after it is read:
    # tests/torrent/test_create.py::test_file_changed_during_hashing_aborts.)
    output = tmp_path / "out.torrent"
    proc = start_create(big_file, output)
    wait_until_reading(proc, big_file)
    os.truncate(big_file, 0)  # another program rewrites the file while mktint hashes
    stdout, stderr = proc.communicate(timeout=WAIT_LIMIT)
    assert proc.returncode == 1, stderr
    assert "changed while it was being hashed" in stderr and "Traceback" not in stderr
    assert stdout == "" and not output.exists()


# Tests run as root, and root may write into any folder whatever its mode bits: a
# read-only folder must come from a read-only *file system*. /proc and /sys are mounted in
# every Linux container and refuse new files even to root. (As another user, a 0555
# folder does the same: tests/torrent/test_cli_torrent.py::test_read_only_output_folder_fails_cleanly.)
READ_ONLY_FOLDERS = [Path("/proc"), Path("/sys")] if os.geteuid() == 0 else []


@pytest.mark.skipif(not READ_ONLY_FOLDERS, reason="needs root: see the comment above")
@pytest.mark.parametrize("folder", READ_ONLY_FOLDERS, ids=str)
@pytest.mark.parametrize("command", ["create", "retarget"])
def test_writers_into_a_read_only_file_system_fail_cleanly(command, folder, tmp_path):
    from tests.support.cli import invoke
    from tests.support.qbittorrent import make_torrent

    torrent, _ = make_torrent(tmp_path / "data", "ro-check.bin")
    target = folder / "mktint-ro-check.torrent"
    args = (["torrent", "create", tmp_path / "data" / "ro-check.bin"] if command == "create"
            else ["torrent", "retarget", torrent, "--source", "OPS"])
    run = invoke(*args, "-o", target, "--json")
    assert run.exit_code == 1, run.stderr
    error = run.error_json()
    assert "cannot write" in error["message"] and str(folder) in error["message"]
    assert error.get("hint") and "Traceback" not in run.stderr
    assert not target.exists()
