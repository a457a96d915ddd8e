"""What every command gets through the click context: global flags, output, factory."""

from __future__ import annotations

import logging
import os
from functools import cached_property


class AppState:
    """The global flags, set by their option callbacks in whatever order they are parsed.

    The flags may be given before or after the subcommand (see ``mktint.cli.options``), so
    a setter can run after ``output`` exists: each setter updates it too.
    """

    def __init__(self) -> None:
        self.config_path: str | None = None
        self.debug = bool(os.environ.get("MKTINT_DEBUG"))
        self.quiet = False
        self.no_color = False
        self.json = False
        if self.debug:
            _enable_debug_trace()

    def set_flag(self, name: str, value) -> None:
        """Turn on one global flag (``config_path``, ``debug``, ``quiet``, ``no_color``, ``json``)."""
        setattr(self, name, value)
        if name == "debug":
            _enable_debug_trace()
        if "output" in self.__dict__:
            self.output.quiet = self.quiet
            self.output.no_color = self.output.no_color or self.no_color
            self.output.json = self.json

    @cached_property
    def output(self):
        from mktint.core.output import Output

        out = Output(quiet=self.quiet, no_color=self.no_color)
        out.json = self.json
        return out

    @cached_property
    def factory(self):
        from mktint.core.factory import Factory

        return Factory(self.config_path)

    def close(self) -> None:
        if "factory" in self.__dict__:
            self.factory.close()


class _DebugHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (tests swap it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))

    @property
    def stream(self):
        import sys

        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _enable_debug_trace() -> None:
    from mktint.core.redact import RedactingFilter

    logger = logging.getLogger("mktint")
    if not any(isinstance(h, _DebugHandler) for h in logger.handlers):
        handler = _DebugHandler()
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
