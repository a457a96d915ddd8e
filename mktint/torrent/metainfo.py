"""Reading .torrent files (BEP 3, 12, 27, 47, 52) and retargeting them to another tracker.

The infohash is the SHA-1 of the ``info`` dictionary's bytes exactly as they appear in the
file, never of a re-encoding. Anything that is not a usable v1 torrent raises
:class:`MetainfoError` (exit 1) with a message saying what is wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple

from mktint.core import redact
from mktint.core.errors import OperationFailed
from mktint.core.paths import PRIVATE
from mktint.torrent import bencode
from mktint.torrent.rules import unsafe_part

MIN_PIECE_LENGTH = 16 * 1024
MAX_PIECE_LENGTH = 64 * 1024 * 1024


class MetainfoError(OperationFailed):
    """A .torrent file that decodes but is not a valid v1 torrent."""

    code = "bad_torrent"


def client_id(info: dict, info_bytes: bytes) -> str:
    """The ID a BitTorrent v2-aware client gives a torrent (libtorrent 2's
    ``info_hash_t::get_best()``, hence qBittorrent 4.4+ including Debian's 4.5.2): when
    ``info`` has ``meta version`` 2 (v2 and hybrid torrents) the SHA-256 of ``info_bytes``
    truncated to 40 hex characters, otherwise the SHA-1 (the v1 infohash)."""
    if info.get(b"meta version") == 2:
        return hashlib.sha256(info_bytes).hexdigest()[:40]
    return hashlib.sha1(info_bytes).hexdigest()


class TorrentFile(NamedTuple):  # one per file: a tuple is cheaper to make than a dataclass
    path: str  # "a/b.m4b" (inside the torrent's folder; the name itself for a single file)
    parts: tuple[str, ...]
    length: int
    pad: bool = False  # a BEP 47 pad file: in the piece stream only, never on disk

    def to_dict(self) -> dict:
        return {"path": self.path, "length": self.length}


def text(value: bytes) -> str:
    """Bytes as text: UTF-8, undecodable bytes shown as ``\\xNN`` escapes."""
    return value.decode("utf-8", "backslashreplace")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise MetainfoError(f"not a valid torrent: {message}")


def _str_field(d: dict, key: bytes, where: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    _require(isinstance(value, bytes), f"{where}{key.decode()!r} is not a string")
    return text(value)


def _path_part(part: Any) -> str:
    _require(isinstance(part, bytes) and part != b"", "a file path part is empty or not a string")
    reason = unsafe_part(part.decode("utf-8", "surrogateescape"))  # bad bytes stay bytes
    _require(reason is None, f"unsafe file path part {text(part)!r} ({reason})")
    return text(part)


def _is_pad(entry: dict) -> bool:
    """A BEP 47 pad file (``attr`` holds ``p``): zeros that align the next file to a piece."""
    attr = entry.get(b"attr")
    return isinstance(attr, bytes) and b"p" in attr


@dataclass
class Metainfo:
    infohash: str
    name: str
    piece_length: int
    pieces: bytes
    total_size: int
    private: bool
    source: str | None
    announce: str | None
    announce_list: list[list[str]]
    web_seeds: list[str]
    comment: str | None
    created_by: str | None
    creation_date: dt.datetime | None
    files: list[TorrentFile]
    is_single_file: bool
    is_v1_only: bool
    raw: dict  # the decoded top-level dictionary
    layout: list[TorrentFile] | None = None  # the piece stream: ``files`` with pad files
    client_id: str = ""  # what BitTorrent clients call it: see client_id()

    def __post_init__(self) -> None:
        if self.layout is None:
            self.layout = list(self.files)

    @property
    def piece_count(self) -> int:
        return len(self.pieces) // 20

    def piece_hash(self, index: int) -> bytes:
        return self.pieces[index * 20:index * 20 + 20]

    @property
    def file_mode(self) -> int | None:
        """The mode to write this .torrent with: ``announce_mode`` of its announce URLs."""
        return announce_mode([self.announce, *(u for tier in self.announce_list for u in tier)])

    @classmethod
    def parse(cls, data: bytes) -> "Metainfo":
        top, spans = bencode.decode_spans(data)
        info = top.get(b"info")
        _require(isinstance(info, dict), "no 'info' dictionary")
        start, end = spans[b"info"]
        infohash = hashlib.sha1(data[start:end]).hexdigest()
        torrent_id = client_id(info, data[start:end])

        name_raw = info.get(b"name.utf-8", info.get(b"name"))
        _require(isinstance(name_raw, bytes) and name_raw != b"", "missing or empty 'name'")
        name = _path_part(name_raw)
        piece_length = info.get(b"piece length")
        _require(isinstance(piece_length, int) and not isinstance(piece_length, bool)
                 and piece_length > 0, "'piece length' is not a positive integer")
        v2 = info.get(b"meta version") == 2
        pieces = info.get(b"pieces")
        if pieces is None and v2:
            raise MetainfoError("this is a v2-only torrent; mktint handles v1 and hybrid torrents")
        _require(isinstance(pieces, bytes) and len(pieces) % 20 == 0,
                 "'pieces' is missing or not a multiple of 20 bytes")

        has_length, has_files = b"length" in info, b"files" in info
        _require(has_length != has_files, "'info' needs exactly one of 'length' and 'files'")
        files: list[TorrentFile] = []
        layout: list[TorrentFile] = []  # multi-file: every entry in piece order, pads included
        if has_length:
            length = info[b"length"]
            _require(isinstance(length, int) and length >= 0, "'length' is not a size")
            files.append(TorrentFile(name, (), length))
        else:
            entries = info[b"files"]
            _require(isinstance(entries, list) and entries, "'files' is not a non-empty list")
            seen = set()
            for entry in entries:
                _require(isinstance(entry, dict), "a 'files' entry is not a dictionary")
                length = entry.get(b"length")
                _require(isinstance(length, int) and length >= 0, "a file 'length' is not a size")
                if _is_pad(entry):  # its path names nothing on disk (".pad/N", repeated)
                    layout.append(TorrentFile(f".pad/{length}", (".pad", str(length)), length, True))
                    continue
                raw_path = entry.get(b"path.utf-8", entry.get(b"path"))
                _require(isinstance(raw_path, list) and raw_path, "a file 'path' is not a list")
                parts = tuple(_path_part(p) for p in raw_path)
                path = "/".join(parts)
                _require(path not in seen, f"file {path!r} is listed twice")
                seen.add(path)
                files.append(TorrentFile(path, parts, length))
                layout.append(files[-1])
            _require(files, "'files' holds only pad files")
        total = sum(f.length for f in files)
        streamed = sum(f.length for f in layout) if layout else total
        expected = -(-streamed // piece_length)
        _require(len(pieces) // 20 == expected,
                 f"{len(pieces) // 20} piece hashes for {streamed} bytes in pieces of "
                 f"{piece_length} bytes (expected {expected})")

        private = info.get(b"private")
        source = _str_field(info, b"source", "info ")
        announce = _str_field(top, b"announce", "")
        tiers: list[list[str]] = []
        raw_tiers = top.get(b"announce-list", [])
        _require(isinstance(raw_tiers, list), "'announce-list' is not a list")
        for tier in raw_tiers:
            _require(isinstance(tier, list) and all(isinstance(u, bytes) for u in tier),
                     "'announce-list' is not a list of lists of URLs")
            tiers.append([text(u) for u in tier])
        # Announce URLs carry personal passkeys: mask them wherever they are shown.
        for url in [announce, *(u for tier in tiers for u in tier)]:
            redact.register_url_secrets(url)
        seeds = top.get(b"url-list", [])
        if isinstance(seeds, bytes):
            seeds = [seeds] if seeds else []
        _require(isinstance(seeds, list) and all(isinstance(u, bytes) for u in seeds),
                 "'url-list' is not a URL or a list of URLs")
        date = top.get(b"creation date")
        creation_date = None
        if isinstance(date, int) and not isinstance(date, bool):
            try:
                creation_date = dt.datetime.fromtimestamp(date, dt.timezone.utc)
            except (OverflowError, OSError, ValueError):
                creation_date = None
        return cls(
            infohash=infohash, name=name, piece_length=piece_length, pieces=pieces,
            total_size=total, private=private == 1, source=source, announce=announce,
            announce_list=tiers, web_seeds=[text(u) for u in seeds],
            comment=_str_field(top, b"comment", ""), created_by=_str_field(top, b"created by", ""),
            creation_date=creation_date, files=files, is_single_file=has_length,
            is_v1_only=not v2 and b"piece layers" not in top, raw=top,
            layout=layout or None, client_id=torrent_id)

    def to_dict(self) -> dict:
        """Exactly the keys of ``mktint torrent info --json``."""
        return {
            "name": self.name,
            "infohash": self.infohash,
            "piece_length": self.piece_length,
            "piece_count": self.piece_count,
            "total_size": self.total_size,
            "private": self.private,
            "source": self.source,
            "announce": self.announce,
            "announce_list": self.announce_list,
            "web_seeds": self.web_seeds,
            "comment": self.comment,
            "created_by": self.created_by,
            "creation_date": self.creation_date.isoformat() if self.creation_date else None,
            "files": [f.to_dict() for f in self.files],
        }


def announce_mode(urls: Iterable[str | None]) -> int | None:
    """The mode to write a .torrent announcing to ``urls`` with (``atomic_write``): private
    (0600) when one carries a passkey, else None (what the umask allows).

    The one rule for every .torrent mktint writes. It registers the URLs' passkey-like parts
    with the redactor first, so a URL typed on the command line counts like one read from a
    file; a URL is secret when the redactor then masks part of it.
    """
    urls = [url for url in urls if url]
    for url in urls:
        redact.register_url_secrets(url)
    return PRIVATE if any(redact.redact(url) != url for url in urls) else None


def file_mode(data: bytes) -> int | None:
    """The mode to write the .torrent ``data`` with: ``Metainfo.file_mode``, and private
    when it cannot be parsed (a v2-only torrent from a client may still hold a passkey)."""
    try:
        return Metainfo.parse(data).file_mode
    except OperationFailed:
        return PRIVATE


def announce_fields(announce: list[list[str]]) -> dict[str, Any]:
    """Top-level ``announce`` / ``announce-list`` for tiers of URLs (BEP 12).

    One URL: ``announce`` only. More: ``announce`` is the first URL and ``announce-list``
    holds every tier.
    """
    tiers = [list(tier) for tier in announce if tier]
    urls = [url for tier in tiers for url in tier]
    if not urls:
        return {}
    fields: dict[str, Any] = {"announce": urls[0]}
    if len(urls) > 1:
        fields["announce-list"] = tiers
    return fields


def retarget(data: bytes, *, source: str | None, announce: list[list[str]],
             private: bool = True) -> bytes:
    """The same content for another tracker: new ``source``/``private`` and announce URLs.

    No rehashing: the piece hashes are kept. The new file has its own infohash because
    ``source`` and ``private`` live inside ``info``. Only v1 torrents can be retargeted.
    """
    meta = Metainfo.parse(data)
    if not meta.is_v1_only:
        raise MetainfoError("only v1 torrents can be retargeted (this one is v2 or hybrid)")
    info = dict(meta.raw[b"info"])
    info.pop(b"source", None)
    info.pop(b"private", None)
    if source:
        info[b"source"] = source
    if private:
        info[b"private"] = 1
    top = {k: v for k, v in meta.raw.items()
           if k not in (b"announce", b"announce-list", b"info")}
    top.update(announce_fields(announce))
    top[b"info"] = info
    return bencode.encode(top)
