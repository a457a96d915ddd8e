"""Tracker path rules, shared by torrent creation, upload preflight and fix-paths.

RED counts ``len(torrent folder name) + 1 + len(file path inside it)`` in characters (not
bytes); a path of exactly the limit is allowed. A single-file torrent's path is its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class LongPath:
    path: str  # as the tracker sees it: "Folder/sub/file.m4b"
    length: int
    limit: int


def tracker_path(name: str, parts: Sequence[str] | None) -> str:
    """The path a tracker measures: ``name/parts...``, or ``name`` for a single file."""
    return "/".join([name, *parts]) if parts else name


def long_paths(name: str, files: Iterable[Sequence[str]], limit: int) -> list[LongPath]:
    """Every file path longer than ``limit`` characters (``files``: path parts per file)."""
    found = []
    for parts in files:
        path = tracker_path(name, parts)
        if len(path) > limit:
            found.append(LongPath(path, len(path), limit))
    return found
