"""The one place where outcomes become exit statuses and errors become messages."""

from __future__ import annotations

import errno
import io
import os
import re
import sys
from typing import Callable

import click

from mktint.core import redact
from mktint.core.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, MktintError


def run_and_exit(run: Callable[[], object], state) -> None:
    sys.exit(run_for_status(run, state))


def run_for_status(run: Callable[[], object], state) -> int:
    try:
        result = run()
        return result if isinstance(result, int) else 0
    except MktintError as e:
        report(state, e.to_dict(), e.message, e.hint)
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        exit_code = e.exit_code if e.exit_code is not None else EXIT_USAGE
        if state.output.json:
            _json_error(state, {"code": "usage", "message": e.format_message(), "service": None})
        e.show()
        return exit_code
    except (click.Abort, KeyboardInterrupt):
        sys.stderr.write("\ninterrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        reader_gone()
        return 0
    except OSError as e:  # a stream or a file the command could not use
        message, hint, exit_code = describe_os_error(e)
        report(state, {"code": "usage" if exit_code == EXIT_USAGE else "failed",
                       "message": message, "service": None}, message, hint)
        return exit_code
    except Exception as e:  # a bug: one line, the traceback only with --debug
        if state.debug:
            import traceback

            sys.stderr.write(redact.redact(traceback.format_exc()))
        message = f"unexpected {type(e).__name__}: {e}"
        report(state, {"code": "internal", "message": redact.redact(message), "service": None},
               message, None if state.debug else "run with --debug for the traceback")
        return EXIT_FAILED


STDIN, STDOUT = "standard input", "standard output"  # OSError.filename of the streams


def reader_gone() -> None:
    """The reader of stdout went away (`mktint ... | head -1`): that is success, and the
    output still buffered must go nowhere, without "Exception ignored" at exit."""
    _silence_stdout()


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class ClosedStream(io.TextIOBase):
    """Stands in for a standard stream the shell closed (`>&-`, `<&-`): reading or
    writing it is an OSError naming it, not an AttributeError on ``None``. A closed
    stderr swallows what is written: there is nowhere to report anything."""

    def __init__(self, name: str, *, swallow: bool = False):
        super().__init__()
        self.stream_name, self.swallow = name, swallow

    def _closed(self, *_args):
        raise OSError(errno.EBADF, "it is closed", self.stream_name)

    def write(self, text):
        if self.swallow:
            return len(text)
        self._closed()

    read = readline = _closed

    def __iter__(self):
        self._closed()

    def isatty(self) -> bool:
        return False


def guard_streams() -> None:
    """Replace standard streams the shell closed (Python sets them to None)."""
    if sys.stdin is None:
        sys.stdin = ClosedStream(STDIN)
    if sys.stdout is None:
        sys.stdout = ClosedStream(STDOUT)
    if sys.stderr is None:
        sys.stderr = ClosedStream("standard error", swallow=True)


def describe_os_error(e: OSError) -> tuple[str, str | None, int]:
    """One line, a hint and an exit status for an OSError that reached the top."""
    reason = e.strerror.lower() if e.strerror else str(e)
    if e.errno == errno.ENAMETOOLONG:
        return (f"a file name is too long: {_short(e.filename)}", "give a shorter path",
                EXIT_USAGE)
    if e.filename == STDIN:
        return (f"cannot read {STDIN}: {reason}",
                "give the input on standard input, e.g. printf '%s\\n' \"$VALUE\" | mktint ...",
                EXIT_USAGE)
    if e.filename == STDOUT:
        _silence_stdout()  # else Python fails once more flushing it at exit
        return (f"cannot write to {STDOUT}: {reason}",
                "check where the output goes (a full disk, a closed descriptor)", EXIT_FAILED)
    where = f"{_short(e.filename)}: " if e.filename is not None else ""
    hint = {errno.ENOSPC: "free some space and run the command again",
            errno.EROFS: "choose a folder on a writable file system",
            errno.EACCES: "choose a folder you may write to, or fix its permissions"}.get(e.errno)
    return f"{where}{reason}", hint, EXIT_FAILED


def _short(name, limit: int = 80) -> str:
    text = os.fsdecode(name) if isinstance(name, bytes) else str(name)
    if len(text) <= limit:
        return text
    return f"{text[:limit // 2]}…{text[-limit // 4:]} ({len(text)} characters)"


def report(state, error: dict, message: str, hint: str | None) -> None:
    if state.output.json:
        _json_error(state, {**error, "message": _one_line(error["message"])})
    state.output.error(_one_line(message), hint)


def _one_line(message: str) -> str:
    """Over-long words cut to their ends — after redaction, which replaces whole secrets
    only: a secret cut first would show its pieces."""
    return _LONG_WORD.sub(lambda m: _short(m.group()), redact.redact(message))


_LONG_WORD = re.compile(r"[^\s:,;]{120,}")  # an over-long argument echoed back: one clear line


def _json_error(state, error: dict) -> None:
    import json

    sys.stderr.write(json.dumps({"error": redact.redact_obj(error)}) + "\n")
