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
    """One target: what happens there, its form with each value's source, its torrent."""
    from mktint.core.units import human_size

    out.line(f"{target['target']}: {target['action']}")
    rows: list[tuple[str, str]] = []
    for name, item in target["fields"].items():
        value, source = item["value"], item["source"]
        if value is None:
            if name in _ALWAYS:
                rows.append((name, "(none)"))
            continue
        label = f"  [{_LABELS.get(source, source)}]"
        if isinstance(value, list):
            value = ",".join(map(str, value))
        lines = [line for line in str(value).splitlines() if line.strip()] or [""]
        rows.append((name, lines[0] + label))
        rows += [("", line) for line in lines[1:DESCRIPTION_LINES]]
        if len(lines) > DESCRIPTION_LINES:
            rows.append(("", f"... ({len(lines) - DESCRIPTION_LINES} more lines)"))
    torrent = target["torrent"]
    rows.append(("torrent", f"{torrent['name']}  [{_LABELS[torrent['name_source']]}]"))
    rows.append(("piece size", human_size(torrent["piece_size"])))
    rows.append(("infohash", out.hash(torrent["infohash"])))
    files = torrent["files"]
    rows.append(("files", f"{len(files)} file{'s' if len(files) != 1 else ''}, "
                          f"{human_size(torrent['total_size'])}"))
    rows += [("", f"{f['path']}  ({human_size(f['size'])})") for f in files[:FILES_SHOWN]]
    if len(files) > FILES_SHOWN:
        rows.append(("", f"... and {len(files) - FILES_SHOWN} more"))
    out.record(rows)
    out.line()
