"""Run ``python -m mktint`` on a real pseudo-terminal (stdin, stdout and stderr a tty) of a
given width: what a person sees, prompts included."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

from tests.support.cli import REPO, interruptible

LIMIT = 60.0  # a bound on waiting, not a timing assertion
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    def __init__(self, *args, columns: int = 80, env: dict | None = None):
        environ = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": str(columns), "LINES": "24",
                   "TERM": "xterm", **(env or {})}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: its stdin, stdout and stderr are the terminal
            try:
                os.chdir(REPO)
                interruptible()  # the test's Ctrl-C must reach it, even from a background job
                os.execve(sys.executable, [sys.executable, "-m", "mktint", *map(str, args)], environ)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.raw = b""
        self.exit_code: int | None = None

    @property
    def text(self) -> str:
        """Everything shown so far, colours stripped, lines ending in \\n."""
        return ANSI.sub("", self.raw.decode("utf-8", "replace")).replace("\r\n", "\n").replace("\r", "")

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        self.raw += chunk
        return bool(chunk)

    def expect(self, pattern: str) -> None:
        deadline = time.monotonic() + LIMIT
        while pattern not in self.text:
            if not self._read(0.2) or time.monotonic() > deadline:
                raise AssertionError(f"never showed {pattern!r}: {self.text!r}")

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def finish(self) -> int:
        deadline = time.monotonic() + LIMIT
        while self._read(0.2):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                break
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.exit_code = os.waitstatus_to_exitcode(status)
        return self.exit_code


def run_in_terminal(*args, columns: int = 80, env: dict | None = None) -> Terminal:
    """Run to the end; ``.text`` and ``.exit_code`` tell what happened."""
    terminal = Terminal(*args, columns=columns, env=env)
    terminal.finish()
    return terminal
