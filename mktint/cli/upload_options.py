"""The upload options shared by `mktint red upload`, `mktint publish` (and, for the refused
files, `mktint torrent create --target`).

``upload_metadata_options`` adds the flags; ``given_fields(options)`` turns the values the
user actually gave into a dict of :class:`~mktint.workflows.gazelle_upload.UploadFields`
keyword arguments (flags not given are left out, so they never override metadata found
elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import click

from mktint.workflows.preview import ACCEPTABLE

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

accept_option = click.option(
    "--accept", "accept", multiple=True, metavar="FIELD", type=click.Choice(ACCEPTABLE),
    help="Go on although the book is in doubt on FIELD (repeat for several): title, author, "
         "year (the sources disagree), runtime (the audio and Audnexus apart by more than "
         "3 min or 2 %), audio (files cannot be read), format (--format/--bitrate and the "
         "files disagree).")
exclude_refused_option = click.option(
    "--exclude-refused", is_flag=True,
    help="Leave out the files a target site refuses (e.g. .opus, .webp) instead of stopping "
         "before hashing.")

OPTIONS = [
    click.option("--title", help='Group title, by convention "Author - Title".'),
    click.option("--year", type=int, help="Year of the release."),
    click.option("--format", "format", metavar="FORMAT",
                 help="MP3, FLAC, AAC, AC3 or DTS (default: read from the audio files)."),
    click.option("--bitrate", metavar="BITRATE",
                 help="One of the site's bitrates, e.g. 320, V0 (VBR), Other (default: read "
                      "from the audio files)."),
    click.option("--other-bitrate", metavar="TEXT", help="The bitrate with --bitrate Other, e.g. 64."),
    click.option("--vbr", is_flag=True, help='With --bitrate Other: the bitrate is variable (" (VBR)").'),
    click.option("--tags", metavar="A,B", help="Comma-separated tags, e.g. fantasy,science.fiction."),
    click.option("--description", metavar="TEXT", help="Group description (BBCode, 10+ characters)."),
    click.option("--description-file", type=_FILE, help="Read the group description from a file."),
    click.option("--release-desc", metavar="TEXT", help="Torrent (release) description."),
    click.option("--release-desc-file", type=_FILE, help="Read the release description from a file."),
    click.option("--image", metavar="URL", help="Cover image URL."),
    click.option("--category", default="audiobooks", show_default=True, metavar="NAME",
                 help="Category: audiobooks, music, applications, e-books, e-learning-videos, "
                      "comedy, comics."),
    click.option("--group-id", type=int, help="Add the torrent to this existing group."),
    click.option("--request-id", type=int, help="Fill this request."),
    click.option("--asin", metavar="ASIN",
                 help="Fill title, year, description, image and tags from Audnexus."),
]

NAMES = ("title", "year", "format", "bitrate", "other_bitrate", "vbr", "tags", "description",
         "description_file", "release_desc", "release_desc_file", "image", "category",
         "group_id", "request_id", "asin")


def upload_metadata_options(function):
    """Add every upload-metadata flag (values arrive as keyword arguments named in NAMES)."""
    for option in reversed(OPTIONS):
        function = option(function)
    return function


def pop_options(kwargs: dict) -> dict:
    """Take the upload-metadata values out of a command's keyword arguments."""
    return {name: kwargs.pop(name) for name in NAMES}


def _text_option(text: str | None, file: Path | None, flag: str) -> str | None:
    from mktint.core.errors import UsageError
    from mktint.core.paths import TEXT_FILE_LIMIT, read_limited

    if text is not None and file is not None:
        raise UsageError(f"give {flag} or {flag}-file, not both")
    if file is None:
        return text
    try:
        return read_limited(file, TEXT_FILE_LIMIT, f"{flag}-file").decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {flag}-file {file}: {e}") from None


def given_fields(options: dict) -> dict:
    """The UploadFields values the flags give (flags not given left out; ``vbr`` only if set)."""
    description = _text_option(options["description"], options["description_file"], "--description")
    release_desc = _text_option(options["release_desc"], options["release_desc_file"], "--release-desc")
    given = {
        "title": options["title"], "year": options["year"], "format": options["format"],
        "bitrate": options["bitrate"], "other_bitrate": options["other_bitrate"],
        "vbr": True if options["vbr"] else None,
        "tags": [t.strip() for t in options["tags"].split(",") if t.strip()] if options["tags"] else None,
        "description": description, "release_desc": release_desc, "image": options["image"],
        "category": options["category"], "group_id": options["group_id"],
        "request_id": options["request_id"],
    }
    return {k: v for k, v in given.items() if v is not None}
