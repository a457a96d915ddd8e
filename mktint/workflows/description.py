"""Release descriptions: a book (and its chapters) as a tracker description in BBCode.

The built-in layout covers what trackers ask for: cover, title, authors, narrators,
series, publisher, release date, runtime, chapter count, ASIN/ISBN and the summary. A
user template replaces it: plain text with ``{placeholder}`` fields (Python
``str.format`` syntax, so ``{{`` and ``}}`` are literal braces and ``{title:>40}`` pads).
Only the names in :data:`PLACEHOLDERS` exist; an unknown one is an error naming it, and
a missing value renders as an empty string. No attribute or index access is allowed.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

from mktint.core import paths
from mktint.core.errors import UsageError
from mktint.services.audnexus_model import Book, Chapters

PLACEHOLDERS: dict[str, str] = {
    "title": "the title",
    "subtitle": "the subtitle (empty if none)",
    "full_title": "title: subtitle",
    "authors": "authors, comma-separated",
    "narrators": "narrators, comma-separated",
    "series": "primary series with position, e.g. 'The Expanse, Book 1.5' (empty if none)",
    "series_name": "primary series name",
    "series_position": "position in the primary series, as the server gives it ('1.5')",
    "series_secondary": "secondary series with position",
    "publisher": "the publisher",
    "release_date": "release date, YYYY-MM-DD",
    "year": "release year",
    "language": "language, capitalised ('English')",
    "runtime": "runtime for people, e.g. '16 h 10 min'",
    "runtime_minutes": "runtime in minutes",
    "genres": "genres, comma-separated",
    "tags": "tags, comma-separated",
    "asin": "the ASIN",
    "isbn": "the ISBN (empty if none)",
    "rating": "Audible rating, e.g. '4.8'",
    "region": "Audible region of the metadata",
    "audible_url": "the book's Audible page",
    "image": "cover image URL",
    "summary": "the summary as plain text (paragraphs separated by blank lines)",
    "chapter_count": "number of chapters (empty without chapter data)",
    "chapter_list": "one line per chapter: '01. Title (1:02:03)'",
    "description": "the whole built-in description, to wrap it in your own text",
}


def format_runtime(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def _clock(ms: int) -> str:
    seconds = int(ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _series_text(series: dict | None) -> str:
    if not series:
        return ""
    position = series.get("position")
    return f"{series['name']}, Book {position}" if position else series["name"]


def placeholder_values(book: Book, chapters: Chapters | None = None) -> dict[str, str]:
    """Every placeholder's text for this book (the built-in ``description`` excluded)."""
    chapter_list = ""
    if chapters and chapters.chapters:
        width = max(2, len(str(len(chapters.chapters))))
        chapter_list = "\n".join(f"{i:0{width}d}. {c.title} ({_clock(c.length_ms)})"
                                 for i, c in enumerate(chapters.chapters, 1))
    values = {
        "title": book.title,
        "subtitle": book.subtitle,
        "full_title": f"{book.title}: {book.subtitle}" if book.subtitle else book.title,
        "authors": ", ".join(book.authors),
        "narrators": ", ".join(book.narrators),
        "series": _series_text(book.series),
        "series_name": (book.series or {}).get("name"),
        "series_position": (book.series or {}).get("position"),
        "series_secondary": _series_text(book.series_secondary),
        "publisher": book.publisher,
        "release_date": book.release_date,
        "year": book.year,
        "language": (book.language or "").capitalize(),
        "runtime": format_runtime(book.runtime_minutes),
        "runtime_minutes": book.runtime_minutes,
        "genres": ", ".join(book.genres),
        "tags": ", ".join(book.tags),
        "asin": book.asin,
        "isbn": book.isbn,
        "rating": "" if book.rating is None else f"{book.rating:g}",
        "region": book.region,
        "audible_url": book.audible_url,
        "image": book.image,
        "summary": book.summary,
        "chapter_count": len(chapters.chapters) if chapters and chapters.chapters else None,
        "chapter_list": chapter_list,
    }
    return {key: "" if value is None else str(value) for key, value in values.items()}


def _builtin(values: dict[str, str]) -> str:
    lines = []
    if values["image"]:
        lines += [f"[center][img]{values['image']}[/img][/center]", ""]
    lines.append(f"[size=4][b]{values['title']}[/b][/size]")
    if values["subtitle"]:
        lines.append(f"[i]{values['subtitle']}[/i]")
    lines.append("")
    rows = [
        ("Author", values["authors"]),
        ("Narrator", values["narrators"]),
        ("Series", values["series"]),
        ("Also in series", values["series_secondary"]),
        ("Publisher", values["publisher"]),
        ("Release date", values["release_date"]),
        ("Language", values["language"]),
        ("Runtime", values["runtime"]),
        ("Chapters", values["chapter_count"]),
        ("Genres", values["genres"]),
        ("ASIN", f"[url={values['audible_url']}]{values['asin']}[/url]" if values["asin"] else ""),
        ("ISBN", values["isbn"]),
    ]
    lines += [f"[b]{label}:[/b] {value}" for label, value in rows if value]
    if values["summary"]:
        lines += ["", "[b]Summary[/b]", f"[quote]{values['summary']}[/quote]"]
    return "\n".join(lines) + "\n"


def _load_template(template: str | os.PathLike) -> str:
    if isinstance(template, os.PathLike):
        path = Path(template)
        try:
            return paths.read_limited(path, paths.TEXT_FILE_LIMIT, "a template").decode("utf-8")
        except FileNotFoundError:
            raise UsageError(f"template file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"cannot read template file {path}: {e}") from None
    return template


def check_template(text: str) -> None:
    """A usage error naming the first unknown or malformed placeholder, if any."""
    try:
        fields = [parsed for parsed in string.Formatter().parse(text)]
    except ValueError as e:
        raise UsageError(f"the description template is malformed: {e}",
                         hint="write a literal brace as {{ or }}") from None
    allowed = {*PLACEHOLDERS}
    for _, name, _spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed:
            raise UsageError(f"unknown placeholder {{{name}}} in the description template",
                             hint="known placeholders: " + ", ".join(sorted(allowed)))
        if conversion:
            raise UsageError(f"conversions such as !{conversion} are not supported in templates")


def render_description(book: Book, chapters: Chapters | None = None,
                       template: str | os.PathLike | None = None) -> str:
    """The release description in BBCode.

    ``template`` is a path (``pathlib.Path`` or any ``os.PathLike``: the file is read) or
    the template text itself (``str``); None uses the built-in layout.
    """
    values = placeholder_values(book, chapters)
    values["description"] = _builtin(values)
    if template is None:
        return values["description"]
    text = _load_template(template)
    check_template(text)
    try:
        rendered = text.format_map(values)
    except ValueError as e:  # a format spec that does not fit a string, e.g. {year:d}
        raise UsageError(f"the description template has a bad format spec: {e}") from None
    return rendered if rendered.endswith("\n") else rendered + "\n"
