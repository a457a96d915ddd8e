"""Waiting for qBittorrent: ask again after pauses that double, never past a deadline."""

from __future__ import annotations

import time


class Poll:
    def __init__(self, seconds: float, first: float, most: float):
        self.deadline = time.monotonic() + seconds
        self.delay = first
        self.most = most

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def pause(self) -> None:
        time.sleep(min(self.delay, max(0.0, self.deadline - time.monotonic())))
        self.delay = min(self.most, self.delay * 2)
