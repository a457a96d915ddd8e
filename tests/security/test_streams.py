"""Broken streams, hostile sizes, over-long arguments and terminal escapes: one clear line
and the right exit code, never a traceback, a MemoryError or an escape acted on. Real
mktint processes with real closed descriptors, /dev/full, /dev/zero and pipes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.emulators import bencode
from tests.gazelle.conftest import KEYS
from tests.gazelle.test_cli import upload_args
from tests.support.cli import REPO, run_subprocess


def mktint(*args: str, redirect: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    """Run mktint through bash, so that ``redirect`` (`>&-`, `<&-`, `>/dev/full`) and pipes
    are the shell's own."""
    command = " ".join([f"{sys.executable!r} -m mktint", *(repr(str(a)) for a in args), redirect])
    return subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True,
                          text=True, timeout=120, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


def one_clear_line(proc: subprocess.CompletedProcess, fragment: str) -> None:
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and fragment in errors[0], proc.stderr
    assert not errors[0].startswith("error: unexpected "), errors[0]  # not reported as a bug
    assert len(errors[0]) < 200, errors[0]
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr


@pytest.fixture
def many_files_torrent(tmp_path):
    """A .torrent with 20,000 files: its listing is far larger than a pipe's buffer."""
    path = tmp_path / "many.torrent"
    path.write_bytes(bencode.make_torrent("many", [([f"{i:05}.mp3"], 1000) for i in range(20000)]))
    return path


def test_a_closed_stdout_is_one_clear_line_and_exit_1():
    proc = mktint("config", "show", redirect=">&-")
    assert proc.returncode == 1
    one_clear_line(proc, "cannot write to standard output: it is closed")


@pytest.mark.parametrize("json_flag", [(), ("--json",)])
def test_a_full_stdout_is_one_clear_line_and_exit_1(json_flag):
    proc = mktint("config", "show", *json_flag, redirect=">/dev/full")
    assert proc.returncode == 1
    one_clear_line(proc, "cannot write to standard output: no space left on device")


@pytest.mark.parametrize("json_flag", [(), ("--json",)])
def test_head_1_exits_0_whatever_the_output_size(many_files_torrent, json_flag):
    proc = mktint("torrent", "info", many_files_torrent, *json_flag, redirect="| head -1")
    assert proc.returncode == 0, proc.stderr  # pipefail: mktint's own status
    assert proc.stderr == "" and len(proc.stdout.splitlines()) == 1


def test_a_closed_stdin_for_with_token_is_a_usage_error():
    proc = mktint("auth", "login", "red", "--with-token", redirect="<&-")
    assert proc.returncode == 2
    one_clear_line(proc, "cannot read standard input: it is closed")


def test_a_closed_stdin_for_dash_is_a_usage_error(config_file):
    config_file('[services.qbittorrent]\nurl = "http://127.0.0.1:9"\n')
    proc = mktint("qbit", "stop", "-", redirect="<&-")
    assert proc.returncode == 2
    one_clear_line(proc, "cannot read standard input: it is closed")


def test_a_token_from_dev_zero_is_refused_not_read_whole():
    proc = mktint("auth", "login", "red", "--with-token", redirect="</dev/zero")
    assert proc.returncode == 2
    one_clear_line(proc, "the API_KEY on stdin is longer than 64 KiB")


def test_a_torrent_from_dev_zero_is_refused_not_read_whole():
    proc = mktint("torrent", "info", "/dev/zero")
    assert proc.returncode == 2
    one_clear_line(proc, "/dev/zero is larger than 102,400 KiB, too large for a .torrent file")


def test_a_description_file_from_dev_zero_is_refused(tmp_path, monkeypatch):
    torrent = tmp_path / "book.torrent"
    torrent.write_bytes(bencode.make_torrent("Jane Doe - A Quiet Book", [(["01.mp3"], 5000)],
                                             source="RED"))
    monkeypatch.setenv("MKTINT_RED_API_KEY", KEYS["red"])
    args = [a for a in upload_args("red", torrent, "--dry-run")
            if a not in ("--description", "A quiet book, read aloud.")]
    proc = mktint(*args, "--description-file", "/dev/zero")
    assert proc.returncode == 2
    one_clear_line(proc, "/dev/zero is larger than 1,024 KiB, too large for --description-file")


def test_an_over_long_argument_is_one_clear_line():
    proc = mktint("torrent", "info", "a" * 5000)
    assert proc.returncode in (1, 2)
    one_clear_line(proc, "(5000 characters)")


@pytest.mark.skipif(os.geteuid() != 0, reason="root ignores mode bits; /proc is read-only to root")
def test_a_state_folder_that_cannot_be_written_is_one_clear_line(tmp_path):
    """The rate limiter keeps its window in the state folder: a read-only one is exit 1."""
    from tests.support.httpserver import free_port

    env = {"XDG_STATE_HOME": "/proc/mktint-state", "MKTINT_RED_API_KEY": KEYS["red"],
           "MKTINT_RED_URL": f"http://127.0.0.1:{free_port()}"}
    proc = mktint("red", "whoami", env=env)
    assert proc.returncode == 1
    one_clear_line(proc, "/proc/mktint-state")


def test_escape_sequences_in_a_torrent_name_are_not_sent_to_the_terminal(tmp_path):
    evil = "Book\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil"
    path = tmp_path / "evil.torrent"
    path.write_bytes(bencode.make_torrent(evil, [([f"{evil}.mp3"], 1000)]))
    for args in (["torrent", "info", path], ["torrent", "info", path, "--json"]):
        run = run_subprocess(*args)
        assert run.exit_code == 0, run.stderr
        for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert raw not in run.stdout + run.stderr, args
    assert "Book\\x1b]0;owned\\x07" in run_subprocess("torrent", "info", path).stdout
    assert run.json()["name"] == evil  # JSON escapes them and keeps the value exact


@pytest.mark.parametrize("as_json", [False, True])
def test_a_long_word_holding_a_secret_is_redacted_before_it_is_shortened(as_json, capsys):
    """Long words are cut to their ends in messages; cutting first left pieces of a secret
    that the redactor, which replaces whole secrets, no longer recognised."""
    import io
    from types import SimpleNamespace

    from mktint.cli.errors import report
    from mktint.core import redact
    from mktint.core.output import Output

    passkey = "0123456789abcdef0123456789abcdef"
    redact.register(passkey)
    url = f"https://flacsfor.me/{passkey}/announce?" + "x" * 150
    stderr = io.StringIO()
    output = Output(stderr=stderr)
    output.json = as_json
    report(SimpleNamespace(output=output), {"code": "failed", "message": f"bad {url}", "service": None},
           f"bad {url}", None)
    shown = stderr.getvalue() + capsys.readouterr().err
    assert "characters)" in shown  # the long word was shortened ...
    assert not any(passkey[i:i + 8] in shown for i in range(len(passkey) - 7)), shown  # ... after redaction
