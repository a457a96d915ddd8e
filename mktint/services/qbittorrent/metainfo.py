"""The ID qBittorrent gives a torrent, computed locally from a .torrent or a magnet link.

The ID is the v1 infohash (SHA-1 of the bencoded ``info``) for v1 torrents, and the v2
infohash (SHA-256) truncated to 40 hex characters for v2 *and hybrid* torrents
(``mktint.torrent.metainfo.client_id``; seen on real 4.5.2, 5.1 and 5.3). v1 and hybrid
files are read by the torrent engine (``mktint.torrent.metainfo``); pure v2 files, which
the engine does not handle, only need the ``info`` bytes hashed.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from mktint.core.errors import OperationFailed
from mktint.torrent import bencode
from mktint.torrent.metainfo import Metainfo, client_id


class BadTorrent(ValueError):
    """Not a readable .torrent file."""


def torrent_id(data: bytes) -> tuple[str, str | None]:
    """(qBittorrent's torrent ID, name) of a .torrent file's bytes; raises BadTorrent."""
    try:
        meta = Metainfo.parse(data)
        return meta.client_id, meta.name
    except OperationFailed as e:  # MetainfoError, BencodeError
        problem = e.message
    try:
        top, spans = bencode.decode_spans(data)
    except OperationFailed:
        raise BadTorrent(problem) from None
    info = top.get(b"info")
    if isinstance(info, dict) and info.get(b"meta version") == 2 and b"pieces" not in info:
        start, end = spans[b"info"]
        name = info.get(b"name")
        return (client_id(info, data[start:end]),
                name.decode("utf-8", "replace") if isinstance(name, bytes) else None)
    raise BadTorrent(problem)


def magnet_id(uri: str) -> str | None:
    """The torrent ID named by a magnet link's ``xt``, or None if it has none we can read.

    A hybrid magnet names both hashes; the client knows it by the v2 one (``btmh``)."""
    query = parse_qs(urlsplit(uri).query)
    v1 = None
    for xt in query.get("xt", []):
        lower = xt.lower()
        if lower.startswith("urn:btmh:1220") and len(xt) == 13 + 64:
            return xt[13:13 + 40].lower()
        if lower.startswith("urn:btih:") and v1 is None:
            value = xt[9:]
            if len(value) == 40:
                v1 = value.lower()
            elif len(value) == 32:
                try:
                    v1 = base64.b32decode(value.upper()).hex()
                except ValueError:
                    pass
    return v1
