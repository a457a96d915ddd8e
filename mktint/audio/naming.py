"""Audiobook folder names: ``Title - vol_NN (YYYY) (Author) {ASIN.B0XXXXXXXX} [Group]``.

Every part is optional, and the common variants are understood: ``Series - vol_03 -
Title``, ``Vol. 3``/``Volume 3``/``Book 3``/``#3``, an ASIN as ``{ASIN.B0…}``, ``[B0…]``
or a bare ``B0…`` token, several parenthesised parts in any order after the title.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from mktint.core.asin import ASIN_PATTERN, find_asin

# A volume word and its number: vol_03, vol.3, Vol 3, Volume 3, Book 3, Bk. 3, #3
VOLUME = re.compile(r"(?:\b(?:vol(?:ume)?|bk|book)[\s._]*#?|#)(\d+(?:\.\d+)?)\b", re.IGNORECASE)
_VOLUME_ONLY = re.compile(rf"^\s*{VOLUME.pattern}\s*$", re.IGNORECASE)
_ASIN_TOKENS = re.compile(
    rf"\{{ASIN\.{ASIN_PATTERN}\}}|[\[(]{ASIN_PATTERN}[\])]|(?<![0-9A-Za-z])B[0-9A-Z]{{9}}(?![0-9A-Za-z])",
    re.IGNORECASE)
_TRAILING_BRACKET = re.compile(r"\s*\[([^\[\]]*)\]\s*$")
_TRAILING_PAREN = re.compile(r"\s*\(([^()]*)\)\s*$")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_EDITION = re.compile(r"^(un)?abridged$", re.IGNORECASE)
_SEPARATOR = re.compile(r"\s+[-–—]\s+")


@dataclass
class FolderName:
    name: str
    title: str | None = None
    series: str | None = None
    volume: str | None = None  # "3", "12", "1.5" — leading zeros dropped
    year: int | None = None
    author: str | None = None
    asin: str | None = None
    group: str | None = None
    edition: str | None = None  # "Unabridged" / "Abridged" when the name says so

    def to_dict(self) -> dict:
        return asdict(self)


def parse_folder_name(name: str) -> FolderName:
    """The parts of an audiobook folder (or file) name; parts not present stay None."""
    result = FolderName(name=name)
    rest = name.strip()
    for ext in (".m4b", ".m4a", ".mp3", ".flac", ".ogg", ".opus", ".aac"):
        if rest.lower().endswith(ext):
            rest = rest[: -len(ext)]
            break
    result.asin = find_asin(rest)
    if result.asin:
        rest = _ASIN_TOKENS.sub(" ", rest, count=1)
    rest = re.sub(r"\s{2,}", " ", rest).strip()

    # Trailing [Group] and (…) parts, peeled from the right in any order.
    while True:
        bracket = _TRAILING_BRACKET.search(rest)
        if bracket and result.group is None and bracket.group(1).strip():
            result.group = bracket.group(1).strip()
            rest = rest[: bracket.start()]
            continue
        paren = _TRAILING_PAREN.search(rest)
        if not paren or paren.start() == 0:
            break
        inner = paren.group(1).strip()
        if _YEAR.match(inner) and result.year is None:
            result.year = int(inner)
        elif _EDITION.match(inner) and result.edition is None:
            result.edition = inner.capitalize()
        elif inner and not _YEAR.match(inner) and result.author is None:
            result.author = inner
        else:
            break
        rest = rest[: paren.start()]
    rest = rest.strip(" -–—_")

    parts = [p.strip() for p in _SEPARATOR.split(rest) if p.strip()]
    volume_at = next((i for i, p in enumerate(parts) if _VOLUME_ONLY.match(p)), None)
    if volume_at is not None:
        result.volume = _number(_VOLUME_ONLY.match(parts[volume_at]).group(1))
        before, after = parts[:volume_at], parts[volume_at + 1:]
        if before and after:  # Series - vol_03 - Title
            result.series = " - ".join(before)
            result.title = " - ".join(after)
        elif before:  # Title - vol_03 (the title is the series name)
            result.title = result.series = " - ".join(before)
        else:  # vol_03 - Title
            result.title = " - ".join(after) or None
    elif parts:
        title = " - ".join(parts)
        embedded = list(VOLUME.finditer(title))
        if embedded:  # "Title, Book 3" / "Title vol_3"
            match = embedded[-1]
            head = title[: match.start()].rstrip(" ,-–—_:")
            if head and not title[match.end():].strip(" ,-–—_:)"):
                result.volume = _number(match.group(1))
                result.series = head
                title = head
        result.title = title or None
    return result


def _number(text: str) -> str:
    if "." in text:
        whole, frac = text.split(".", 1)
        return f"{int(whole)}.{frac}"
    return str(int(text))
