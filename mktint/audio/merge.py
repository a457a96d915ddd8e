"""One view of a book from three sources: Audnexus, the embedded tags, the folder name.

Each field keeps the value chosen, the source it came from and what every source said.
Preference: Audnexus (curated), then tags, then the folder name — except the ASIN, which
comes from the user (``--asin``), then the folder name, then the tags. Two sources
*conflict* on a field when both have a value and neither contains the other once case,
spacing and punctuation are ignored (lists are compared as sets of names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mktint.audio.naming import FolderName

SOURCES = ("audnexus", "tags", "folder")
FIELDS = ("asin", "title", "subtitle", "authors", "narrators", "series", "volume", "year",
          "publisher", "language")
# Fields whose disagreement puts the book's identity in doubt: `book inspect` exits 1 on a
# conflict here; a conflict elsewhere (narrators, publisher, ...) is only a warning.
DOUBT_FIELDS = ("title", "authors", "year")
_LIST_SPLIT = re.compile(r"\s*(?:;|,|&|/|\band\b)\s*")


@dataclass
class MergedField:
    name: str
    value: Any = None
    source: str | None = None  # "user", "audnexus", "tags" or "folder"
    sources: dict[str, Any] = field(default_factory=dict)  # every source that had a value
    conflict: bool = False

    def to_dict(self) -> dict:
        return {"value": self.value, "source": self.source, "sources": self.sources,
                "conflict": self.conflict}


@dataclass
class MergedView:
    fields: dict[str, MergedField]

    @property
    def conflicts(self) -> list[MergedField]:
        return [f for f in self.fields.values() if f.conflict]

    @property
    def doubts(self) -> list[MergedField]:
        """The conflicts on :data:`DOUBT_FIELDS`."""
        return [f for f in self.conflicts if f.name in DOUBT_FIELDS]

    def value(self, name: str) -> Any:
        return self.fields[name].value

    def to_dict(self) -> dict:
        return {"fields": {name: f.to_dict() for name, f in self.fields.items()},
                "conflicts": [{"field": f.name, "values": f.sources} for f in self.conflicts]}


def split_names(text: str | None) -> list[str]:
    """``"A. Author, B. Author & C"`` → ``["A. Author", "B. Author", "C"]``."""
    if not text:
        return []
    return [name for name in (n.strip() for n in _LIST_SPLIT.split(text)) if name]


def from_folder(folder: FolderName | None) -> dict[str, Any]:
    if folder is None:
        return {}
    return {"asin": folder.asin, "title": folder.title, "authors": split_names(folder.author),
            "series": folder.series, "volume": folder.volume, "year": folder.year}


def from_tags(tags: dict[str, str], single_file: bool = False) -> dict[str, Any]:
    """Book fields from book-level tags; the title tag names the book only in a single file
    (in a multi-file book it names a chapter)."""
    year = tags.get("year")
    return {"asin": tags.get("asin", "").upper() or None,
            "title": tags.get("album") or (tags.get("title") if single_file else None),
            "authors": split_names(tags.get("artist") or tags.get("album_artist")),
            "narrators": split_names(tags.get("narrator")),
            "series": tags.get("series"), "volume": tags.get("series_part"),
            "year": int(year) if year and year.isdigit() else None,
            "publisher": tags.get("publisher")}


def from_book(book: Any | None) -> dict[str, Any]:
    """Fields from an Audnexus ``Book`` (anything with its attributes)."""
    if book is None:
        return {}
    series = getattr(book, "series", None) or {}
    year = getattr(book, "year", None)
    if year is None and getattr(book, "release_date", None):
        year = int(str(book.release_date)[:4])
    return {"asin": getattr(book, "asin", None), "title": getattr(book, "title", None),
            "subtitle": getattr(book, "subtitle", None),
            "authors": list(getattr(book, "authors", None) or []),
            "narrators": list(getattr(book, "narrators", None) or []),
            "series": series.get("name"), "volume": _volume(series.get("position")),
            "year": int(year) if year else None,
            "publisher": getattr(book, "publisher", None),
            "language": getattr(book, "language", None)}


def merge(*, folder: FolderName | None = None, tags: dict[str, str] | None = None,
          book: Any | None = None, asin: str | None = None, single_file: bool = False) -> MergedView:
    """Merge what each source says; ``asin`` is one the user gave (it wins)."""
    by_source = {"audnexus": from_book(book), "tags": from_tags(tags or {}, single_file),
                 "folder": from_folder(folder)}
    fields = {}
    for name in FIELDS:
        merged = MergedField(name)
        for source in SOURCES:
            value = by_source[source].get(name)
            if value not in (None, "", []):
                merged.sources[source] = value
        order = list(SOURCES)
        if name == "asin":
            order = ["user", "folder", "tags", "audnexus"]
            if asin:
                merged.sources = {"user": asin, **merged.sources}
        chosen = next((s for s in order if s in merged.sources), None)
        if chosen:
            merged.value, merged.source = merged.sources[chosen], chosen
        values = list(merged.sources.values())
        merged.conflict = any(not _agree(a, b) for i, a in enumerate(values) for b in values[i + 1:])
        fields[name] = merged
    return MergedView(fields)


def _volume(position: Any) -> str | None:
    if position in (None, ""):
        return None
    text = str(position).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else str(number)


def _norm(value: Any) -> str:
    return re.sub(r"[\W_]+", "", str(value).casefold())


def _agree(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        names_a = {_norm(x) for x in (a if isinstance(a, list) else [a])}
        names_b = {_norm(x) for x in (b if isinstance(b, list) else [b])}
        return names_a == names_b
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        pass
    x, y = _norm(a), _norm(b)
    return x in y or y in x
