"""`mktint publish` on a full disk (issue #21): one clear line, exit 1, no partial file, and
never an upload that mktint could not record. A small full tmpfs stands in for the disk."""

from __future__ import annotations

from tests.support.cli import invoke
from tests.support.fulldisk import full_tmpfs


def _uploads(world) -> list[str]:
    return [p for p in world.red.request_paths if "action=upload" in p]


def _one_clear_line(run) -> str:
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "OSError" not in run.stderr
    [error] = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: /") and error.endswith(": no space left on device")  # which file
    return error


def test_a_full_output_folder_stops_before_the_upload(world, book, tmp_path):
    with full_tmpfs(tmp_path / "out") as out:
        run = invoke("publish", book, "--to", "red", "--yes", "-o", out)
        assert ".red.torrent" in _one_clear_line(run)
        assert sorted(p.name for p in out.iterdir()) == ["filler"]  # nothing half-written
    assert _uploads(world) == []


def test_a_full_state_folder_sends_no_upload(world, book, tmp_path, monkeypatch):
    """The state folder holds what keeps requests and uploads counted (rate-limit windows,
    the publish journal): publish stops at the first of them it cannot write, before any
    upload, and names the file."""
    with full_tmpfs(tmp_path / "state") as state:
        monkeypatch.setenv("XDG_STATE_HOME", str(state))
        run = invoke("publish", book, "--to", "red", "--yes", "-o", tmp_path / "out")
        _one_clear_line(run)
    assert _uploads(world) == []
