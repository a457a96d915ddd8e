"""Creating v1 torrents: scan a file or folder, hash it once, build one torrent per target.

Rules (documented in docs/torrent.md):

- A file gives a single-file torrent named after it; a folder a multi-file torrent named
  after the folder.
- File order: the full relative path ``a/b/c``, compared as UTF-8 bytes (as mktorrent).
- Hidden files and folders (name starting with ``.``) and OS junk (``.DS_Store``,
  ``Thumbs.db``, ``desktop.ini``) are left out unless ``include_hidden``; they are listed in
  ``FilePlan.skipped``. ``exclude`` globs match a file's or folder's name or its relative
  path. Empty files are kept.
- Symlinks are followed, to files and to folders; a link that leads back into a folder
  already being walked (a loop) or that points nowhere is an error naming the link.
- A name that is not valid UTF-8, an unreadable file or nothing to hash is an error
  (exit 1) naming the path, undecodable bytes shown as ``\\xNN``.
- A name the torrent reader refuses or the seeding client would rename
  (:func:`mktint.torrent.rules.name_problem`: backslash, control characters, text-direction
  marks, parts over 240 bytes) is an error listing every such name, found before anything
  is hashed (exit 1); ``--exclude`` leaves them out.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, NamedTuple, Sequence

from mktint import __version__
from mktint.core.errors import OperationFailed, UsageError
from mktint.torrent import bencode
from mktint.torrent.hashing import Source, hash_pieces, show_name
from mktint.torrent.metainfo import (MAX_PIECE_LENGTH, MIN_PIECE_LENGTH, Metainfo, announce_fields,
                                     announce_mode)
from mktint.torrent.rules import name_problem

JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
AUTO_MIN, AUTO_MAX, AUTO_TARGET_PIECES = 16 * 1024, 16 * 1024 * 1024, 2000
CREATED_BY = f"mktint {__version__}"


@dataclass(frozen=True)
class TorrentSpec:
    """What differs between the torrents made from one hashing pass."""

    target: str | None = None  # tracker service name; None for a plain torrent
    private: bool = True
    source: str | None = None
    announce: list[list[str]] = field(default_factory=list)  # tiers of URLs (BEP 12)
    web_seeds: Sequence[str] = ()
    comment: str | None = None
    no_date: bool = False


class PlannedFile(NamedTuple):  # one per file: a tuple is cheaper to make than a dataclass
    parts: tuple[str, ...]  # path inside the torrent folder; () for a single-file torrent
    length: int
    abs_path: str
    mtime_ns: int

    @property
    def path(self) -> str:
        return "/".join(self.parts)


@dataclass
class FilePlan:
    name: str
    root: str
    single_file: bool
    files: list[PlannedFile]
    skipped: list[str]  # hidden/junk paths left out, relative to the root's parent

    @property
    def total_size(self) -> int:
        return sum(f.length for f in self.files)


@dataclass
class CreatedTorrent:
    spec: TorrentSpec
    data: bytes  # the bencoded .torrent
    infohash: str

    @cached_property
    def metainfo(self) -> Metainfo:
        return Metainfo.parse(self.data)

    @property
    def file_mode(self) -> int | None:
        """``announce_mode`` of the URLs it was made with: parsing ``data`` again would cost
        more than the hashing for a torrent of 20,000 small files."""
        return announce_mode(url for tier in self.spec.announce for url in tier)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def is_hidden_or_junk(name: str) -> bool:
    return name.startswith(".") or name.lower() in JUNK_NAMES


def skipped_warning(plan: FilePlan) -> str | None:
    """The one warning about hidden and junk files left out of ``plan``, or None."""
    if not plan.skipped:
        return None
    shown = ", ".join(plan.skipped[:10]) + (" …" if len(plan.skipped) > 10 else "")
    return (f"left out {len(plan.skipped)} hidden or junk file(s) "
            f"(--include-hidden keeps them): {shown}")


def _printable(text: str) -> str:
    """``text`` with tabs, newlines and other invisible characters shown as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _refuse_names(bad: list[tuple[str, str]]) -> None:
    """One error listing every file or folder name a torrent cannot carry."""
    if not bad:
        return
    lines = "\n".join(f"  {_printable(path)}: {reason}" for path, reason in bad)
    raise OperationFailed(f"{len(bad)} name(s) that torrent clients cannot use "
                          f"(nothing was hashed):\n{lines}",
                          hint="rename them, or leave them out with --exclude",
                          details={"names": [{"path": p, "problem": r} for p, r in bad]})


def _excluded(name: str, rel: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(rel, p) for p in patterns)


def scan(path: str | os.PathLike, *, exclude: Sequence[str] = (),
         include_hidden: bool = False) -> FilePlan:
    """The files a torrent of ``path`` holds, in torrent order."""
    if not os.fspath(path):
        raise UsageError("the path to hash is empty (an unset shell variable?)",
                         hint="give the file or folder to put in the torrent")
    root = os.path.abspath(os.fspath(path))
    shown_root = show_name(os.fspath(path))
    try:
        st = os.stat(root)
    except FileNotFoundError:
        raise UsageError(f"{shown_root} does not exist") from None
    except OSError as e:
        raise OperationFailed(f"cannot read {shown_root}: {e.strerror}") from None
    name = os.path.basename(root.rstrip(os.sep)) or root
    if not _is_utf8(name):
        raise OperationFailed(f"the name {show_name(name)!r} is not valid UTF-8",
                              hint="rename it to a UTF-8 name")
    _refuse_names([(name, problem)] if (problem := name_problem(name)) else [])
    if stat.S_ISREG(st.st_mode):
        if st.st_size == 0:
            raise OperationFailed(f"{shown_root} is empty: nothing to hash")
        return FilePlan(name, root, True, [PlannedFile((), st.st_size, root, st.st_mtime_ns)], [])
    if not stat.S_ISDIR(st.st_mode):
        raise OperationFailed(f"{shown_root} is neither a file nor a folder")

    files: list[PlannedFile] = []
    skipped: list[str] = []
    bad: list[tuple[str, str]] = []
    _walk(root, (), {(st.st_dev, st.st_ino)}, files, skipped, bad, exclude, include_hidden, name)
    _refuse_names(bad)
    if not files:
        raise OperationFailed(f"{shown_root} holds no files to put in a torrent",
                              hint="hidden and junk files are left out unless --include-hidden"
                              if skipped else None)
    if not sum(f.length for f in files):
        raise OperationFailed(f"every file in {shown_root} is empty: nothing to hash")
    files.sort(key=lambda f: f.path.encode("utf-8"))
    return FilePlan(name, root, False, files, sorted(skipped))


def _walk(folder: str, parts: tuple[str, ...], ancestors: set, files: list, skipped: list,
          bad: list, exclude: Sequence[str], include_hidden: bool, name: str) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        raise OperationFailed(f"cannot read the folder {show_name(folder)}: {e.strerror}") from None
    for entry in entries:
        rel_parts = (*parts, entry.name)
        rel = "/".join(rel_parts)
        if not _is_utf8(entry.name):
            raise OperationFailed(f"the file name {show_name(entry.path)} is not valid UTF-8",
                                  hint="rename it to a UTF-8 name, or --exclude it")
        if _excluded(entry.name, rel, exclude):
            continue
        if not include_hidden and is_hidden_or_junk(entry.name):
            skipped.append(f"{name}/{rel}")
            continue
        problem = name_problem(entry.name)
        if problem:  # listed with the others; a folder's files are not looked at
            bad.append((f"{name}/{rel}", problem))
            continue
        shown = entry.path  # valid UTF-8 from here on
        try:
            st = os.stat(entry.path)  # follows symlinks
        except FileNotFoundError:
            raise OperationFailed(f"{shown} is a symlink that points nowhere") from None
        except OSError as e:
            if e.errno == 40:  # ELOOP
                raise OperationFailed(f"{shown} is a symlink loop") from None
            raise OperationFailed(f"cannot read {shown}: {e.strerror}") from None
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                raise OperationFailed(f"{shown} is a symlink loop (it leads back into a folder "
                                      "that contains it)", hint="remove the link or --exclude it")
            _walk(entry.path, rel_parts, ancestors | {key}, files, skipped, bad, exclude,
                  include_hidden, name)
        elif stat.S_ISREG(st.st_mode):
            files.append(PlannedFile(rel_parts, st.st_size, entry.path, st.st_mtime_ns))
        else:
            raise OperationFailed(f"{shown} is not a regular file (device, socket or pipe)",
                                  hint="--exclude it")


def auto_piece_length(total_size: int) -> int:
    """The smallest power of two giving at most 2000 pieces, within 16 KiB–16 MiB."""
    length = AUTO_MIN
    while length < AUTO_MAX and -(-total_size // length) > AUTO_TARGET_PIECES:
        length *= 2
    return length


def check_piece_length(length: int) -> int:
    if length < MIN_PIECE_LENGTH or length > MAX_PIECE_LENGTH or length & (length - 1):
        raise UsageError(f"piece size {length} is not a power of two from 16 KiB to 64 MiB",
                         hint="use e.g. 256KiB, 1MiB, 4MiB or auto")
    return length


def sources(plan: FilePlan) -> list[Source]:
    return [Source(f.abs_path, f.length, (f.length, f.mtime_ns)) for f in plan.files]


def files_field(plan: FilePlan) -> bencode.Encoded:
    """The bencoded ``info.files`` list (encoded once, shared by every target)."""
    return bencode.Encoded(bencode.encode(
        [{"length": f.length, "path": list(f.parts)} for f in plan.files]))


def info_dict(plan: FilePlan, piece_length: int, pieces: bytes, spec: TorrentSpec,
              files: bencode.Encoded | None = None) -> dict:
    info: dict = {"name": plan.name, "piece length": piece_length, "pieces": pieces}
    if plan.single_file:
        info["length"] = plan.files[0].length
    else:
        info["files"] = files if files is not None else files_field(plan)
    if spec.private:
        info["private"] = 1
    if spec.source:
        info["source"] = spec.source
    return info


def build(plan: FilePlan, piece_length: int, pieces: bytes, spec: TorrentSpec,
          now: int | None = None, files: bencode.Encoded | None = None) -> CreatedTorrent:
    """The torrent for ``spec`` from already computed piece hashes."""
    import time

    info = bencode.Encoded(bencode.encode(info_dict(plan, piece_length, pieces, spec, files)))
    top: dict = {**announce_fields(spec.announce), "created by": CREATED_BY, "info": info}
    if spec.comment:
        top["comment"] = spec.comment
    if not spec.no_date:
        top["creation date"] = int(time.time()) if now is None else now
    if spec.web_seeds:
        top["url-list"] = list(spec.web_seeds)
    return CreatedTorrent(spec, bencode.encode(top), hashlib.sha1(info).hexdigest())


def create(plan: FilePlan, specs: Sequence[TorrentSpec], *, piece_length: int | None = None,
           threads: int | None = None,
           progress: Callable[[int], None] | None = None) -> list[CreatedTorrent]:
    """Hash ``plan`` once and build one torrent per spec (only source/announce differ)."""
    if not specs:
        raise UsageError("nothing to create: no torrent spec given")
    length = check_piece_length(piece_length) if piece_length else auto_piece_length(plan.total_size)
    pieces = hash_pieces(sources(plan), length, threads=threads, progress=progress)
    import time

    now = int(time.time())
    files = None if plan.single_file else files_field(plan)
    return [build(plan, length, pieces, spec, now, files) for spec in specs]
