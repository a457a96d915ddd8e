"""What every command gets through the click context: global flags, output, factory."""

from __future__ import annotations

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
        from mktint.cli.trace import show_notices
        from mktint.core.factory import Factory

        show_notices(self)  # the factory builds everything that can log a notice
        return Factory(self.config_path)

    def close(self) -> None:
        if "factory" in self.__dict__:
            self.factory.close()


def _enable_debug_trace() -> None:
    from mktint.cli.trace import enable_debug_trace

    enable_debug_trace()
