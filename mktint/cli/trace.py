"""What the library logs, shown on this run's stderr (services never print).

Notices (``mktint.notice``: why a command is waiting) are shown once the factory exists —
everything that can log one is built by it. ``--debug`` adds a trace of every
``mktint`` logger, secrets masked. This is the CLI's only module that imports logging,
so a completion or ``--help`` does not pay for it.
"""

from __future__ import annotations

import logging
import sys

from mktint.core.redact import RedactingFilter


class NoticeHandler(logging.Handler):
    """Shows ``mktint.notice`` records as warnings or ``note:`` lines of ``state.output``."""

    def __init__(self, state) -> None:
        super().__init__(logging.INFO)
        self.state = state

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.state.output.warn(record.getMessage())
        else:
            self.state.output.info(f"note: {record.getMessage()}")


def show_notices(state) -> None:
    """Route ``mktint.notice`` records to ``state``'s output (the latest run's only)."""
    logger = logging.getLogger("mktint.notice")
    logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, NoticeHandler)]
    logger.addHandler(NoticeHandler(state))
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the --debug trace would print it a second time


class DebugHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (tests swap it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        self.addFilter(RedactingFilter())

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def enable_debug_trace() -> None:
    logger = logging.getLogger("mktint")
    if not any(isinstance(h, DebugHandler) for h in logger.handlers):
        logger.addHandler(DebugHandler())
    logger.setLevel(logging.DEBUG)
