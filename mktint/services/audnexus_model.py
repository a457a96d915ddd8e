"""The normalised audiobook model built from Audnexus answers (pure: no network).

Audnexus passes Audible's data through with gaps: any field but ``asin`` may be missing,
``summary`` is HTML, ``rating`` is a string, series positions are free text ("1", "1.5",
"Book 2"), and ``releaseDate`` is a timestamp. These functions turn a raw answer into
stable, typed fields; the raw answer stays available for ``--raw``.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from typing import Any

REGIONS = ("au", "ca", "de", "es", "fr", "in", "it", "jp", "us", "uk")
AUDIBLE_DOMAINS = {
    "au": "audible.com.au", "ca": "audible.ca", "de": "audible.de", "es": "audible.es",
    "fr": "audible.fr", "in": "audible.in", "it": "audible.it", "jp": "audible.co.jp",
    "us": "audible.com", "uk": "audible.co.uk",
}


@dataclass
class Book:
    asin: str
    title: str
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    narrators: list[str] = field(default_factory=list)
    series: dict | None = None  # {"name": str, "position": str | None}
    series_secondary: dict | None = None
    publisher: str | None = None
    release_date: str | None = None  # YYYY-MM-DD
    year: int | None = None
    language: str | None = None
    runtime_minutes: int | None = None
    genres: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    summary: str = ""  # plain text, paragraphs separated by a blank line
    summary_html: str = ""
    isbn: str | None = None
    rating: float | None = None
    region: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def audible_url(self) -> str:
        return f"https://www.{AUDIBLE_DOMAINS.get(self.region or 'us', 'audible.com')}/pd/{self.asin}"


@dataclass
class Chapter:
    title: str
    start_ms: int
    length_ms: int


@dataclass
class Chapters:
    asin: str
    chapters: list[Chapter]
    runtime_ms: int | None
    is_accurate: bool | None
    brand_intro_ms: int | None = None
    brand_outro_ms: int | None = None
    region: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Author:
    asin: str
    name: str
    description: str = ""  # plain text
    genres: list[str] = field(default_factory=list)
    image: str | None = None
    similar: list[dict] = field(default_factory=list)  # [{"asin", "name"}]
    region: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


# -- field helpers -----------------------------------------------------------------------

def _text(value: Any) -> str | None:
    """A trimmed string with entities decoded, or None for missing/blank values."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = html.unescape(str(value)).strip()
    return text or None


def _int(value: Any) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _names(people: Any) -> list[str]:
    """Names from ``[{asin?, name}]`` (plain strings tolerated), blanks and repeats dropped."""
    names: list[str] = []
    for person in people if isinstance(people, list) else []:
        name = _text(person.get("name") if isinstance(person, dict) else person)
        if name and name not in names:
            names.append(name)
    return names


def _series(value: Any) -> dict | None:
    if not isinstance(value, dict):
        return None
    name = _text(value.get("name"))
    if not name:
        return None
    position = _text(value.get("position"))
    return {"name": name, "position": position}


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def _date(value: Any) -> tuple[str | None, int | None]:
    match = _DATE.match(str(value or "").strip())
    if not match:
        return None, None
    return match.group(0), int(match.group(1))


def _genres(value: Any, kind: str) -> list[str]:
    out: list[str] = []
    for genre in value if isinstance(value, list) else []:
        if not isinstance(genre, dict):
            continue
        if (genre.get("type") or "genre") == kind:
            name = _text(genre.get("name"))
            if name and name not in out:
                out.append(name)
    return out


# -- HTML → text -------------------------------------------------------------------------

_BLOCK = frozenset({"p", "div", "section", "article", "blockquote", "ul", "ol", "h1", "h2",
                   "h3", "h4", "h5", "h6", "table", "tr"})


_LINE_BREAK = "\x00"


class _TextExtractor(HTMLParser):
    """Collects paragraphs; list items are paragraphs marked so they join with one newline."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[list[str], bool]] = [([], False)]

    def _break(self, item: bool = False) -> None:
        if self.paragraphs[-1][0]:
            self.paragraphs.append(([], item))
        else:
            self.paragraphs[-1] = ([], item)

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _BLOCK:
            self._break()
        elif tag == "br":
            self.paragraphs[-1][0].append(_LINE_BREAK)
        elif tag == "li":
            self._break(item=True)
            self.paragraphs[-1][0].append("• ")

    def handle_endtag(self, tag) -> None:
        if tag in _BLOCK or tag == "li":
            self._break()

    def handle_data(self, data) -> None:
        self.paragraphs[-1][0].append(data.replace(_LINE_BREAK, ""))

    def text(self) -> str:
        out = ""
        previous_item = False
        for parts, item in self.paragraphs:
            # Newlines in the markup are only whitespace; <br> is the one line break.
            lines = [" ".join(line.split()) for line in "".join(parts).split(_LINE_BREAK)]
            paragraph = "\n".join(line for line in lines if line)
            if not paragraph or paragraph == "•":
                continue
            if out:
                out += "\n" if item and previous_item else "\n\n"
            out += paragraph
            previous_item = item
        return out


def html_to_text(markup: str | None) -> str:
    """Plain text of an HTML fragment: entities decoded, whitespace folded, paragraphs
    (``<p>``, lists, headings) separated by a blank line, ``<br>`` kept as a line break."""
    if not markup:
        return ""
    parser = _TextExtractor()
    parser.feed(str(markup))
    parser.close()
    return parser.text()


# -- the normalisers ---------------------------------------------------------------------

def normalise_book(raw: dict, region: str | None = None) -> Book:
    release_date, year = _date(raw.get("releaseDate"))
    summary_html = raw.get("summary") or raw.get("description") or ""
    if not isinstance(summary_html, str):
        summary_html = ""
    return Book(
        asin=str(raw.get("asin") or "").strip(),
        title=_text(raw.get("title")) or "",
        subtitle=_text(raw.get("subtitle")),
        authors=_names(raw.get("authors")),
        narrators=_names(raw.get("narrators")),
        series=_series(raw.get("seriesPrimary")),
        series_secondary=_series(raw.get("seriesSecondary")),
        publisher=_text(raw.get("publisherName")),
        release_date=release_date,
        year=year,
        language=_text(raw.get("language")),
        runtime_minutes=_int(raw.get("runtimeLengthMin")),
        genres=_genres(raw.get("genres"), "genre"),
        tags=_genres(raw.get("genres"), "tag"),
        image=_text(raw.get("image")),
        summary=html_to_text(summary_html),
        summary_html=summary_html,
        isbn=_text(raw.get("isbn")),
        rating=_float(raw.get("rating")),
        region=_text(raw.get("region")) or region,
    )


def normalise_chapters(raw: dict, region: str | None = None) -> Chapters:
    chapters = []
    for chapter in raw.get("chapters") if isinstance(raw.get("chapters"), list) else []:
        if not isinstance(chapter, dict):
            continue
        chapters.append(Chapter(title=_text(chapter.get("title")) or "",
                                start_ms=_int(chapter.get("startOffsetMs")) or 0,
                                length_ms=_int(chapter.get("lengthMs")) or 0))
    accurate = raw.get("isAccurate")
    return Chapters(
        asin=str(raw.get("asin") or "").strip(),
        chapters=chapters,
        runtime_ms=_int(raw.get("runtimeLengthMs")),
        is_accurate=accurate if isinstance(accurate, bool) else None,
        brand_intro_ms=_int(raw.get("brandIntroDurationMs")),
        brand_outro_ms=_int(raw.get("brandOutroDurationMs")),
        region=_text(raw.get("region")) or region,
    )


def normalise_author(raw: dict, region: str | None = None) -> Author:
    similar = [{"asin": s.get("asin"), "name": _text(s.get("name"))}
               for s in raw.get("similar") or [] if isinstance(s, dict) and _text(s.get("name"))]
    return Author(
        asin=str(raw.get("asin") or "").strip(),
        name=_text(raw.get("name")) or "",
        description=html_to_text(raw.get("description") if isinstance(raw.get("description"), str) else ""),
        genres=_genres(raw.get("genres"), "genre"),
        image=_text(raw.get("image")),
        similar=similar,
        region=_text(raw.get("region")) or region,
    )
