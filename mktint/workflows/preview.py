"""What an upload will be, shown before it happens, and when to stop instead.

- :func:`book_doubts` — why the book's data is in doubt, found before hashing: the sources
  disagree on the title, the author or the year (:attr:`MergedView.doubts
  <mktint.audio.merge.MergedView.doubts>`: Audnexus, the audio tags, the folder name), the
  audio files run longer or shorter than Audnexus' runtime beyond
  :func:`runtime_tolerance`, or audio files cannot be read;
- :func:`audio_flag_doubts` — ``--format``/``--bitrate`` given, and the files say otherwise;
- :func:`target_preview` — one target as it will be sent: the form, where each value came
  from, and its torrent (name, piece size, infohash, files).

A doubt is a :class:`~mktint.workflows.trackers.base.Problem` (an operation failed: exit
1) reported with the preflight's; the flag named in it settles it (``--title`` settles
title and author, ``--year`` the year) or ``--accept FIELD`` lets it through.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mktint.core.errors import MktintError, OperationFailed

if TYPE_CHECKING:  # imported where a doubt is made: `torrent create` imports ACCEPTABLE only
    from mktint.workflows.trackers.base import Problem

# What --accept takes: each kind of doubt by name.
ACCEPTABLE = ("title", "author", "year", "runtime", "audio", "format")
# Audio duration vs Audnexus' runtimeLengthMin: apart by more than the larger of these.
RUNTIME_TOLERANCE_MINUTES = 3
RUNTIME_TOLERANCE_SHARE = 0.02
SOURCE_NAMES = {"audnexus": "Audnexus", "tags": "the audio tags", "folder": "the folder name"}
# The flag that gives each identity field's value (the Gazelle title is "Author - Title").
SETTLED_BY = {"title": "title", "author": "title", "year": "year"}
SHOWN = 5  # unreadable files named before "... and N more"


def runtime_tolerance(minutes: float) -> float:
    """How far (minutes) the audio may run from Audnexus' runtime: 3 minutes or 2 %."""
    return max(RUNTIME_TOLERANCE_MINUTES, RUNTIME_TOLERANCE_SHARE * minutes)


def _doubt(field: str, message: str, target: str = "data") -> Problem:
    from mktint.workflows.trackers.base import Problem

    return Problem(field, f"{message}; or pass --accept {field}", OperationFailed, target)


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def inspect_book(source: Path, book, given: dict, accept: set[str]):
    """Read the audio files of ``source`` once: ``(inspection or None, doubts)``. Only an
    audiobook (the category given, by default audiobooks) is checked for doubts."""
    from mktint.audio.inspect import inspect_path

    try:
        inspection, error = inspect_path(source), None
    except MktintError as e:  # e.g. a single file that is not audio
        inspection, error = None, e.message
    if given.get("category", "audiobooks") != "audiobooks":
        return inspection, []
    return inspection, book_doubts(source, inspection, book, given, accept, error)


def book_doubts(source: Path, inspection, book, given: dict, accept: set[str],
                audio_error: str | None = None) -> list[Problem]:
    """Every doubt about the book in ``source`` (``inspection``: its audio files, None when
    they could not be inspected, ``audio_error`` saying why; ``book``: Audnexus' or None)."""
    from mktint.audio.merge import merge
    from mktint.audio.naming import parse_folder_name

    problems = []
    if inspection is None or not inspection.files:
        if "audio" not in accept:
            problems.append(_doubt("audio", audio_error or f"no audio files in {source.name}"))
        return problems
    unreadable = [f"{f.relative}: {f.error}" for f in inspection.files if f.error]
    if unreadable and "audio" not in accept:
        more = f"; ... and {len(unreadable) - SHOWN} more" if len(unreadable) > SHOWN else ""
        problems.append(_doubt("audio", f"{len(unreadable)} of {len(inspection.files)} audio "
                               f"files cannot be read ({'; '.join(unreadable[:SHOWN])}{more}); "
                               "replace them"))
    merged = merge(folder=parse_folder_name(source.name), tags=inspection.tags(), book=book,
                   single_file=source.is_file())
    for field in merged.doubts:
        name = "author" if field.name == "authors" else field.name
        if SETTLED_BY[name] in given or name in accept:
            continue
        said = ", ".join(f"{SOURCE_NAMES[s]} says {_text(v)!r}" for s, v in field.sources.items())
        problems.append(_doubt(name, f"the sources disagree on the {name}: {said}; give "
                               f"--{SETTLED_BY[name]} with the value to send"))
    runtime = getattr(book, "runtime_minutes", None)
    if runtime and not unreadable and "runtime" not in accept:
        minutes = inspection.duration_seconds / 60
        tolerance = runtime_tolerance(runtime)
        if abs(minutes - runtime) > tolerance:
            problems.append(_doubt("runtime", f"the audio files run {minutes:.0f} min, Audnexus "
                                   f"says {runtime} min (more than {tolerance:.0f} min apart): "
                                   "is the ASIN this edition, and is every part here?"))
    return problems


def audio_flag_doubts(inspection, flavour: str, given: dict, accept: set[str],
                      target: str) -> list[Problem]:
    """``--format``/``--bitrate`` given that the audio files (read for ``flavour``'s
    bitrate values) contradict."""
    if inspection is None or "format" in accept or not ({"format", "bitrate"} & set(given)):
        return []
    found = inspection.upload_values(flavour)
    if "error" in found:  # unreadable or mixed: said by book_doubts or the form's check
        return []
    problems = []
    if "format" in given and given["format"].casefold() != found["format"].casefold():
        problems.append(f"--format {given['format']}, the files are {found['format']}")
    if "bitrate" in given:
        said = (given["bitrate"], given.get("other_bitrate"))
        has = (found["bitrate"], found["other_bitrate"])
        differs = said[0].casefold() != has[0].casefold() or (
            has[0] == "Other" and said[1] is not None and said[1] != has[1])
        if differs:
            text = has[0] if has[0] != "Other" else f"Other {has[1]}" + (" (VBR)" if found["vbr"] else "")
            problems.append(f"--bitrate {' '.join(s for s in said if s)}, the files are {text}")
    return [_doubt("format", f"the flags and the audio files disagree: {p}; fix the flag",
                   target) for p in problems]


# -- the preview -----------------------------------------------------------------------------

def value(value: Any, source: str | None) -> dict:
    """One previewed value and where it came from (None: not set)."""
    return {"value": value, "source": source if value not in (None, "", []) else None}


def torrent_preview(data: bytes, name_source: str = "folder_name") -> dict:
    """A made torrent as previewed: its name (and where it came from: the data's folder, or
    a ``torrent_file`` given), piece size, infohash, files."""
    from mktint.torrent.metainfo import Metainfo

    meta = Metainfo.parse(data)
    return {"name": meta.name, "name_source": name_source, "piece_size": meta.piece_length,
            "infohash": meta.infohash, "total_size": meta.total_size,
            "files": [{"path": f.path, "size": f.length} for f in meta.files]}


def target_preview(tracker, action: str, fields: dict[str, dict], torrent: dict) -> dict:
    """One target as it will be sent: what happens (``action``), its form (each value with
    its source, :func:`value`) and its torrent (:func:`torrent_preview`)."""
    return {"target": tracker.name, "kind": tracker.service.kind, "action": action,
            "fields": fields, "torrent": torrent}
