"""Tracker path rules, shared by torrent creation, upload preflight and fix-paths.

Gazelle refuses a file when ``mb_strlen(file path) + mb_strlen(folder) + 1 > limit``
(OPSnet/Gazelle and WhatCD/Gazelle ``sections/upload/upload_handle.php``): characters, not
bytes, and a path of exactly the limit is allowed. A single-file torrent has an empty
folder, so its name counts one more: a lone file named with exactly the limit is refused.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple, Sequence


class LongPath(NamedTuple):
    path: str  # as the tracker sees it: "Folder/sub/file.m4b"
    length: int  # as the tracker counts it (a single file's name + 1)
    limit: int


def tracker_path(name: str, parts: Sequence[str] | None) -> str:
    """The path a tracker measures: ``name/parts...``, or ``name`` for a single file."""
    return "/".join([name, *parts]) if parts else name


def long_paths(name: str, files: Iterable[Sequence[str]], limit: int) -> list[LongPath]:
    """Every file path the tracker finds longer than ``limit`` (``files``: path parts per
    file, ``()`` for a single-file torrent)."""
    found = []
    for parts in files:
        path = tracker_path(name, parts)
        counted = len(path) if parts else len(path) + 1  # folder "" + "/" + name
        if counted > limit:
            found.append(LongPath(path, counted, limit))
    return found


# -- file and folder names -------------------------------------------------------------------
#
# Two sets of rules, one per side of a torrent:
# - ``unsafe_part``: what the reader (``metainfo``) refuses in any torrent, because a path
#   part could leave the download folder or is not a name at all.
# - ``name_problem``: that, plus what the seeding client would rename. qBittorrent stores
#   files where libtorrent puts them, and libtorrent (src/torrent_info.cpp,
#   ``sanitize_append_path_element``, non-Windows build) drops ``\`` and the bidirectional
#   marks U+200E, U+200F, U+202A–U+202E, replaces every character below U+0020 with ``_``
#   and shortens a part longer than 240 bytes. A torrent naming such a file would point
#   its seeder at data that is not there. Creation refuses these names before hashing.
#   Characters only Windows clients or Transmission rewrite (``: ? < > * | "``, trailing
#   dots) are kept: a downloader's client may rename them on its own disk, which does not
#   stop the seeder (qBittorrent on Linux) from finding its data.

MAX_PART_BYTES = 240
# General category Cc is exactly U+0000–U+001F and U+007F–U+009F (a stable Unicode
# property); one regular expression per name instead of a category look-up per character
# (20,000 names: ≈ 40 ms of a 0.5 s create).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e]")


def unsafe_part(part: str) -> str | None:
    """Why the reader refuses the path part ``part``, or None."""
    if part in ("", ".", ".."):
        return "is empty, '.' or '..'"
    for char, what in (("/", "a slash"), ("\\", "a backslash"), ("\0", "a NUL byte")):
        if char in part:
            return f"holds {what}"
    return None


def name_problem(part: str) -> str | None:
    """Why a file or folder named ``part`` cannot go into a torrent, or None."""
    reason = unsafe_part(part)
    if reason:
        return reason
    if _CONTROL.search(part):
        return "holds a control character (tab, newline…)"
    if _BIDI_MARKS.search(part):
        return "holds a text-direction mark"
    if len(part.encode("utf-8", "surrogateescape")) > MAX_PART_BYTES:
        return f"is longer than {MAX_PART_BYTES} bytes"
    return None
