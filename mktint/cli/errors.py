"""The one place where outcomes become exit statuses and errors become messages."""

from __future__ import annotations

import json
import logging
import os
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
        # The reader went away (`mktint ... | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as e:  # a bug: one line, the traceback only with --debug
        if state.debug:
            import traceback

            sys.stderr.write(redact.redact(traceback.format_exc()))
        message = f"unexpected {type(e).__name__}: {e}"
        report(state, {"code": "internal", "message": redact.redact(message), "service": None},
               message, None if state.debug else "run with --debug for the traceback")
        return EXIT_FAILED


class _NoticeHandler(logging.Handler):
    """Shows the library's notices (``mktint.notice``: why a command is waiting) on stderr."""

    def __init__(self, state) -> None:
        super().__init__(logging.INFO)
        self.state = state

    def emit(self, record: logging.LogRecord) -> None:
        self.state.output.info(f"note: {record.getMessage()}")


def show_notices(state) -> None:
    """Route ``mktint.notice`` records to this run's stderr (services never print)."""
    logger = logging.getLogger("mktint.notice")
    logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, _NoticeHandler)]
    logger.addHandler(_NoticeHandler(state))
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the --debug trace would print it a second time


def report(state, error: dict, message: str, hint: str | None) -> None:
    if state.output.json:
        _json_error(state, error)
    state.output.error(message, hint)


def _json_error(state, error: dict) -> None:
    sys.stderr.write(json.dumps({"error": redact.redact_obj(error)}) + "\n")
