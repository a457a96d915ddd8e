"""What a person sees on an 80-column terminal (issue 24): short hashes, no line wrapped;
piped output keeps the whole hash. Real qbittorrent-nox, real pseudo-terminal."""

from __future__ import annotations

import uuid

from mktint.core.output import SHORT_HASH
from tests.qbit.helpers import added
from tests.qbit.terminal import Terminal, run_in_terminal
from tests.support.cli import invoke

LONG = "A Very Long Audiobook Title That Goes On And On - Book Seven of the Endless Saga (Unabridged)"


def test_list_on_80_columns_shows_short_hashes_and_one_line_per_torrent(qb, tmp_path):
    tag = f"wide-{uuid.uuid4().hex[:6]}"
    a, _ = added(tmp_path, "--tags", f"{tag},another-rather-long-tag", "--rename", LONG)
    b, _ = added(tmp_path, "--tags", tag, "--category", "")
    shown = run_in_terminal("qbit", "list", "--tag", tag, columns=80)
    assert shown.exit_code == 0, shown.text
    lines = shown.text.splitlines()
    assert lines[0].split()[:3] == ["HASH", "NAME", "STATE"]
    assert len(lines) == 3, shown.text  # header + one line per torrent: nothing wrapped
    assert all(len(line) <= 80 for line in lines), shown.text
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {a[:SHORT_HASH], b[:SHORT_HASH]}
    assert a not in shown.text and b not in shown.text
    assert f"  {LONG[:4]}" in rows[a[:SHORT_HASH]] and "…" in rows[a[:SHORT_HASH]]  # cut, not wrapped
    # the short hash works as an argument
    assert invoke("qbit", "info", a[:SHORT_HASH], "--json").json()["hash"] == a
    # piped: whole hashes, whole names
    piped = invoke("qbit", "list", "--tag", tag)
    assert {line.split("\t")[0] for line in piped.stdout.splitlines()} == {a, b}
    assert LONG in piped.stdout


def test_watch_on_a_terminal_prints_the_same_short_hash(qb, tmp_path):
    terminal = Terminal("qbit", "watch", "--interval", "0.2")
    terminal.expect("watching")
    infohash, _ = added(tmp_path)
    terminal.expect(" added ")
    terminal.send("\x03")  # Ctrl-C
    assert terminal.finish() == 0
    line = next(line for line in terminal.text.splitlines() if " added " in line)
    assert f"  {infohash[:SHORT_HASH]}  " in line and infohash not in terminal.text
