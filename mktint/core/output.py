"""Rendering: data to stdout, everything else to stderr.

- ``--json``: one JSON object or array on stdout (stable snake_case keys, ISO-8601 times,
  sizes in bytes); streams are JSON Lines.
- On a terminal: rich tables and key/value panels.
- Piped without ``--json``: plain tab-separated lines with no header and raw values (bytes,
  ISO times), so ``cut``/``awk`` work; the column order is the table's.
- Progress, warnings and prompts go to stderr; progress bars only when stderr is a
  terminal (never in cron mail); ``NO_COLOR`` and ``--no-color`` are honoured.

rich is imported only when something is drawn for a person.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, TextIO

from mktint.core import redact
from mktint.core.errors import UsageError


def to_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    return value


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """JSON text of ``value`` with every registered secret masked. JSON escapes C0
    controls (ESC included) itself; the C1 and bidi controls it keeps raw are escaped too."""
    text = json.dumps(redact.redact_obj(to_jsonable(value)), indent=indent, ensure_ascii=False)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# Terminal control: C0 and C1 control characters (ESC starts colour, title, cursor and
# clipboard sequences; U+009B is a one-byte CSI) and the bidi overrides that make a name
# read backwards. Text from torrents and servers is shown with these made visible.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROLS}]")
_UNSAFE_OR_BREAK = re.compile(f"[{_CONTROLS}\t\n]")
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str, *, one_line: bool = False) -> str:
    """``text`` with terminal control characters shown as ``\\xNN`` (``\\uNNNN``)
    instead of acted on; ``one_line`` also escapes tabs and newlines (table cells)."""
    pattern = _UNSAFE_OR_BREAK if one_line else _UNSAFE
    return pattern.sub(_visible, text)


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# Hex digits of a torrent hash shown to people (tables, lines, watch events on a terminal);
# piped output and --json keep the whole hash. Commands accept any unique prefix of 6+.
SHORT_HASH = 8


def short_hash(value: str) -> str:
    return value[:SHORT_HASH]


ANSI = {"green": "32", "yellow": "33", "red": "31"}  # SGR foreground colours


@dataclass
class Column:
    key: str
    header: str
    format: Callable[[Any], str] | None = None  # for people; piped output stays raw
    justify: str = "left"
    # On a terminal narrower than the table: "fold" wraps the cell over lines, "keep" never
    # narrows the column (hashes, numbers, states), "ellipsis" cuts it to one line with "…".
    fit: str = "fold"


class Output:
    def __init__(self, *, stdout: TextIO | None = None, stderr: TextIO | None = None,
                 quiet: bool = False, no_color: bool = False):
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.quiet = quiet
        self.no_color = no_color or bool(os.environ.get("NO_COLOR"))
        self.json = False
        self._out_console = None
        self._err_console = None

    # -- terminals -------------------------------------------------------------------------

    @property
    def stdout_is_tty(self) -> bool:
        return _isatty(self.stdout)

    @property
    def stderr_is_tty(self) -> bool:
        return _isatty(self.stderr)

    def _console(self, stream: TextIO):
        from rich.console import Console

        return Console(file=stream, no_color=self.no_color, highlight=False, soft_wrap=True,
                       force_terminal=None if _isatty(stream) else False)

    @property
    def out_console(self):
        if self._out_console is None:
            self._out_console = self._console(self.stdout)
        return self._out_console

    @property
    def err_console(self):
        if self._err_console is None:
            self._err_console = self._console(self.stderr)
        return self._err_console

    # -- data on stdout --------------------------------------------------------------------

    def print_json(self, value: Any) -> None:
        self._write(dumps(value) + "\n")

    def json_line(self, value: Any) -> None:
        """One JSON Lines record (streams)."""
        self._write(dumps(value, indent=None) + "\n")

    def _write(self, text: str) -> None:
        """Write data to stdout; a failure names standard output (a full disk, a closed
        descriptor). A reader that went away stays a BrokenPipeError: that is success."""
        try:
            self.stdout.write(text)
            self.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OSError(e.errno, e.strerror, "standard output") from None

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        """``--json`` prints ``data``; otherwise ``human()`` draws it for people or pipes."""
        if self.json:
            self.print_json(data)
        else:
            human()

    def table(self, rows: Sequence[dict], columns: Sequence[Column], *, title: str | None = None) -> None:
        if not self.stdout_is_tty:  # one write, not one per row: 20,000 files print at once
            self._write(redact.redact("".join(
                "\t".join(_plain(row.get(c.key)) for c in columns) + "\n" for row in rows)))
            return
        from rich.table import Table

        from rich.text import Text

        table = Table(title=title, header_style=self._bold, box=None, pad_edge=False)
        for column in columns:
            # rich narrows only wrappable columns to fit the width; an "ellipsis" column stays
            # wrappable but its cells are one-line Text, so it is cut rather than wrapped.
            table.add_column(column.header, justify=column.justify, no_wrap=column.fit == "keep",
                             overflow="ellipsis" if column.fit == "ellipsis" else "fold")

        def cell(row: dict, column: Column):
            text = _cell(row.get(column.key), column.format)
            if column.fit != "ellipsis":
                return text
            one_line = Text.from_markup(text, overflow="ellipsis")
            one_line.no_wrap = True
            return one_line

        for row in rows:
            table.add_row(*(cell(row, c) for c in columns))
        self.out_console.print(table)

    def record(self, pairs: Iterable[tuple[str, Any]], *, title: str | None = None) -> None:
        """A key/value view of one object."""
        pairs = list(pairs)
        if not self.stdout_is_tty:
            for key, value in pairs:
                self.line(f"{key}\t{_plain(value)}")
            return
        from rich.table import Table

        table = Table(title=title, show_header=False, box=None, pad_edge=False)
        table.add_column(style=self._bold)
        table.add_column(overflow="fold")
        for key, value in pairs:
            table.add_row(key, _cell(value, None))
        self.out_console.print(table)

    def hash(self, value: str, *, err: bool = False) -> str:
        """A torrent hash for stdout (``err``: stderr): short on a terminal, whole otherwise."""
        return short_hash(value) if (self.stderr_is_tty if err else self.stdout_is_tty) else value

    @property
    def _bold(self) -> str:
        """Headers are bold, except with NO_COLOR/--no-color (which means no styling at all)."""
        return "" if self.no_color else "bold"

    def line(self, text: str = "") -> None:
        self._write(safe_text(redact.redact(text)) + "\n")

    # -- chatter on stderr -----------------------------------------------------------------

    def info(self, message: str) -> None:
        if not self.quiet:
            self._err(message)

    def success(self, message: str) -> None:
        if not self.quiet:
            self._err(message, style="green")

    def warn(self, message: str) -> None:
        self._err(f"warning: {message}", style="yellow")

    def error(self, message: str, hint: str | None = None) -> None:
        self._err(f"error: {message}", style="red")
        if hint:
            self._err(f"hint: {hint}")

    def _err(self, message: str, style: str | None = None) -> None:
        message = safe_text(redact.redact(message))
        if self.stderr_is_tty and not self.no_color and style:
            # Plain ANSI colour: loading rich (20–90 ms here, by load) is not worth one line.
            message = f"\x1b[{ANSI[style]}m{message}\x1b[0m"
        self.stderr.write(message + "\n")
        self.stderr.flush()

    def confirm(self, question: str, *, assume_yes: bool = False) -> bool:
        """Ask on a terminal; refuse (UsageError) when nobody can answer."""
        if assume_yes:
            return True
        if not (_isatty(sys.stdin) and self.stderr_is_tty):
            raise UsageError(f"{question} — cannot ask without a terminal",
                             hint="pass --yes to confirm non-interactively")
        import click

        return click.confirm(question, default=False, err=True)

    @contextlib.contextmanager
    def progress(self, description: str, total: float | None, *, unit: str = "bytes") -> Iterator["ProgressTask"]:
        """A transient progress bar on stderr when it is a terminal; otherwise nothing."""
        if not self.stderr_is_tty or self.quiet:
            yield ProgressTask(None, None)
            return
        from rich import progress as rp

        columns = [rp.TextColumn("{task.description}"), rp.BarColumn()]
        if unit == "bytes":
            columns += byte_columns()
        else:
            columns += [rp.MofNCompleteColumn()]
        columns += [rp.TimeRemainingColumn()]
        with rp.Progress(*columns, console=self.err_console, transient=True,
                         redirect_stdout=False, redirect_stderr=False) as bar:
            yield ProgressTask(bar, bar.add_task(description, total=total))


def byte_columns() -> list:
    """Progress columns for bytes done and speed, both in ``units.human_size``'s binary units
    (rich's own columns would mix GiB with MB/s)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    from mktint.core.units import human_size

    class Done(ProgressColumn):
        def render(self, task) -> Text:
            total = "?" if task.total is None else human_size(task.total)
            return Text(f"{human_size(task.completed)}/{total}", style="progress.download")

    class Speed(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("?" if speed is None else f"{human_size(speed)}/s", style="progress.data.speed")

    return [Done(), Speed()]


class ProgressTask:
    """What ``Output.progress`` yields: ``advance(n)`` is safe with or without a bar."""

    def __init__(self, bar, task_id):
        self._bar = bar
        self._task = task_id

    def advance(self, amount: float = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, amount)

    def update(self, **fields) -> None:
        if self._bar is not None:
            self._bar.update(self._task, **fields)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_plain(v) for v in value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return safe_text(redact.redact(value), one_line=True)


def _cell(value: Any, formatter: Callable[[Any], str] | None) -> str:
    from rich.markup import escape

    if formatter is not None and value is not None:
        return escape(safe_text(redact.redact(formatter(value)), one_line=True))
    if value is None or value == "":
        return "-"
    return escape(_plain(value))
