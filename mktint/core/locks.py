"""Cross-process "one at a time" locks (``flock``), the project's one way to take them.

- ``held(path)`` waits for an exclusive lock on the file ``path`` (created 0600) for the
  ``with`` block: for short critical sections (a read-modify-write of a state file, a
  login, one use of a rotating secret).
- ``exclusive(name, busy)`` holds a lock on ``<state>/locks/NAME.lock`` but refuses instead
  of waiting: when another process holds it, :class:`OperationFailed` (exit 1) with the
  ``busy`` message is raised at once (one upload, one publish run).

The kernel drops a lock when its holder exits, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from typing import Iterator

from mktint.core import paths
from mktint.core.errors import OperationFailed


@contextlib.contextmanager
def held(path) -> Iterator[None]:
    """Wait for the exclusive lock on ``path`` and hold it for the ``with`` block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def lock_path(name: str):
    return paths.state_dir() / "locks" / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".lock")


@contextlib.contextmanager
def exclusive(name: str, busy: str, *, hint: str | None = None) -> Iterator[None]:
    path = lock_path(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OperationFailed(busy, hint=hint) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
