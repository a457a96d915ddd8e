"""Drawing an upload preview (:mod:`mktint.workflows.preview`) for people: one block per
target on stdout — a table on a terminal, ``key<TAB>value`` lines when piped. With
``--json`` nothing is drawn: the preview is in the command's JSON."""

from __future__ import annotations

DESCRIPTION_LINES = 3  # the first lines of a description shown
FILES_SHOWN = 10
_LABELS = {"audnexus": "Audnexus", "audio_files": "audio files", "folder_name": "folder name",
           "torrent_file": "the .torrent file", "flag": "flag", "default": "default"}
_ALWAYS = ("title", "year", "format", "bitrate", "tags", "image", "description", "release_desc")


def show_previews(out, targets: list[dict]) -> None:
    for target in targets:
        show_preview(out, target)


def show_preview(out, target: dict) -> None:
    """One target: what happens there, then a table of its form (each value with where it
    came from) and its torrent."""
    from mktint.core.output import Column
    from mktint.core.units import human_size

    out.line(f"{target['target']}: {target['action']}")
    rows: list[dict] = []

    blank = " " if out.stdout_is_tty else ""  # a table would show "" as "-", a value here

    def row(field: str, value: str, source: str | None = None) -> None:
        rows.append({"field": field or blank, "value": value,
                     "from": _LABELS.get(source, source) or blank})

    for name, item in target["fields"].items():
        value, source = item["value"], item["source"]
        if value is None:
            if name in _ALWAYS:
                row(name, "(none)")
            continue
        if isinstance(value, list):
            value = ",".join(map(str, value))
        lines = [line for line in str(value).splitlines() if line.strip()] or [""]
        row(name, lines[0], source)
        for line in lines[1:DESCRIPTION_LINES]:
            row("", line)
        if len(lines) > DESCRIPTION_LINES:
            row("", f"... ({len(lines) - DESCRIPTION_LINES} more lines)")
    torrent = target["torrent"]
    row("torrent", torrent["name"], torrent["name_source"])
    row("piece size", human_size(torrent["piece_size"]))
    row("infohash", out.hash(torrent["infohash"]))
    files = torrent["files"]
    row("files", f"{len(files)} file{'s' if len(files) != 1 else ''}, "
                 f"{human_size(torrent['total_size'])}")
    for f in files[:FILES_SHOWN]:
        row("", f"{f['path']}  ({human_size(f['size'])})")
    if len(files) > FILES_SHOWN:
        row("", f"... and {len(files) - FILES_SHOWN} more")
    out.table(rows, [Column("field", "FIELD", fit="keep"), Column("value", "VALUE"),
                     Column("from", "FROM", fit="keep")])
    out.line()
