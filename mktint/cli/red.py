"""`mktint red`: Gazelle trackers (RED, OPS) — whoami, search, group, torrent, download, upload.

Every command works on the gazelle service picked with ``-s/--service``, before the
command (``mktint red -s ops whoami``) or after it; the ``ops`` group is the same commands
with ``ops`` picked. Heavy modules (requests, the service client) are imported inside
the commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from mktint.cli.options import complete_service_names, json_option, pass_state, service_option
from mktint.cli.render import snake_keys
from mktint.cli.upload_options import accept_option, upload_metadata_options
from mktint.cli.state import AppState

SERVICE_KEY = "mktint.gazelle_service"  # ctx.meta: the service the group picked

gazelle_service = service_option(
    "gazelle", None, help_text="Which Gazelle service (default: the group's -s, else red for "
                               "`mktint red`, ops for `mktint ops`).")


def _gazelle_group(name: str, default: str, doc: str) -> click.Group:
    """A group of the Gazelle commands whose ``-s/--service`` (before the command) picks
    the service for all of them; ``-s`` after the command still wins."""

    @click.group(name=name, help=doc)
    @click.option("-s", "--service", "group_service", metavar="NAME", default=default,
                  shell_complete=complete_service_names(("gazelle",)),
                  help=f"Which Gazelle service the commands use (default: {default}).")
    @click.pass_context
    def group(ctx: click.Context, group_service: str) -> None:
        ctx.meta[SERVICE_KEY] = group_service

    return group


red = _gazelle_group("red", "red", """Gazelle trackers (RED, OPS): account, search, download and safe uploads.

    \b
    Examples:
      mktint red whoami
      mktint red search "mistborn" --json | jq '.[].torrent_id'
      mktint red upload book.torrent --asin B002UZMLXM --format AAC \\
          --bitrate Other --other-bitrate 64 --dry-run
      mktint red -s ops whoami
    """)

ops = _gazelle_group("ops", "ops", """OPS (Orpheus): the `mktint red` commands with -s ops chosen.

    \b
    Examples:
      mktint ops whoami
      mktint ops search "mistborn" --category audiobooks
      mktint ops upload book.torrent --asin B002UZMLXM --dry-run
    """)
ops.alias_of = "red"  # same commands, same output (docs/json.md documents them under red)


def _service(name: str | None) -> str:
    return name or click.get_current_context().meta.get(SERVICE_KEY) or "red"


def _client(state: AppState, name: str | None):
    return state.factory.service(_service(name), "gazelle")


def _tracker(state: AppState, name: str | None):
    return state.factory.tracker(_service(name))


def iso_time(value) -> str | None:
    """Gazelle's "YYYY-MM-DD HH:MM:SS" (UTC) as ISO-8601."""
    import datetime as dt

    if not value:
        return None
    try:
        parsed = dt.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(value)
    return parsed.replace(tzinfo=dt.timezone.utc).isoformat()


def _size(value) -> str:
    from mktint.core.units import human_size

    return human_size(int(value))


# -- whoami -------------------------------------------------------------------------------

@red.command(short_help="Account, ratio and traffic; stores the passkey.")
@gazelle_service
@json_option
@pass_state
def whoami(state: AppState, service_name: str) -> None:
    """Show the account (class, ratio, traffic) and store its passkey for announce URLs.

    \b
    Examples:
      mktint red whoami
      mktint red whoami -s ops --json | jq .ratio
    """
    client = _client(state, service_name)
    info = client.index()
    client.remember_passkey(info)
    stats = info.get("userstats") or {}
    result = {
        "service": client.name, "flavour": client.flavour, "username": info.get("username"),
        "user_id": info.get("id"), "user_class": stats.get("class"), "ratio": stats.get("ratio"),
        "required_ratio": stats.get("requiredratio"), "uploaded": stats.get("uploaded"),
        "downloaded": stats.get("downloaded"), "passkey_stored": True,
    }
    out = state.output
    out.emit(result, lambda: out.record([
        ("service", f"{client.name} ({client.flavour})"), ("username", result["username"]),
        ("id", result["user_id"]), ("class", result["user_class"]), ("ratio", result["ratio"]),
        ("required ratio", result["required_ratio"]),
        ("uploaded", _size(result["uploaded"]) if result["uploaded"] is not None else None),
        ("downloaded", _size(result["downloaded"]) if result["downloaded"] is not None else None),
        ("passkey", "stored"),
    ]))


# -- search, group, torrent ---------------------------------------------------------------

def _search_rows(client, hits: list) -> list[dict]:
    """One row per :class:`~mktint.services.gazelle.SearchHit`."""
    return [{"torrent_id": h.torrent_id, "group_id": h.group_id, "name": h.name, "year": h.year,
             "category": h.category, "tags": h.tags, "format": h.format, "encoding": h.encoding,
             "size": h.size, "seeders": h.seeders, "leechers": h.leechers,
             "snatches": h.snatches, "time": iso_time(h.time),
             "url": client.torrent_url(h.torrent_id, h.group_id) if h.torrent_id else None}
            for h in hits]


@red.command(short_help="Search torrents (browse), one row per torrent.")
@click.argument("query")
@click.option("--category", metavar="NAME", help="Only this category (audiobooks, music, e-books, ...).")
@click.option("--page", type=click.IntRange(min=1), help="Result page (default 1).")
@gazelle_service
@json_option
@pass_state
def search(state: AppState, query: str, category: str | None, page: int | None,
           service_name: str) -> None:
    """Search the site's torrents (action=browse); one row per torrent.

    \b
    Examples:
      mktint red search "brandon sanderson" --category audiobooks
      mktint red search mistborn --json | jq -r '.[] | "\\(.torrent_id) \\(.name)"'
    """
    from mktint.core.output import Column
    from mktint.services.gazelle import category_id

    if category:
        category_id(category)  # a bad name is a usage error before any request
    client = _client(state, service_name)
    found = client.search(query, category=category, page=page)
    rows = _search_rows(client, found.hits)
    out = state.output
    page, pages = found.page, found.pages
    if pages and pages > 1:
        out.info(f"page {page} of {pages}" + (f"; --page {page + 1} for more" if page < pages else ""))
    out.emit(rows, lambda: out.table(rows, [
        Column("torrent_id", "TORRENT"), Column("group_id", "GROUP"), Column("name", "NAME"),
        Column("format", "FORMAT"), Column("encoding", "BITRATE"),
        Column("size", "SIZE", _size, "right"), Column("seeders", "SEEDERS", justify="right")]))


def _torrent_json(client, t) -> dict:
    """A :class:`~mktint.services.gazelle.SiteTorrent` as this command's JSON."""
    return {
        "id": t.id, "group_id": t.group_id, "group_name": t.group_name, "infohash": t.infohash,
        "media": t.media, "format": t.format, "encoding": t.encoding, "size": t.size,
        "file_count": t.file_count, "file_path": t.file_path,
        "files": [{"path": f.path, "size": f.size} for f in t.files],
        "seeders": t.seeders, "leechers": t.leechers, "snatched": t.snatched,
        "description": t.description, "time": iso_time(t.time),
        "url": client.torrent_url(t.id, t.group_id) if t.id else None,
    }


def _group_json(group) -> dict:
    return {"id": group.id, "name": group.name, "year": group.year, "category": group.category,
            "tags": group.tags, "image": group.image, "description": group.description,
            "time": iso_time(group.time)}


@red.command(short_help="A torrent group and its torrents.")
@click.argument("group_id", type=click.IntRange(min=1), metavar="ID")
@gazelle_service
@json_option
@pass_state
def group(state: AppState, group_id: int, service_name: str) -> None:
    """Show a torrent group and its torrents (action=torrentgroup).

    \b
    Examples:
      mktint red group 1234
      mktint red group 1234 --json | jq '.torrents[].infohash'
    """
    from mktint.core.output import Column

    client = _client(state, service_name)
    found = client.group(group_id)
    result = {**_group_json(found), "torrents": [_torrent_json(client, t) for t in found.torrents]}
    out = state.output

    def human() -> None:
        out.record([("group", result["id"]), ("name", result["name"]), ("year", result["year"]),
                    ("category", result["category"]), ("tags", result["tags"]),
                    ("image", result["image"])])
        out.line()
        out.table(result["torrents"], [
            Column("id", "TORRENT"), Column("format", "FORMAT"), Column("encoding", "BITRATE"),
            Column("size", "SIZE", _size, "right"), Column("file_count", "FILES", justify="right"),
            Column("infohash", "INFOHASH")])

    out.emit(result, human)


@red.command(short_help="One torrent by ID or --hash: infohash, files.")
@click.argument("torrent_id", type=click.IntRange(min=1), metavar="ID", required=False)
@click.option("--hash", "infohash", metavar="INFOHASH", help="Look the torrent up by infohash.")
@gazelle_service
@json_option
@pass_state
def torrent(state: AppState, torrent_id: int | None, infohash: str | None, service_name: str) -> None:
    """Show one torrent by ID or by --hash (action=torrent): infohash, files, description.

    \b
    Examples:
      mktint red torrent 56789
      mktint red torrent --hash 0123456789abcdef0123456789abcdef01234567 --json
    """
    from mktint.core.errors import UsageError
    from mktint.services.gazelle import normalize_infohash

    if (torrent_id is None) == (infohash is None):
        raise UsageError("give a torrent ID or --hash INFOHASH (one of them)")
    if infohash is not None:
        infohash = normalize_infohash(infohash)
    from mktint.core.errors import NotFound

    client = _client(state, service_name)
    try:
        answer = client.torrent(id=torrent_id, hash=infohash)
    except NotFound as e:
        what = f"infohash {infohash.lower()}" if infohash else f"id {torrent_id}"
        raise NotFound(f"{client.name} has no torrent with {what} ({e.message})",
                       service=client.name) from None
    result = _torrent_json(client, answer)
    out = state.output
    out.emit(result, lambda: out.record([
        ("torrent", result["id"]), ("group", f"{result['group_id']} {result['group_name']}"),
        ("infohash", result["infohash"]), ("format", f"{result['format']} {result['encoding']}"),
        ("size", _size(result["size"]) if result["size"] is not None else None),
        ("files", result["file_count"]), ("folder", result["file_path"]),
        ("uploaded", result["time"]), ("url", result["url"])]))


# -- download -----------------------------------------------------------------------------

@red.command(short_help="Download the site's .torrent (atomic write).")
@click.argument("torrent_id", type=click.IntRange(min=1), metavar="ID")
@click.option("-o", "--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the .torrent (default: SERVICE-ID.torrent here).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@gazelle_service
@json_option
@pass_state
def download(state: AppState, torrent_id: int, output_path: Path | None, force: bool,
             service_name: str) -> None:
    """Download the site's .torrent (with your passkey), written atomically.

    \b
    Examples:
      mktint red download 56789
      mktint red download 56789 -o ~/watch/book.torrent --force
    """
    from mktint.core.errors import Conflict, OperationFailed
    from mktint.core.paths import atomic_write

    client = _client(state, service_name)
    path = output_path or Path(f"{client.name}-{torrent_id}.torrent")
    if path.exists() and not force:
        raise Conflict(f"{path} already exists", hint="pass --force to overwrite it, or -o FILE")
    data = client.download(torrent_id)
    try:
        atomic_write(path, data, mode=0o600, overwrite=True)
    except OSError as e:
        raise OperationFailed(f"cannot write {path}: {e.strerror or e}") from None
    result = {"torrent_id": torrent_id, "path": str(path), "size": len(data)}
    out = state.output
    out.emit(result, lambda: out.success(f"wrote {path} ({len(data)} bytes)"))


# -- upload -------------------------------------------------------------------------------

def _data_path(torrent_file: Path, meta, data: Path | None) -> Path | None:
    """The data the torrent was made from: --data, else the torrent's name next to it."""
    if data is not None:
        return data
    beside = torrent_file.parent / meta.name
    try:
        return beside if beside.exists() else None
    except OSError:  # e.g. a name longer than the file system allows: nothing to read
        return None


def _book(state: AppState, options: dict):
    """Audnexus' book of --asin, or None."""
    from mktint.core.asin import validate_asin

    if not options["asin"]:
        return None
    return state.factory.service("audnexus", "audnexus").book(validate_asin(options["asin"]))


@red.command(short_help="Upload safely: preflight, dupe check, never twice.")
@click.argument("torrent_file", metavar="TORRENT",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@upload_metadata_options
@click.option("--data", "data_path", type=click.Path(exists=True, path_type=Path),
              help="The data TORRENT was made from, to read format and bitrate "
                   "(default: the torrent's name next to TORRENT, if there).")
@click.option("--dry-run", is_flag=True,
              help="Check everything and upload nothing (the site validates with dryrun=1 "
                   "where it has a dry run; OPS has none and is not asked).")
@accept_option
@click.option("-y", "--yes", is_flag=True, help="Upload without asking for confirmation.")
@gazelle_service
@json_option
@pass_state
def upload(state: AppState, torrent_file: Path, service_name: str, dry_run: bool, yes: bool,
           data_path: Path | None, accept: tuple[str, ...], **options) -> None:
    """Upload TORRENT safely: preflight, duplicate check, one upload, never twice.

    Every problem with the torrent or the flags is reported before any request (exit 2 for
    a bad flag, 1 for a torrent that breaks a tracker rule). --format and --bitrate, when
    not given, are read from the audio files of the data (--data, else the torrent's name
    next to TORRENT). Before the question (and in a dry run) the form is shown as it will
    be sent, each value with its source, and the torrent's files, piece size and infohash.
    With the data, it stops (exit 1) on the doubts `mktint publish` stops on: sources
    that disagree, a runtime off, unreadable audio, flags the files contradict (--accept
    FIELD lets one through). A torrent already on the site
    exits 6 with its URL. If the site rewrote the torrent, its copy is saved next to TORRENT
    as NAME.SERVICE.site.torrent: seed that file.

    \b
    Examples:
      mktint red upload book.torrent --title "Author - Title" --year 2020 \\
          --format AAC --bitrate Other --other-bitrate 64 --tags fantasy,audiobook \\
          --description-file desc.txt --dry-run
      mktint red upload book.torrent --asin B002UZMLXM --format MP3 --bitrate 320 --yes --json
    """
    from mktint.cli.upload_options import given_fields
    from mktint.core.errors import MktintError, OperationFailed, UsageError
    from mktint.core.paths import TORRENT_FILE_LIMIT, read_limited
    from mktint.torrent.metainfo import Metainfo
    from mktint.workflows import gazelle_upload as flow

    out = state.output
    try:
        data = read_limited(torrent_file, TORRENT_FILE_LIMIT, "a .torrent file")
        meta = Metainfo.parse(data)
    except OSError as e:
        raise UsageError(f"cannot read {torrent_file}: {e.strerror or e}") from None
    except MktintError as e:  # the parser raises only project errors (fuzzed in tests/torrent)
        raise UsageError(f"{torrent_file} is not a valid .torrent file: {e.message}") from None
    from mktint.workflows.preview import inspect_book, target_preview, torrent_preview

    tracker = _tracker(state, service_name)
    client = tracker.client
    given, accepted, book = given_fields(options), frozenset(accept), _book(state, options)
    source = _data_path(torrent_file, meta, data_path)
    inspection, doubts = inspect_book(source, book, given, accepted) if source else (None, [])
    fields, problems = tracker.upload_fields(flow.fields_from_book(book) if book else {}, given,
                                             None, inspection=inspection, accept=accepted)
    flow.raise_problems(doubts + problems
                        + flow.preflight(client, meta, fields), client.name)
    preview = target_preview(tracker, tracker.action(dry_run), tracker.form_preview(fields, given),
                             torrent_preview(data, "torrent_file"))
    if not out.json:  # the JSON result carries the preview
        from mktint.cli.upload_preview import show_preview

        show_preview(out, preview)

    if not dry_run and not out.confirm(
            f"Upload {torrent_file.name} to {client.name} as {fields.title!r}?", assume_yes=yes):
        raise click.exceptions.Exit(1)

    with out.progress("uploading", None) as bar:
        outcome = tracker.upload(data, fields, dry_run=dry_run,
                                 progress=lambda done, total: bar.update(completed=done, total=total),
                                 filename=torrent_file.name)

    result = snake_keys(outcome.to_dict())  # the dry run's `derived` is the site's own answer
    result["seed_file"] = None if dry_run or outcome.rewritten else str(torrent_file)
    result["preview"] = preview
    if outcome.site_torrent is not None:
        try:
            seed = tracker.save_site_copy(torrent_file, outcome.site_torrent)
        except OSError as e:
            raise OperationFailed(
                f"uploaded ({outcome.url}) but cannot save the site's copy next to "
                f"{torrent_file}: {e}", service=client.name,
                hint=f"download it with `mktint red download {outcome.torrent_id} -s {client.name}`"
            ) from None
        result["seed_file"] = str(seed)
    for warning in outcome.warnings:
        out.warn(warning)

    def human() -> None:
        if dry_run:
            if outcome.server_checked:
                out.success(f"dry run: {client.name} accepts this upload (nothing was uploaded)")
            else:
                out.success(f"dry run: every local check passed; {client.name} has no "
                            "server-side dry run, so the site was not asked (nothing was "
                            "uploaded). The form that would be sent:")
            derived = result["derived"] if isinstance(result["derived"], dict) else {"answer": result["derived"]}
            out.record(list(derived.items()))
            return
        out.success(f"uploaded: {outcome.url}")
        if outcome.rewritten and outcome.site_torrent is not None:
            out.warn(f"{client.name} rewrote the torrent (new infohash {outcome.infohash}); "
                     f"seed {result['seed_file']}, not {torrent_file}")
        out.record([("torrent", outcome.torrent_id), ("group", outcome.group_id),
                    ("url", outcome.url), ("infohash", outcome.infohash),
                    ("seed", result["seed_file"])])

    out.emit(result, human)


for _command in red.commands.values():  # `mktint ops …` is `mktint red -s ops …`
    ops.add_command(_command)
