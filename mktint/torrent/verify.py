"""Checking data on disk against a torrent's piece hashes.

``data_path`` is the torrent's content itself: the file of a single-file torrent (or the
folder holding that file), or the folder (named like the torrent, or not) that holds the
files of a multi-file torrent.
Missing files read as zeros and files of the wrong size are read up to their expected size,
so every piece touching them counts as bad; the rest is hashed with the same reader and
worker pool as ``create``. BEP 47 pad files are zeros in the piece stream: never looked
for on disk, never listed. Files in a multi-file torrent's folder that the torrent does not
list are reported as ``extra`` (not a failure). Every step is linear in the number of files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Callable

from mktint.torrent.hashing import Source, hash_pieces
from mktint.torrent.metainfo import Metainfo, MetainfoError

MAX_VERIFY_PIECE_LENGTH = 256 * 1024 * 1024  # buffers are piece-sized


@dataclass
class VerifyResult:
    piece_count: int
    missing: list[str] = field(default_factory=list)
    wrong_size: list[dict] = field(default_factory=list)  # {path, expected, actual}
    bad_pieces: list[int] = field(default_factory=list)
    bad_files: list[str] = field(default_factory=list)  # files touching a bad piece
    extra: list[str] = field(default_factory=list)  # in the folder, not in the torrent

    @property
    def complete(self) -> bool:
        return not (self.missing or self.wrong_size or self.bad_pieces)

    def to_dict(self) -> dict:
        return {"complete": self.complete, "piece_count": self.piece_count,
                "bad_piece_count": len(self.bad_pieces), "missing": self.missing,
                "wrong_size": self.wrong_size, "bad_files": self.bad_files,
                "bad_pieces": self.bad_pieces, "extra": self.extra}

    def rows(self) -> list[tuple[str, str]]:
        """``(what, text)`` per finding, for people: missing, wrong size, bad pieces, extra."""
        rows = [("missing", path) for path in self.missing]
        rows += [("wrong size", f"{w['path']}\t{w['actual']} bytes, expected {w['expected']}")
                 for w in self.wrong_size]
        named = set(self.missing).union(w["path"] for w in self.wrong_size)
        rows += [("bad pieces", path) for path in self.bad_files if path not in named]
        return rows + [("extra", path) for path in self.extra]


def verify(metainfo: Metainfo, data_path: str | os.PathLike, *, threads: int | None = None,
           progress: Callable[[int], None] | None = None) -> VerifyResult:
    if metainfo.piece_length > MAX_VERIFY_PIECE_LENGTH:
        raise MetainfoError(f"piece length {metainfo.piece_length} is larger than "
                            f"{MAX_VERIFY_PIECE_LENGTH} bytes: refusing to verify")
    root = os.fspath(data_path)
    result = VerifyResult(metainfo.piece_count)
    feed: list[Source] = []
    if metainfo.is_single_file and os.path.isdir(root):
        root = os.path.join(root, *metainfo.files[0].path.split("/"))  # the folder holding it
    for f in metainfo.layout:
        if f.pad:
            feed.append(Source(None, f.length))  # zeros by definition
            continue
        path = root if metainfo.is_single_file else os.path.join(root, *f.parts)
        try:
            st = os.stat(path)
            size = st.st_size if stat.S_ISREG(st.st_mode) else None
        except OSError:
            size = None
        if size is None:
            result.missing.append(f.path)
            feed.append(Source(None, f.length))
            continue
        if size != f.length:
            result.wrong_size.append({"path": f.path, "expected": f.length, "actual": size})
        feed.append(Source(path, f.length, available=None if size == f.length else size))
    if not metainfo.is_single_file:
        result.extra = _extra_files(root, metainfo)
    if len(result.missing) == len(metainfo.files):  # nothing on disk: nothing to read
        result.bad_pieces = list(range(metainfo.piece_count))
        result.bad_files = [f.path for f in metainfo.files if f.length]
        return result
    digests = hash_pieces(feed, metainfo.piece_length, threads=threads, progress=progress)
    result.bad_pieces = [i for i in range(metainfo.piece_count)
                         if digests[i * 20:i * 20 + 20] != metainfo.piece_hash(i)]
    result.bad_files = _files_touching(metainfo, result.bad_pieces)
    return result


def _extra_files(root: str, metainfo: Metainfo) -> list[str]:
    """Files under ``root`` the torrent does not list, as ``a/b`` paths, sorted.

    Symlinked folders are not entered (no loops); a link to a file counts as a file.
    """
    listed = {f.path for f in metainfo.files}
    extra = []
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        dirs.sort()
        for name in names:
            path = prefix + name
            if path not in listed:
                extra.append(os.fsencode(path).decode("utf-8", "backslashreplace"))
    return sorted(extra)


def _files_touching(metainfo: Metainfo, bad_pieces: list[int]) -> list[str]:
    bad = set(bad_pieces)
    found = []
    offset = 0
    length = metainfo.piece_length
    for f in metainfo.layout:
        if f.length and not f.pad:
            first, last = offset // length, (offset + f.length - 1) // length
            if any(i in bad for i in range(first, last + 1)):
                found.append(f.path)
        offset += f.length
    return found
