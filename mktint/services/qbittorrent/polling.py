"""Waiting for qBittorrent: ask again after pauses that double, never past a deadline."""

from __future__ import annotations

import time


class Poll:
    """Pauses of ``first`` seconds for the first ``hold`` seconds, then doubling up to
    ``most``; none past ``seconds`` from now."""

    def __init__(self, seconds: float, first: float, most: float, hold: float = 0.0):
        now = time.monotonic()
        self.deadline = now + seconds
        self.hold_until = now + hold
        self.delay = first
        self.most = most

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def pause(self) -> None:
        time.sleep(min(self.delay, max(0.0, self.deadline - time.monotonic())))
        if time.monotonic() >= self.hold_until:
            self.delay = min(self.most, self.delay * 2)
