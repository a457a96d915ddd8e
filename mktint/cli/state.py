"""What every command gets through the click context: global flags, output, factory."""

from __future__ import annotations

import logging
import os
from functools import cached_property


class AppState:
    def __init__(self) -> None:
        self.config_path: str | None = None
        self.debug = bool(os.environ.get("MKTINT_DEBUG"))
        self.quiet = False
        self.no_color = False

    def configure(self, *, config_path: str | None, debug: bool, quiet: bool, no_color: bool) -> None:
        self.config_path = config_path
        self.debug = debug or self.debug
        self.quiet = quiet
        self.no_color = no_color
        if self.debug:
            _enable_debug_trace()

    @cached_property
    def output(self):
        from mktint.core.output import Output

        return Output(quiet=self.quiet, no_color=self.no_color)

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
