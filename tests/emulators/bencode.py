"""A small bencode codec for the emulators and test stand-ins (tests only).

The product's codec lives in ``mktint.torrent``; emulators keep their own so that a bug
in one cannot hide behind the same bug in the other.
"""

from __future__ import annotations

import hashlib


def decode(data: bytes):
    value, end = _decode(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes after the bencoded value")
    return value


def _decode(data: bytes, i: int):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        i, items = i + 1, []
        while data[i:i + 1] != b"e":
            item, i = _decode(data, i)
            items.append(item)
        return items, i + 1
    if c == b"d":
        i, items = i + 1, {}
        while data[i:i + 1] != b"e":
            key, i = _decode(data, i)
            items[key], i = _decode(data, i)
        return items, i + 1
    if c.isdigit():
        colon = data.index(b":", i)
        length = int(data[i:colon])
        start = colon + 1
        if start + length > len(data):
            raise ValueError("string runs past the end")
        return data[start:start + length], start + length
    raise ValueError(f"bad bencode at byte {i}")


def encode(value) -> bytes:
    if isinstance(value, bool):
        raise TypeError("no booleans in bencode")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(encode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(encode(k) + encode(v) for k, v in items) + b"e"
    raise TypeError(type(value))


def info_span(data: bytes) -> bytes:
    """The raw bytes of the top-level ``info`` value, exactly as in the file."""
    if data[:1] != b"d":
        raise ValueError("not a dictionary")
    i = 1
    while data[i:i + 1] != b"e":
        key, i = _decode(data, i)
        start = i
        _, i = _decode(data, i)
        if key == b"info":
            return data[start:i]
    raise ValueError("no info dictionary")


def infohash(data: bytes) -> str:
    return hashlib.sha1(info_span(data)).hexdigest()


def make_torrent(name: str, files: list[tuple[list[str], int]] | None = None, *,
                 private: bool = True, source: str | None = "RED", v2: bool = False,
                 announce: str = "https://tracker.invalid/announce",
                 extra: dict | None = None) -> bytes:
    """A small, well-formed v1 .torrent (pieces are fake: nothing is hashed)."""
    info: dict = {"name": name, "piece length": 16384}
    if files is None:
        info["length"] = 1000
        total = 1000
    else:
        info["files"] = [{"length": size, "path": parts} for parts, size in files]
        total = sum(size for _, size in files)
    info["pieces"] = b"\x01" * 20 * max(1, -(-total // 16384))
    if private:
        info["private"] = 1
    if source is not None:
        info["source"] = source
    info.update(extra or {})
    if v2:
        info["meta version"] = 2
        info["file tree"] = {}
    return encode({"announce": announce, "info": info})
