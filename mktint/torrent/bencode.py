"""Bencode (BEP 3): a strict decoder and a canonical encoder.

The decoder refuses anything a careful client would: truncated input, trailing data,
integers with leading zeros or ``-0``, negative or absurd string lengths (checked against
the bytes left, never allocated), non-bytes dictionary keys, duplicate keys and nesting
deeper than :data:`MAX_DEPTH`. Every error names the byte offset. Unsorted dictionary keys
are accepted (such files exist in the wild); :func:`decode_spans` gives the original byte
span of each top-level value so the infohash is computed over the original ``info`` bytes.

Strings decode to ``bytes``; dictionary keys stay ``bytes``. The encoder accepts ``bytes``,
``str`` (UTF-8), ``int``, lists/tuples and dicts with ``bytes`` or ``str`` keys, and sorts
keys as raw bytes.
"""

from __future__ import annotations

from typing import Any

from mktint.core.errors import OperationFailed

MAX_DEPTH = 256
_DIGITS = frozenset(b"0123456789")


class BencodeError(OperationFailed):
    """Malformed bencoded data (the message names the byte offset)."""

    code = "bad_bencode"


class _Decoder:
    def __init__(self, data: bytes):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("bencode data must be bytes")
        self.data = bytes(data)
        self.size = len(self.data)

    def fail(self, message: str, offset: int) -> BencodeError:
        return BencodeError(f"invalid bencode at byte {offset}: {message}")

    def value(self, pos: int, depth: int) -> tuple[Any, int]:
        if pos >= self.size:
            raise self.fail("unexpected end of data", pos)
        c = self.data[pos]
        if c == 0x69:  # i
            return self.integer(pos)
        if c in _DIGITS:
            return self.string(pos)
        if depth >= MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", pos)
        if c == 0x6C:  # l
            items = []
            pos += 1
            while True:
                if pos >= self.size:
                    raise self.fail("unterminated list", pos)
                if self.data[pos] == 0x65:  # e
                    return items, pos + 1
                item, pos = self.value(pos, depth + 1)
                items.append(item)
        if c == 0x64:  # d
            return self.dictionary(pos, depth)[0:2]
        raise self.fail(f"unexpected byte {bytes([c])!r}", pos)

    def dictionary(self, pos: int, depth: int, spans: dict | None = None) -> tuple[dict, int]:
        result: dict[bytes, Any] = {}
        pos += 1
        while True:
            if pos >= self.size:
                raise self.fail("unterminated dictionary", pos)
            if self.data[pos] == 0x65:
                return result, pos + 1
            if self.data[pos] not in _DIGITS:
                raise self.fail("dictionary key is not a string", pos)
            key_pos = pos
            key, pos = self.string(pos)
            if key in result:
                raise self.fail(f"duplicate dictionary key {key!r}", key_pos)
            start = pos
            result[key], pos = self.value(pos, depth + 1)
            if spans is not None:
                spans[key] = (start, pos)

    def integer(self, pos: int) -> tuple[int, int]:
        end = self.data.find(b"e", pos + 1)
        if end < 0:
            raise self.fail("unterminated integer", pos)
        text = self.data[pos + 1:end]
        digits = text[1:] if text.startswith(b"-") else text
        if not digits or not all(b in _DIGITS for b in digits):
            raise self.fail(f"malformed integer {text[:32]!r}", pos)
        if (len(digits) > 1 and digits[0] == 0x30) or text == b"-0":
            raise self.fail(f"integer with a leading zero or negative zero {text[:32]!r}", pos)
        if len(digits) > 4300:
            raise self.fail("integer too long", pos)
        return int(text), end + 1

    def string(self, pos: int) -> tuple[bytes, int]:
        colon = self.data.find(b":", pos, pos + 21)
        if colon < 0:
            if self.data.find(b":", pos) < 0 and all(b in _DIGITS for b in self.data[pos:pos + 21]):
                raise self.fail("unexpected end of data in a string length", pos)
            raise self.fail("malformed string length", pos)
        digits = self.data[pos:colon]
        if not digits or not all(b in _DIGITS for b in digits):
            raise self.fail("malformed string length", pos)
        if len(digits) > 1 and digits[0] == 0x30:
            raise self.fail("string length with a leading zero", pos)
        length = int(digits)
        start = colon + 1
        if length > self.size - start:
            raise self.fail(f"string of {length} bytes runs past the end of the data "
                            f"({self.size - start} bytes left)", pos)
        return self.data[start:start + length], start + length


def decode(data: bytes) -> Any:
    """The value encoded in ``data``; :class:`BencodeError` if it is not strict bencode."""
    decoder = _Decoder(data)
    value, end = decoder.value(0, 0)
    if end != decoder.size:
        raise decoder.fail(f"{decoder.size - end} bytes of trailing data", end)
    return value


def decode_spans(data: bytes) -> tuple[dict, dict[bytes, tuple[int, int]]]:
    """A top-level dictionary and, per key, the ``(start, end)`` byte span of its value."""
    decoder = _Decoder(data)
    if not decoder.size or decoder.data[0] != 0x64:
        raise decoder.fail("not a dictionary", 0)
    spans: dict[bytes, tuple[int, int]] = {}
    value, end = decoder.dictionary(0, 0, spans)
    if end != decoder.size:
        raise decoder.fail(f"{decoder.size - end} bytes of trailing data", end)
    return value, spans


class Encoded(bytes):
    """A value that is already bencoded: :func:`encode` writes it as is."""


def encode(obj: Any) -> bytes:
    """Canonical bencode of ``obj`` (keys sorted as raw bytes)."""
    out: list[bytes] = []
    _encode(obj, out, 0)
    return b"".join(out)


def _key(key: Any) -> bytes:
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, (bytes, bytearray)):
        return bytes(key)
    raise BencodeError(f"cannot bencode a dictionary key of type {type(key).__name__}")


def _encode(obj: Any, out: list[bytes], depth: int) -> None:
    kind = type(obj)
    if kind is bytes:
        out.append(b"%d:%s" % (len(obj), obj))
    elif kind is str:
        raw = obj.encode("utf-8")
        out.append(b"%d:%s" % (len(raw), raw))
    elif kind is int:
        out.append(b"i%de" % obj)
    elif depth > MAX_DEPTH:
        raise BencodeError(f"cannot bencode data nested deeper than {MAX_DEPTH} levels")
    elif kind is list or kind is tuple:
        out.append(b"l")
        for item in obj:
            _encode(item, out, depth + 1)
        out.append(b"e")
    elif kind is dict:
        items = sorted(((_key(k), v) for k, v in obj.items()), key=lambda kv: kv[0])
        for (a, _), (b, _) in zip(items, items[1:]):
            if a == b:
                raise BencodeError(f"duplicate dictionary key {a!r}")
        out.append(b"d")
        for key, value in items:
            out.append(b"%d:%s" % (len(key), key))
            _encode(value, out, depth + 1)
        out.append(b"e")
    elif kind is Encoded:
        out.append(obj)
    elif kind is bool:
        raise BencodeError("cannot bencode a bool (use 0 or 1)")
    elif isinstance(obj, int):
        _encode(int(obj), out, depth)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        _encode(bytes(obj), out, depth)
    elif isinstance(obj, str):
        _encode(str(obj), out, depth)
    elif isinstance(obj, (list, tuple)):
        _encode(list(obj), out, depth)
    elif isinstance(obj, dict):
        _encode(dict(obj), out, depth)
    else:
        raise BencodeError(f"cannot bencode a value of type {type(obj).__name__}")
