"""Tracker path compliance: plan the gentlest renames that bring every path under the
limit, apply them atomically, and undo them from a record.

The tracker measures ``folder name + "/" + path inside it`` in characters
(:func:`mktint.torrent.rules.tracker_path`). Renames are tried from the gentlest to the
harshest, each on the file name first, then its folders, then the torrent folder:

1. Unicode names are normalised to NFC (every non-NFC name, whatever its length);
2. drop a trailing ``[Group]``;
3. drop the ``(Author)`` among the trailing decorations;
4. drop the ``(YYYY)`` among the trailing decorations;
5. compact volume words (``vol_03``/``Volume 03`` → ``v03``);
6. shorten the title at a word boundary (never the ASIN or the extension).

``os.rename`` moves a directory entry: inodes, hard links and file contents are untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from mktint.core import paths as core_paths
from mktint.core.asin import ASIN_PATTERN
from mktint.core.errors import Conflict, NotFound, OperationFailed, UsageError
from mktint.torrent.rules import LongPath, long_paths, tracker_path

RECORD_VERSION = 1

_DECORATION = r"(?:\s*(?:\([^()]*\)|\{[^{}]*\}|\[[^\[\]]*\]))"
# Only decorations may follow — and, in a file name, a part suffix such as " - Part 01".
_ONLY_DECORATIONS_AFTER = rf"(?={_DECORATION}*(?:\s+-\s+[^-(){{}}\[\]]*)?\s*$)"
_GROUP = re.compile(rf"\s*\[(?!\s*{ASIN_PATTERN}\s*\])[^\[\]]*\]{_ONLY_DECORATIONS_AFTER}", re.IGNORECASE)
_YEAR = re.compile(rf"\s*\((?:1[89]|20)\d\d\){_ONLY_DECORATIONS_AFTER}")
_AUTHOR = re.compile(
    rf"\s*\((?!\s*(?:1[89]|20)\d\d\s*\))(?!\s*{ASIN_PATTERN}\s*\))[^()]+\){_ONLY_DECORATIONS_AFTER}",
    re.IGNORECASE)
_VOLUME_WORD = re.compile(r"\b(?:vol(?:ume)?|book|bk)[\s._]*#?(\d+(?:\.\d+)?)\b", re.IGNORECASE)
_FIRST_DECORATION = re.compile(r"\s[(\[{]")
_VOLUME_OR_NUMBER = re.compile(rf"^(?:{_VOLUME_WORD.pattern}|v?\d+(?:\.\d+)?|#\d+)$", re.IGNORECASE)


@dataclass
class Rename:
    source: Path  # absolute; its folders carry their names from before the plan
    target: Path  # same folder as source, new name
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"from": str(self.source), "to": str(self.target), "reasons": self.reasons}


@dataclass
class Plan:
    root: Path
    limit: int
    renames: list[Rename]  # in the order they are applied: deepest entries first
    before: list[LongPath]  # paths over the limit now
    after: list[LongPath]  # paths still over the limit once the plan is applied
    problems: list[str] = field(default_factory=list)  # name collisions

    @property
    def fits(self) -> bool:
        return not self.after and not self.problems

    @property
    def new_root(self) -> Path:
        for rename in self.renames:
            if rename.source == self.root:
                return rename.target
        return self.root

    def to_dict(self) -> dict:
        def long(items: list[LongPath]) -> list[dict]:
            return [{"path": p.path, "length": p.length} for p in items]

        return {"root": str(self.root), "new_root": str(self.new_root), "limit": self.limit,
                "fits": self.fits, "renames": [r.to_dict() for r in self.renames],
                "over_limit": long(self.before), "still_over_limit": long(self.after),
                "problems": self.problems}


# -- name transforms (each returns the new name, or the same name when it does not apply) ---

def _split_ext(name: str, is_file: bool) -> tuple[str, str]:
    if is_file:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 1 <= len(ext) <= 5 and ext.isalnum():
            return stem, "." + ext
    return name, ""


def _on_stem(transform: Callable[[str], str]) -> Callable[[str, bool, int], str]:
    def apply(name: str, is_file: bool, _excess: int) -> str:
        stem, ext = _split_ext(name, is_file)
        new = re.sub(r"\s{2,}", " ", transform(stem)).strip()
        return new + ext if new else name

    return apply


def _last_match_removed(pattern: re.Pattern) -> Callable[[str], str]:
    def remove(stem: str) -> str:
        matches = list(pattern.finditer(stem))
        if not matches:
            return stem
        last = matches[-1]
        return stem[: last.start()] + stem[last.end():]

    return remove


def _compact_volume(stem: str) -> str:
    return _VOLUME_WORD.sub(lambda m: f"v{m.group(1)}", stem, count=1)


def shorten_title(name: str, is_file: bool, excess: int) -> str:
    """Cut ``excess`` characters from the longest title segment, at a word boundary.

    The decorations after the title (``(…)``, ``{ASIN.…}``, ``[…]``) and the extension are
    kept; at least the first word of the segment stays.
    """
    stem, ext = _split_ext(name, is_file)
    cut = _FIRST_DECORATION.search(stem)
    head, tail = (stem[: cut.start()], stem[cut.start():]) if cut else (stem, "")
    segments = head.split(" - ")
    candidates = [i for i, s in enumerate(segments) if not _VOLUME_OR_NUMBER.match(s.strip())]
    if not candidates:
        return name
    index = max(candidates, key=lambda i: len(segments[i]))
    words = segments[index].split(" ")
    target = len(segments[index]) - excess
    kept = words[:1]
    for word in words[1:]:
        if len(" ".join([*kept, word])) > target:
            break
        kept.append(word)
    shortened = " ".join(kept).rstrip(" ,;:-–—_.")
    if not shortened or shortened == segments[index]:
        return name
    segments[index] = shortened
    return " - ".join(segments) + tail + ext


STEPS: tuple[tuple[str, Callable[[str, bool, int], str]], ...] = (
    ("drop_group", _on_stem(_last_match_removed(_GROUP))),
    ("drop_author", _on_stem(_last_match_removed(_AUTHOR))),
    ("drop_year", _on_stem(_last_match_removed(_YEAR))),
    ("compact_volume", _on_stem(_compact_volume)),
    ("shorten_title", shorten_title),
)


# -- planning --------------------------------------------------------------------------------

def _tree(root: Path) -> tuple[list[tuple[str, ...]], set[tuple[str, ...]]]:
    """File keys and directory keys; a key is the path parts from the root's name down."""
    if root.is_file():
        return [(root.name,)], set()
    files, dirs = [], {(root.name,)}
    for current, subdirs, names in os.walk(root):
        subdirs.sort()
        base = (root.name, *Path(current).relative_to(root).parts)
        dirs.update(base + (d,) for d in subdirs)
        files.extend(base + (n,) for n in sorted(names))
    return files, dirs


def plan_fixes(root: str | os.PathLike, limit: int) -> Plan:
    """The renames that bring every ``folder/file`` path within ``limit`` characters.

    Nothing on disk is touched. Paths still too long after every step are listed in
    ``Plan.after``; names that would collide are listed in ``Plan.problems``.
    """
    root = Path(os.path.abspath(root))
    if not root.exists():
        raise NotFound(f"{root} does not exist")
    if limit < 1:
        raise UsageError(f"the path limit must be positive, not {limit}")
    files, dirs = _tree(root)
    names: dict[tuple[str, ...], str] = {}
    reasons: dict[tuple[str, ...], list[str]] = {}
    for key in [*files, *dirs]:
        nfc = unicodedata.normalize("NFC", key[-1])
        names[key] = nfc
        if nfc != key[-1]:
            reasons[key] = ["nfc"]

    def measured(key: tuple[str, ...]) -> str:
        return "/".join(names[key[: i + 1]] for i in range(len(key)))

    def over(key: tuple[str, ...]) -> int:
        return len(measured(key)) - limit

    def measure(root_name: str, parts_of) -> list[LongPath]:
        return long_paths(root_name, [parts_of(k) for k in files], limit)

    before = measure(root.name, lambda k: k[1:])
    for step, transform in STEPS:
        for key in files:
            for depth in range(len(key), 0, -1):
                excess = over(key)
                if excess <= 0:
                    break
                component = key[:depth]
                if step in reasons.get(component, []):
                    continue
                current = names[component]
                new = transform(current, component not in dirs, excess)
                if new != current:
                    names[component] = new
                    reasons.setdefault(component, []).append(step)

    renames = []
    for key in sorted(reasons, key=lambda k: (-len(k), k)):
        source = root.parent.joinpath(*key)
        renames.append(Rename(source, source.parent / names[key], reasons[key]))
    after = measure(names[(root.name,)], lambda k: [names[k[: i + 1]] for i in range(1, len(k))])
    plan = Plan(root, limit, renames, before, after)
    plan.problems = _collisions(root, names, files, dirs)
    return plan


def _collisions(root: Path, names, files, dirs) -> list[str]:
    problems = []
    siblings: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}
    for key in [*files, *dirs]:
        taken = siblings.setdefault(key[:-1], {})
        new = names[key]
        if new in taken:
            problems.append(f"{tracker_path(key[0], key[1:-1] + (new,)) if len(key) > 1 else new}: "
                            f"two entries would get this name ({taken[new][-1]!r}, {key[-1]!r})")
        taken[new] = key
        source = root.parent.joinpath(*key)
        target = source.parent / new
        if new != key[-1] and os.path.lexists(target) and not _same_entry(source, target):
            problems.append(f"{target} already exists")
    return problems


def _same_entry(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# -- applying and undoing ----------------------------------------------------------------------

def records_dir() -> Path:
    return core_paths.state_dir() / "fix-paths"


def apply_plan(plan: Plan) -> Path | None:
    """Rename as planned (deepest entries first) and return the undo record's path.

    Refuses a plan that does not fit or would collide. The record is written before the
    first rename and rewritten with what was actually done if a rename fails. ``None``
    when there is nothing to rename.
    """
    if not plan.fits:
        detail = plan.problems[:1] or [f"{p.path} ({p.length} > {p.limit})" for p in plan.after[:1]]
        raise OperationFailed("the plan does not bring every path within the limit: " + detail[0],
                              hint="rename the remaining paths by hand; nothing was changed")
    if not plan.renames:
        return None
    for rename in plan.renames:
        if not os.path.lexists(rename.source):
            raise Conflict(f"{rename.source} no longer exists; plan again", hint="nothing was changed")
        if os.path.lexists(rename.target) and not _same_entry(rename.source, rename.target):
            raise Conflict(f"{rename.target} already exists", hint="nothing was changed")
    try:
        record = _new_record_path(plan.root.name)
    except OSError as exc:
        raise OperationFailed(f"cannot create {records_dir()}: {exc.strerror or exc}",
                              hint="nothing was renamed") from None
    data = {"version": RECORD_VERSION, "created_at": _now(), "root": str(plan.root),
            "new_root": str(plan.new_root), "limit": plan.limit, "status": "in_progress",
            "renames": [{"from": str(r.source), "to": str(r.target)} for r in plan.renames]}
    _write_record(record, data, new=True)
    done = []
    for rename in plan.renames:
        try:
            os.rename(rename.source, rename.target)
        except OSError as exc:
            data["status"], data["renames"] = "partial", done
            _write_record(record, data)
            raise OperationFailed(f"renaming {rename.source} failed: {exc.strerror or exc}",
                                  hint=f"{len(done)} rename(s) were made; undo them with "
                                       f"`mktint book fix-paths --undo {record}`") from exc
        done.append({"from": str(rename.source), "to": str(rename.target)})
    data["status"] = "applied"
    _write_record(record, data)
    return record


def undo(record_path: str | os.PathLike) -> list[dict]:
    """Reverse the renames of an undo record (last first); returns them as ``{from, to}``
    pairs, ``from`` being the renamed path restored to ``to``."""
    record = Path(record_path)
    data = read_record(record)
    if data["status"] == "undone":
        raise Conflict(f"{record} was already undone on {data.get('undone_at', '?')}")
    renames = data["renames"]
    for entry in renames:  # everything must still be where the record put it
        current = _current_location(Path(entry["to"]), renames)
        if not os.path.lexists(current):
            raise Conflict(f"{current} is missing: the tree changed since the renames",
                           hint="nothing was changed; undo by hand from the record")
    reversed_pairs = []
    for entry in reversed(renames):
        source, target = Path(entry["to"]), Path(entry["from"])
        if os.path.lexists(target) and not _same_entry(source, target):
            raise Conflict(f"{target} exists again; not overwriting it",
                           hint=f"{len(reversed_pairs)} rename(s) were reversed; see {record}")
        try:
            os.rename(source, target)
        except OSError as exc:
            raise OperationFailed(f"renaming {source} back failed: {exc.strerror or exc}",
                                  hint=f"{len(reversed_pairs)} rename(s) were reversed; "
                                       f"the rest are listed in {record}") from exc
        reversed_pairs.append({"from": str(source), "to": str(target)})
    data["status"], data["undone_at"] = "undone", _now()
    _write_record(record, data)
    return reversed_pairs


def read_record(record: Path) -> dict:
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"no undo record at {record}",
                       hint=f"records are kept in {records_dir()}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{record} is not a fix-paths undo record ({exc})") from None
    if (not isinstance(data, dict) or data.get("version") != RECORD_VERSION
            or not isinstance(data.get("renames"), list)
            or not all(isinstance(e, dict) and isinstance(e.get("from"), str)
                       and isinstance(e.get("to"), str) for e in data["renames"])):
        raise UsageError(f"{record} is not a fix-paths undo record (version {RECORD_VERSION})")
    data.setdefault("status", "applied")
    return data


def _current_location(path: Path, renames: list[dict]) -> Path:
    """Where ``path`` (named with its folders' old names) is after every later folder rename."""
    for entry in renames:
        old = Path(entry["from"])
        if old in path.parents:
            path = Path(entry["to"]) / path.relative_to(old)
    return path


def _new_record_path(root_name: str) -> Path:
    folder = core_paths.ensure_private_dir(records_dir())
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    slug = re.sub(r"[^0-9A-Za-z]+", "-", unicodedata.normalize("NFKD", root_name)).strip("-")[:40]
    return folder / f"{stamp}-{slug or 'root'}.json"


def _write_record(record: Path, data: dict, *, new: bool = False) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        core_paths.atomic_write(record, text, mode=0o600, overwrite=not new)
    except FileExistsError:
        raise Conflict(f"{record} already exists") from None
    except OSError as exc:
        raise OperationFailed(f"cannot write the undo record {record}: {exc.strerror or exc}",
                              hint="check the state directory (XDG_STATE_HOME)") from None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
