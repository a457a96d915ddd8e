"""The ID qBittorrent gives a torrent, computed locally from a .torrent or a magnet link.

The ID is the v1 infohash (SHA-1 of the bencoded ``info``) for v1 and hybrid torrents,
and the v2 infohash (SHA-256) truncated to 40 hex characters for pure v2 torrents.
Only as much bencode is read as is needed to find the ``info`` dictionary's bytes.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit


class BadTorrent(ValueError):
    """Not a readable .torrent file."""


def _skip(data: bytes, i: int) -> int:
    """Index just past the bencoded value starting at ``i``."""
    try:
        c = data[i:i + 1]
        if c == b"i":
            return data.index(b"e", i) + 1
        if c in (b"l", b"d"):
            i += 1
            while data[i:i + 1] != b"e":
                i = _skip(data, i)
            return i + 1
        if c.isdigit():
            colon = data.index(b":", i)
            return colon + 1 + int(data[i:colon])
    except (ValueError, IndexError):
        pass
    raise BadTorrent("not valid bencode")


def _string(data: bytes, i: int) -> tuple[bytes, int]:
    colon = data.index(b":", i)
    end = colon + 1 + int(data[i:colon])
    return data[colon + 1:end], end


def torrent_id(data: bytes) -> tuple[str, str | None]:
    """(qBittorrent's torrent ID, name) of a .torrent file's bytes; raises BadTorrent."""
    if not data.startswith(b"d"):
        raise BadTorrent("not a .torrent file (no bencoded dictionary)")
    i, info = 1, None
    try:
        while data[i:i + 1] != b"e":
            if i >= len(data):
                raise BadTorrent("truncated .torrent file")
            key, i = _string(data, i)
            end = _skip(data, i)
            if key == b"info":
                info = data[i:end]
            i = end
    except (ValueError, IndexError):
        raise BadTorrent("not a .torrent file (bad bencode)") from None
    if info is None or not info.startswith(b"d"):
        raise BadTorrent("no info dictionary")
    keys = _top_keys(info)
    name = keys.get(b"name")
    name_text = name.decode("utf-8", "replace") if isinstance(name, bytes) else None
    if b"pieces" in keys:
        return hashlib.sha1(info).hexdigest(), name_text
    if keys.get(b"meta version") == 2:
        return hashlib.sha256(info).hexdigest()[:40], name_text
    raise BadTorrent("info dictionary has neither v1 pieces nor meta version 2")


def _top_keys(info: bytes) -> dict[bytes, object]:
    """Keys of a bencoded dictionary; string and integer values decoded, others marked."""
    out: dict[bytes, object] = {}
    i = 1
    while info[i:i + 1] != b"e":
        key, i = _string(info, i)
        end = _skip(info, i)
        raw = info[i:end]
        if raw[:1].isdigit():
            out[key] = _string(info, i)[0]
        elif raw[:1] == b"i":
            out[key] = int(raw[1:-1])
        else:
            out[key] = True
        i = end
    return out


def magnet_id(uri: str) -> str | None:
    """The torrent ID named by a magnet link's ``xt``, or None if it has none we can read."""
    query = parse_qs(urlsplit(uri).query)
    v2 = None
    for xt in query.get("xt", []):
        lower = xt.lower()
        if lower.startswith("urn:btih:"):
            value = xt[9:]
            if len(value) == 40:
                return value.lower()
            if len(value) == 32:
                try:
                    return base64.b32decode(value.upper()).hex()
                except ValueError:
                    return None
        elif lower.startswith("urn:btmh:1220") and len(xt) == 13 + 64:
            v2 = xt[13:13 + 40].lower()
    return v2
