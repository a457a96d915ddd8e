"""`mktint book inspect` and `mktint book fix-paths`: the files on disk.

mutagen and the audio modules are imported inside the commands (start-up budget).
"""

from __future__ import annotations

from pathlib import Path

import click

from mktint.cli.options import complete_service_names, json_option, pass_state


@click.command("inspect", short_help="Merged metadata, upload values and per-file facts of a book.")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--asin", metavar="ASIN", help="The book's ASIN (default: from the folder name or tags).")
@click.option("--offline", is_flag=True, help="Do not ask Audnexus; use tags and the folder name.")
@json_option
@pass_state
def inspect(state, path: Path, asin: str | None, offline: bool) -> None:
    """Show what an audiobook folder (or file) is: merged metadata and per-file facts.

    Reads every audio file (m4b/m4a/aac, mp3, flac, ogg/opus) for codec, bitrate
    (CBR/VBR), sample rate, channels, duration, chapters and tags; parses the folder
    name; asks Audnexus when an ASIN is known; and shows each field with its source,
    the conflicts between sources, and the RED/OPS upload format and bitrate.

    Exit status 1 (after printing everything) when it reports a problem — an audio file
    that cannot be read, mixed formats or bitrates — or when the sources disagree on the
    title, author or year; other conflicts (narrators, publisher, ...) are warnings.

    \b
    Examples:
      mktint book inspect "Dune - vol_01 (1965) (Frank Herbert) {ASIN.B002V1OF70} [Grp]"
      mktint book inspect ./book --offline
      mktint book inspect ./book --json | jq .upload.red
    """
    from mktint.audio.inspect import inspect_path
    from mktint.audio.merge import merge
    from mktint.audio.naming import parse_folder_name
    from mktint.core.asin import is_asin, validate_asin
    from mktint.core.errors import EXIT_FAILED, NotFound

    if asin:
        asin = validate_asin(asin)
    inspection = inspect_path(path)
    if not inspection.files:
        raise NotFound(f"no audio files in {path}",
                       hint="audio files end in .m4b .m4a .aac .mp3 .flac .ogg .opus")
    out = state.output
    folder = parse_folder_name(path.resolve().name)
    tags = inspection.tags()
    known = asin or folder.asin or (tags.get("asin", "").upper() if is_asin(tags.get("asin", "")) else None)
    book, audnexus = None, {"status": "offline" if offline else "no_asin"}
    if known and not offline:
        book, problem = _fetch_book(state, known)
        audnexus = {"status": "used", "asin": known} if problem is None else \
            {"status": "unavailable", "asin": known, "message": problem}
        if problem:
            out.warn(f"Audnexus: {problem}; showing tags and folder name only")
    merged = merge(folder=folder, tags=tags, book=book, asin=asin,
                   single_file=path.is_file())
    data = {**inspection.to_dict(), "folder": folder.to_dict(), "audnexus": audnexus,
            "merged": merged.to_dict()["fields"], "conflicts": merged.to_dict()["conflicts"],
            "doubts": [f.name for f in merged.doubts]}
    for field in merged.conflicts:
        out.warn(f"{field.name} differs between sources: "
                 + ", ".join(f"{source}={_text(value)}" for source, value in field.sources.items()))
    for problem in inspection.problems:
        out.warn(problem)
    out.emit(data, lambda: _show_inspection(out, inspection, merged))
    if inspection.problems or merged.doubts:
        raise click.exceptions.Exit(EXIT_FAILED)


def _fetch_book(state, asin: str):
    """Audnexus' book, or ``(None, reason)`` — a missing client or a failure is a warning."""
    from mktint.core.errors import MktintError

    try:
        return state.factory.service("audnexus", "audnexus").book(asin), None
    except ImportError:
        return None, "the Audnexus client is not available in this build"
    except MktintError as exc:
        return None, exc.message


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _show_inspection(out, inspection, merged) -> None:
    from mktint.core.output import Column
    from mktint.core.units import human_size

    pairs = []
    for name, field in merged.fields.items():
        if field.value in (None, "", []):
            continue
        flag = "  (conflict)" if field.conflict else ""
        pairs.append((name, f"{_text(field.value)}  [{field.source}]{flag}"))
    pairs.append(("duration", _duration(inspection.duration_seconds)))
    pairs.append(("size", human_size(inspection.size_bytes)))
    pairs.append(("chapters", str(inspection.chapters)))
    for flavour, values in inspection.to_dict()["upload"].items():
        if "error" in values:
            text = f"cannot choose: {values['error']}"
        else:
            bitrate = values["bitrate"] if values["bitrate"] != "Other" else \
                f"Other {values['other_bitrate']}" + (" (VBR)" if values["vbr"] else "")
            text = f"{values['format']} / {bitrate}"
        pairs.append((f"upload {flavour}", text))
    out.record(pairs)
    out.line()
    rows = [{"file": f.relative, "codec": f.codec or "", "kbps": f.kbps,
             "mode": (f.bitrate_mode or "").upper(), "sample_rate": f.sample_rate,
             "channels": f.channels, "duration": f.duration_seconds,
             "chapters": len(f.chapters), "error": f.error} for f in inspection.files]
    out.table(rows, [Column("file", "File"), Column("codec", "Codec"),
                     Column("kbps", "kbps", justify="right"), Column("mode", "Mode"),
                     Column("sample_rate", "Hz", justify="right"),
                     Column("channels", "Ch", justify="right"),
                     Column("duration", "Duration", _duration, justify="right"),
                     Column("chapters", "Chapters", justify="right"), Column("error", "Error")])


@click.command("fix-paths", short_help="Rename paths to fit the tracker's length limit (plan, apply, undo).")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--tracker", metavar="NAME", shell_complete=complete_service_names(("gazelle",)),
              help="Gazelle service whose path_limit applies (red: 180, ops: 255).")
@click.option("--apply", "apply_", is_flag=True, help="Rename for real (default: only show the plan).")
@click.option("--undo", "undo_record", metavar="RECORD", type=click.Path(path_type=Path),
              help="Reverse the renames listed in an undo record.")
@json_option
@pass_state
def fix_paths(state, path: Path | None, tracker: str | None, apply_: bool, undo_record: Path | None) -> None:
    """Bring every 'folder/file' path within the tracker's length limit.

    Plans the gentlest rename for each path over the limit: NFC names, then drop a
    trailing [Group], the (Author), the (YYYY), compact volume words (vol_03 → v03),
    and only then shorten the title at a word boundary. Without --apply nothing is
    touched. --apply renames (hard links and inodes are kept) and writes an undo record.
    Exit status 1 when some path cannot be brought within the limit.

    \b
    Examples:
      mktint book fix-paths ./book --tracker red
      mktint book fix-paths ./book --tracker red --apply
      mktint book fix-paths --undo ~/.local/state/mktint/fix-paths/20250101T120000Z-Book.json
    """
    from mktint.core.errors import UsageError

    if undo_record is not None:
        if path is not None or tracker or apply_:
            raise UsageError("--undo takes only the record; no PATH, --tracker or --apply")
        _undo(state, undo_record)
        return
    if path is None or not tracker:
        raise UsageError("give PATH and --tracker (or --undo RECORD)",
                         hint="mktint book fix-paths ./book --tracker red")
    _fix(state, path, tracker, apply_)


def _fix(state, path: Path, tracker: str, apply_: bool) -> None:
    from mktint.audio.paths import apply_plan, plan_fixes
    from mktint.core.sites import Site

    limit = Site.of(state.factory.service_config(tracker, "gazelle")).path_limit
    plan = plan_fixes(path, limit)
    out = state.output
    data = {**plan.to_dict(), "tracker": tracker, "applied": False, "undo_record": None}
    if apply_ and plan.fits and plan.renames:
        data["undo_record"] = str(apply_plan(plan))
        data["applied"] = True
    for problem in plan.problems:
        out.warn(problem)
    for long in plan.after:
        out.warn(f"still {long.length} characters (limit {long.limit}): {long.path}")
    out.emit(data, lambda: _show_plan(out, plan, data))
    if not plan.fits:
        if apply_:
            from mktint.core.errors import OperationFailed

            raise OperationFailed("nothing was renamed: the plan does not bring every path "
                                  f"within {limit} characters", service=tracker,
                                  hint="rename the remaining paths by hand, then run again")
        raise click.exceptions.Exit(1)


def _show_plan(out, plan, data) -> None:
    from mktint.core.output import Column

    if not plan.renames:
        out.success(f"every path is within {plan.limit} characters; nothing to rename")
        return
    base = plan.root.parent
    rows = [{"from": r.source.relative_to(base).as_posix(), "to": r.target.name,
             "why": ", ".join(r.reasons)} for r in plan.renames]
    out.table(rows, [Column("from", "Path"), Column("to", "New name"), Column("why", "Why")])
    if data["applied"]:
        out.success(f"renamed {len(plan.renames)} entries; undo with: "
                    f"mktint book fix-paths --undo '{data['undo_record']}'")
        out.record([("undo_record", data["undo_record"])])
    elif plan.fits:
        out.info(f"dry run: {len(plan.before)} path(s) over {plan.limit} characters, "
                 f"{len(plan.renames)} rename(s) planned, nothing touched — add --apply to rename")


def _undo(state, record: Path) -> None:
    from mktint.audio.paths import undo
    from mktint.core.output import Column

    restored = undo(record)
    out = state.output

    def human() -> None:
        out.table(restored, [Column("from", "Renamed path"), Column("to", "Restored to")])
        out.success(f"restored {len(restored)} entries from {record}")

    out.emit({"record": str(record), "restored": restored}, human)
