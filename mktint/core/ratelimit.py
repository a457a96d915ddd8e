"""A sliding-window rate limiter shared by every thread and every mktint process.

The window (the start times of the last ``limit`` requests, plus a "blocked until" time
set when a server answers 429) lives in a small JSON file in the state directory and is
read and written under an exclusive ``flock``. A shell loop of ``mktint red whoami``, or
four scripts started at once, therefore share one budget: the tracker never sees more
than ``limit`` requests in any ``period`` seconds.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from pathlib import Path
from typing import NamedTuple

from mktint.core import paths


class WaitTooLong(Exception):
    """Sending now would mean waiting ``wait`` seconds, more than the caller allows;
    ``blocked`` says whether a server's "slow down" (429) asked for it."""

    def __init__(self, wait: float, blocked: bool):
        super().__init__(f"would wait {wait:.1f} s")
        self.wait, self.blocked = wait, blocked


class Rate(NamedTuple):
    limit: int  # requests ...
    period: float  # ... per this many seconds


# A little slack for clock granularity. Lateness on the way to the server needs none:
# each request's period is counted from its answer (``finished``), and the server saw the
# request before it answered.
_MARGIN = 0.05


class RateLimiter:
    def __init__(self, key: str, rate: Rate, state_dir: Path | None = None, *, sleep=time.sleep,
                 clock=time.time):
        self.rate = rate
        directory = paths.ensure_private_dir((state_dir or paths.state_dir()) / "ratelimit")
        safe_key = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
        self.path = directory / f"{safe_key}.json"
        self._sleep = sleep
        self._clock = clock
        self._local = threading.local()  # the window entry of this thread's request

    def acquire(self, max_wait: float | None = None, on_wait=None) -> float:
        """Block until a request may be sent, and count it. Returns the seconds waited.

        A wait longer than ``max_wait`` raises :class:`WaitTooLong` at once (nothing is
        counted); ``on_wait(seconds, blocked)`` is told of each wait before it starts.
        """
        waited = 0.0
        while True:
            wait, blocked = self._try_acquire()
            if wait is None:
                return waited
            if max_wait is not None and wait > max_wait:
                raise WaitTooLong(wait, blocked)
            if on_wait is not None:
                on_wait(wait, blocked)
            self._sleep(wait)
            waited += wait
            if max_wait is not None:
                max_wait -= wait

    def finished(self, *, reached: bool = True) -> None:
        """The request counted by this thread's last ``acquire()`` got its answer (or failed).

        Its window entry moves from the moment it was allowed to now. The server saw the
        request somewhere in between, so counting the period from the answer keeps the
        server's own window within the limit even when a request left late (a loaded
        machine, many processes at once) or travelled slowly. A request that never
        reached the server (connection refused) gives its slot back.
        """
        stamp = getattr(self._local, "stamp", None)
        if stamp is None:
            return
        self._local.stamp = None
        with self._locked() as state:
            sent = state.get("sent", [])
            if stamp in sent:
                if reached:
                    sent[sent.index(stamp)] = max(stamp, self._clock())
                    sent.sort()
                else:
                    sent.remove(stamp)

    def block_for(self, seconds: float) -> None:
        """The server said "slow down" (429 Retry-After): nobody sends before then."""
        with self._locked() as state:
            until = self._clock() + seconds
            state["blocked_until"] = max(state.get("blocked_until", 0.0), until)

    def _try_acquire(self) -> tuple[float | None, bool]:
        """Count a request and return (None, False), or return how long to wait before
        trying again and whether a server's block is the reason."""
        with self._locked() as state:
            now = self._clock()
            blocked = state.get("blocked_until", 0.0) - now
            if blocked > 0:
                return blocked, True
            window = [t for t in state.get("sent", []) if now - t < self.rate.period + _MARGIN]
            state["sent"] = window
            if len(window) >= self.rate.limit:
                # At least a millisecond: float rounding must never turn a wait into a pass.
                return max(0.001, window[-self.rate.limit] + self.rate.period + _MARGIN - now), False
            window.append(now)
        self._local.stamp = now  # counted once the window is written
        return None, False

    def _locked(self):
        return _LockedState(self.path)


class _LockedState:
    """``with _LockedState(path) as state:`` — read, let the caller change, write back
    (when changed)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> dict:
        import json  # here, not at the top: config validation imports this module (``Rate``)

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        raw = b""
        while chunk := os.read(self.fd, 65536):
            raw += chunk
        self.raw = raw
        try:
            self.state = json.loads(raw) if raw else {}
        except ValueError:
            self.state = {}  # a damaged window file only forgets history
        return self.state

    def __exit__(self, exc_type, exc, tb) -> None:
        import json

        try:
            if exc_type is None and (data := json.dumps(self.state).encode()) != self.raw:
                self._rewrite(data)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)

    def _rewrite(self, data: bytes) -> None:
        """Write over the old bytes, then cut the rest: a window rewritten in its own space
        needs no new disk block, so it keeps working on a full disk. A write that cannot be
        completed puts the old bytes back (they fitted) and names the file."""
        try:
            if os.pwrite(self.fd, data, 0) != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            os.ftruncate(self.fd, len(data))
        except OSError as e:
            os.pwrite(self.fd, self.raw, 0)
            os.ftruncate(self.fd, len(self.raw))
            raise OSError(e.errno, e.strerror, str(self.path)) from None
