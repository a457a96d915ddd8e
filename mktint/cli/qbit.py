"""`mktint qbit`: drive a qBittorrent WebUI (4.1 through 5.2 and later).

Torrents are chosen by hash arguments, `-` (one hash per line on stdin), or the
selection options `--filter/--category/--tag`; `--all` must be given to act on every
torrent. Nothing here speaks HTTP: the commands call ``QBittorrentClient``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mktint.cli.completers import complete_files, hash_completer, qbit_completer
from mktint.cli.options import complete_service_names, json_option, pass_state, resolve_service, seconds
from mktint.cli.state import AppState
from mktint.core.units import human_size
from mktint.services.qbittorrent import vocab  # pure: names only, no requests

SERVICE_KEY = "mktint.qbit.service"
FILTER_NAMES = vocab.ALL_FILTERS
complete_category = qbit_completer("categories", service_key=SERVICE_KEY)
complete_tag = qbit_completer("tags", service_key=SERVICE_KEY)
complete_tag_list = qbit_completer("tags", service_key=SERVICE_KEY, comma_list=True)
complete_hash = hash_completer(service_key=SERVICE_KEY)


def _remember_service(ctx: click.Context, _param, value: str | None) -> str | None:
    if value:
        ctx.meta[SERVICE_KEY] = value
    return value


def service_opt(f):
    return click.option("-s", "--service", metavar="NAME", expose_value=False,
                        callback=_remember_service,
                        shell_complete=complete_service_names(("qbittorrent",)),
                        help="Which qBittorrent service (default: [defaults] client).")(f)


def _complete_filter(_ctx, _param, incomplete: str):
    return [name for name in FILTER_NAMES if name.startswith(incomplete)]


def client_of(state: AppState):
    return resolve_service(state, click.get_current_context().meta.get(SERVICE_KEY), "qbittorrent")


def selection(f):
    """HASH... / - / --filter / --category / --tag / --all."""
    f = click.option("--all", "select_all", is_flag=True, help="Act on every torrent (narrowed by the options).")(f)
    f = click.option("--tag", metavar="TAG", shell_complete=complete_tag,
                     help="Only torrents with this tag.")(f)
    f = click.option("--category", metavar="NAME", shell_complete=complete_category,
                     help="Only torrents in this category ('' = none).")(f)
    f = click.option("--filter", "state_filter", metavar="STATE", shell_complete=_complete_filter,
                     help="Only torrents in this state: " + ", ".join(FILTER_NAMES) + ".")(f)
    return click.argument("hashes", nargs=-1, metavar="[HASH...|-]", shell_complete=complete_hash)(f)


def read_hashes(client, hashes: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The torrent IDs given as arguments and those read from stdin (``-``), prefixes resolved."""
    named: list[str] = []
    piped: list[str] = []
    for h in hashes:
        if h == "-":
            piped += [line.strip() for line in sys.stdin if line.strip()]
        else:
            named.append(h)
    return client.resolve_hashes(named), client.resolve_hashes(piped)


def select(client, hashes, state_filter, category, tag, select_all, *, default_all=False) -> list[dict]:
    """The torrents a command acts on; refuses an empty selection and unknown hashes."""
    return selected(client, hashes, state_filter, category, tag, select_all, default_all=default_all)[0]


def selected(client, hashes, state_filter, category, tag, select_all, *,
             default_all=False) -> tuple[list[dict], set[str]]:
    """``select`` and the IDs named as arguments (not read from stdin)."""
    from mktint.core.errors import NotFound, UsageError

    if state_filter is not None:
        vocab.check_filter(state_filter)
    named, piped = read_hashes(client, hashes)
    wanted = list(dict.fromkeys(named + piped))
    if "-" in hashes and not piped:
        raise UsageError("no hashes on stdin")
    narrowed = state_filter is not None or category is not None or tag is not None
    if select_all and wanted:
        raise UsageError("--all cannot be combined with hashes")
    if not (wanted or narrowed or select_all or default_all):
        raise UsageError("no torrents selected",
                         hint="give hashes, '-' to read them from stdin, --filter/--category/--tag, "
                              "or --all for every torrent")
    found = client.torrents(filter=state_filter, category=category, tag=tag, hashes=wanted or None)
    if wanted:
        missing = set(wanted) - {t["hash"] for t in found}
        if missing and not narrowed:
            raise NotFound(f"{client.name}: no torrent " + ", ".join(sorted(missing)),
                           service=client.name, details={"missing": sorted(missing)})
    return found, set(named)


def _brief(torrents: list[dict]) -> list[dict]:
    return [{"hash": t["hash"], "name": t["name"]} for t in torrents]


def _pct(value) -> str:
    return f"{value * 100:.1f}%"


dry_run_option = click.option("--dry-run", is_flag=True, help="Only print what would change.")


def _changes(torrents: list[dict], change) -> list[dict]:
    """``{hash, name, from, to}`` for each torrent ``change(t)`` would alter; it answers
    ``(before, after)``, or None when the torrent is already as asked."""
    rows = []
    for t in torrents:
        answer = change(t)
        if answer is not None:
            rows.append({"hash": t["hash"], "name": t["name"], "from": answer[0], "to": answer[1]})
    return rows


def _show_changes(out, changes: list[dict], summary: str, dry_run: bool) -> None:
    """A dry run lists every change (a table on a terminal, hash/name/from/to lines piped)."""
    from mktint.core.output import Column, short_hash

    if dry_run:
        out.table(changes, [Column("hash", "HASH", short_hash, fit="keep"),
                            Column("name", "NAME", fit="ellipsis"), Column("from", "NOW"),
                            Column("to", "AFTER")])
    out.success(summary)


def _is_stopped(t: dict) -> bool:
    from mktint.services.qbittorrent.sync import matches_filter

    return matches_filter("stopped", t)


def _held_back(out, torrents: list[dict], named: set[str], tag: str | None) -> tuple[list[dict], list[dict]]:
    """Bulk start leaves torrents tagged mam-pending (publish added them stopped until their
    MAM upload is done) alone, unless named by hash on the command line or by --tag."""
    from mktint.workflows.publish import MAM_PENDING_TAG

    if tag == MAM_PENDING_TAG:
        return torrents, []
    held = [t for t in torrents if MAM_PENDING_TAG in t["tags"] and t["hash"] not in named]
    if held:
        out.warn(f"left {len(held)} torrent(s) tagged {MAM_PENDING_TAG} alone (their MAM upload "
                 "is not done); name them by hash to start them: "
                 + ", ".join(f"{out.hash(t['hash'], err=True)} {t['name']}" for t in held))
    return [t for t in torrents if t not in held], held


@click.group()
@service_opt
def qbit() -> None:
    """Drive qBittorrent through its WebUI API (4.1 through 5.2 and later).

    \b
    Examples:
      mktint qbit list --filter seeding --category audiobooks
      mktint qbit add book.torrent --save-path /data/audiobooks --category audiobooks
      mktint qbit list --filter errored --json | jq -r '.[].hash' | mktint qbit recheck -
      mktint qbit -s seedbox tracker replace --old URL1 --new URL2
    """


@qbit.command()
@service_opt
@json_option
@pass_state
def version(state: AppState) -> None:
    """Show the qBittorrent version, WebAPI version and build info.

    \b
    Example:
      mktint qbit version --json
    """
    out = state.output
    info = client_of(state).version_info()

    def human() -> None:
        pairs = [("qBittorrent", info["app_version"]), ("WebAPI", info["webapi_version"])]
        pairs += [(k, v) for k, v in (info["build_info"] or {}).items()]
        out.record(pairs)

    out.emit(info, human)


@qbit.command("list")
@service_opt
@click.option("--filter", "state_filter", metavar="STATE", shell_complete=_complete_filter,
              help="Only torrents in this state: " + ", ".join(FILTER_NAMES) + ".")
@click.option("--category", metavar="NAME", shell_complete=complete_category,
              help="Only torrents in this category ('' = none).")
@click.option("--tag", metavar="TAG", shell_complete=complete_tag, help="Only torrents with this tag.")
@click.option("--sort", metavar="FIELD", help="Sort by a field (name, size, added_on, ratio, progress, ...).")
@click.option("--reverse", is_flag=True, help="Reverse the sort order.")
@click.option("--limit", type=click.IntRange(min=1), help="At most N torrents.")
@json_option
@pass_state
def list_(state: AppState, state_filter, category, tag, sort, reverse, limit) -> None:
    """List torrents.

    \b
    Examples:
      mktint qbit list
      mktint qbit list --filter stopped --sort added_on --reverse --limit 10
      mktint qbit list --tag mktint --json | jq -r '.[] | [.hash, .name] | @tsv'
    """
    from mktint.core.output import Column, short_hash

    if state_filter is not None:
        vocab.check_filter(state_filter)
    if sort is not None:
        vocab.check_sort(sort)
    out = state.output
    rows = client_of(state).torrents(filter=state_filter, category=category, tag=tag, sort=sort,
                                     reverse=reverse, limit=limit)
    out.emit(rows, lambda: out.table(rows, [
        Column("hash", "HASH", short_hash, fit="keep"), Column("name", "NAME", fit="ellipsis"),
        Column("state", "STATE", fit="keep"), Column("progress", "DONE", _pct, "right", fit="keep"),
        Column("size", "SIZE", human_size, "right", fit="keep"),
        Column("ratio", "RATIO", lambda r: f"{r:.2f}", "right", fit="keep"),
        Column("category", "CATEGORY", fit="ellipsis"), Column("tags", "TAGS", fit="ellipsis")]))


@qbit.command()
@service_opt
@click.argument("infohash", metavar="HASH", shell_complete=complete_hash)
@json_option
@pass_state
def info(state: AppState, infohash: str) -> None:
    """Show one torrent: properties, trackers (pseudo-trackers marked) and files.

    \b
    Example:
      mktint qbit info 0123456789abcdef0123456789abcdef01234567 --json
    """
    out = state.output
    client = client_of(state)
    infohash = client.resolve_hashes([infohash])[0]
    torrent = client.torrent(infohash)
    p = client.properties(infohash)
    props = {"total_size": p.get("total_size"), "piece_size": p.get("piece_size"),
             "pieces": p.get("pieces_num"), "comment": p.get("comment") or "",
             "created_by": p.get("created_by") or "",
             "uploaded": p.get("total_uploaded"), "downloaded": p.get("total_downloaded"),
             "seeding_time": p.get("seeding_time"), "share_ratio": p.get("share_ratio")}
    data = {**torrent, "properties": props, "trackers": client.trackers(infohash),
            "files": client.files(infohash)}

    def human() -> None:
        out.record([(k, torrent[k]) for k in ("name", "hash", "state", "progress", "size",
                                               "save_path", "category", "tags", "added_on", "ratio")]
                   + list(props.items()))
        out.line()
        for t in data["trackers"]:
            out.line(f"tracker\t{t['url']}\t{'pseudo' if t['pseudo'] else t['status']}\t{t['message']}")
        for f in data["files"]:
            out.line(f"file\t{f['name']}\t{f['size']}\t{_pct(f['progress'])}")

    out.emit(data, human)


@qbit.command()
@service_opt
@click.argument("sources", nargs=-1, required=True, metavar="FILE|MAGNET|URL...",
                shell_complete=complete_files)
@click.option("--save-path", metavar="DIR", help="Where the data is or goes (host path; path_map applied).")
@click.option("--category", metavar="NAME", shell_complete=complete_category,
              help="Category (default: the service's `category`).")
@click.option("--tags", metavar="A,B", shell_complete=complete_tag_list,
              help="Tags, comma-separated (added to the service's `tags`).")
@click.option("--stopped", is_flag=True, help="Add without starting (no hash check on 4.x until started).")
@click.option("--skip-check", is_flag=True, help="Do not hash-check existing data (seed as is).")
@click.option("--content-layout", type=click.Choice(["Original", "Subfolder", "NoSubfolder"]),
              help="How the content folder is laid out.")
@click.option("--rename", metavar="NAME", help="Torrent name in the client (one torrent only).")
@click.option("--wait", type=seconds(), default=10.0, show_default=True,
              help="Seconds to wait for each torrent to be listed (0: do not wait).")
@json_option
@pass_state
def add(state: AppState, sources, save_path, category, tags, stopped, skip_check,
        content_layout, rename, wait) -> None:
    """Add .torrent files, magnet links or URLs; report added/exists/failed for each.

    All .torrent files go in one request. Exit status 0 when every torrent was added or
    already there, 1 when any failed.

    \b
    Examples:
      mktint qbit add book.torrent --save-path /srv/audiobooks --category audiobooks
      mktint qbit add *.torrent --tags mktint,red --stopped --json
      mktint qbit add 'magnet:?xt=urn:btih:...'
    """
    from mktint.core.errors import EXIT_FAILED, UsageError
    from mktint.core.output import Column, short_hash
    from mktint.core.paths import TORRENT_FILE_LIMIT, read_limited

    files, urls = [], []
    for source in sources:
        if source.startswith(("magnet:", "http://", "https://")):
            urls.append(source)
            continue
        try:
            files.append((source, read_limited(source, TORRENT_FILE_LIMIT, "a .torrent file")))
        except OSError as e:
            raise UsageError(f"cannot read {source}: {e.strerror}") from None
    tag_list = [t.strip() for t in (tags or "").split(",") if t.strip()]
    out = state.output
    results = client_of(state).add(files, urls, save_path=save_path, category=category,
                                   tags=tag_list, stopped=stopped, skip_check=skip_check,
                                   content_layout=content_layout, rename=rename, wait=wait)
    rows = [r.to_dict() for r in results]
    out.emit(rows, lambda: out.table(rows, [
        Column("status", "STATUS", fit="keep"), Column("infohash", "HASH", short_hash, fit="keep"),
        Column("name", "NAME", fit="ellipsis"), Column("message", "MESSAGE")]))
    if any(r.status == "failed" for r in results):
        raise click.exceptions.Exit(EXIT_FAILED)


# start/stop: how each torrent would change (None: already so), and the word for "already".
STATE_CHANGES = {
    "start": (lambda t: (t["state"], "running") if _is_stopped(t) else None, "running"),
    "stop": (lambda t: None if _is_stopped(t) else (t["state"], "stopped"), "stopped"),
}


def _action(name: str, done: str, help_line: str, example: str):
    def command(state: AppState, hashes, state_filter, category, tag, select_all, dry_run=False) -> None:
        client = client_of(state)
        out = state.output
        torrents, named = selected(client, hashes, state_filter, category, tag, select_all)
        held = []
        if name == "start":
            torrents, held = _held_back(out, torrents, named, tag)
        result = {"action": name, "count": len(torrents), "torrents": _brief(torrents)}
        if name not in STATE_CHANGES:
            getattr(client, name)([t["hash"] for t in torrents])
            out.emit(result, lambda: out.success(f"{done} {len(torrents)} torrent(s)"))
            return
        change, already = STATE_CHANGES[name]
        changes = _changes(torrents, change)
        if not dry_run:
            getattr(client, name)([t["hash"] for t in torrents])
        result.update(dry_run=dry_run, changes=changes, skipped=_brief(held))
        rest = len(torrents) - len(changes)
        verb = f"would {name}" if dry_run else done
        summary = (f"{verb} {len(changes)} of {len(torrents)} torrent(s) ({rest} already {already})" if rest
                   else f"{verb} {len(torrents)} torrent(s)")
        out.emit(result, lambda: _show_changes(out, changes, summary, dry_run))

    command = selection(json_option(pass_state(command)))
    if name in STATE_CHANGES:
        command = dry_run_option(command)
    return qbit.command(name, help=f"{help_line}\n\n\b\nExamples:\n  {example}\n")(service_opt(command))


start = _action("start", "started",
               "Start (resume) torrents.\n\nTorrents tagged mam-pending (added stopped by publish until "
               "their MAM upload is done) are left alone unless named by hash on the command line "
               "or selected with --tag mam-pending.",
               "mktint qbit start --filter stopped --category audiobooks --dry-run")
stop = _action("stop", "stopped", "Stop (pause) torrents.", "mktint qbit stop 0123456789abcdef0123456789abcdef01234567")
recheck = _action("recheck", "asked to recheck", "Hash-check torrents' data again.",
                  "mktint qbit list --filter errored --json | jq -r '.[].hash' | mktint qbit recheck -")
reannounce = _action("reannounce", "reannounced", "Announce torrents to their trackers now.",
                     "mktint qbit reannounce --tag red")


@qbit.command()
@service_opt
@selection
@click.option("--delete-files", is_flag=True, help="Also delete the downloaded data (asks first).")
@click.option("-y", "--yes", is_flag=True, help="Delete files without asking (needed without a terminal).")
@click.option("--dry-run", is_flag=True, help="Only print what would be removed.")
@json_option
@pass_state
def remove(state: AppState, hashes, state_filter, category, tag, select_all, delete_files, yes,
           dry_run) -> None:
    """Remove torrents (their data too with --delete-files).

    Refuses when no torrent is named; every torrent only with --all. With --delete-files
    it lists what goes and asks on a terminal; without one it needs --yes.

    \b
    Examples:
      mktint qbit remove 0123456789abcdef0123456789abcdef01234567
      mktint qbit remove --filter errored --category audiobooks --dry-run
      mktint qbit remove decd147c --delete-files --yes
    """
    import posixpath

    from mktint.core.errors import EXIT_FAILED

    client = client_of(state)
    out = state.output
    torrents = select(client, hashes, state_filter, category, tag, select_all)
    if delete_files and not dry_run and torrents and not yes:
        for t in torrents:  # content_path is relative to save_path while 4.5.2 checks resume data
            where = posixpath.join(t["save_path"] or "", t["content_path"] or t["name"])
            out.info(f"  {out.hash(t['hash'], err=True)}  {human_size(t['size'] or 0):>10}  {where}")
        total = human_size(sum(t["size"] or 0 for t in torrents))
        if not out.confirm(f"Remove {len(torrents)} torrent(s) and delete their files ({total})?"):
            out.info("nothing removed")
            raise click.exceptions.Exit(EXIT_FAILED)
    if not dry_run:
        client.remove([t["hash"] for t in torrents], delete_files=delete_files)
    result = {"dry_run": dry_run, "delete_files": delete_files, "count": len(torrents),
              "torrents": _brief(torrents)}

    def human() -> None:
        for t in torrents:
            out.line(f"{out.hash(t['hash'])}\t{t['name']}")
        verb = "would remove" if dry_run else "removed"
        out.success(f"{verb} {len(torrents)} torrent(s)" + (" and their files" if delete_files else ""))

    out.emit(result, human)


@qbit.command("set-category")
@service_opt
@click.argument("category_name", metavar="CATEGORY", shell_complete=complete_category)
@selection
@dry_run_option
@json_option
@pass_state
def set_category(state: AppState, category_name, hashes, state_filter, category, tag, select_all,
                 dry_run) -> None:
    """Put torrents in CATEGORY ('' removes their category).

    \b
    Examples:
      mktint qbit set-category audiobooks --tag mktint
      mktint qbit set-category audiobooks --filter seeding --dry-run
    """
    client = client_of(state)
    torrents = select(client, hashes, state_filter, category, tag, select_all)
    changes = _changes(torrents, lambda t: (t["category"], category_name)
                       if t["category"] != category_name else None)
    if not dry_run:
        client.set_category([t["hash"] for t in torrents], category_name)
    out = state.output
    rest = len(torrents) - len(changes)
    summary = (f"would move {len(changes)} of {len(torrents)} torrent(s) to category {category_name!r}"
               if dry_run else f"{len(torrents)} torrent(s) now in category {category_name!r}")
    out.emit({"category": category_name, "dry_run": dry_run, "count": len(torrents),
              "torrents": _brief(torrents), "changes": changes},
             lambda: _show_changes(out, changes, summary + (f" ({rest} already there)" if rest else ""),
                                   dry_run))


@qbit.group("torrent-tag")
def torrent_tag() -> None:
    """Add tags to torrents or take them off (see `tag` to manage tag names).

    \b
    Examples:
      mktint qbit torrent-tag add red,mktint --category audiobooks
      mktint qbit torrent-tag remove unregistered -
    """


def _split_tags(text: str) -> list[str]:
    from mktint.core.errors import UsageError

    tags = [t.strip() for t in text.split(",") if t.strip()]
    if not tags:
        raise UsageError("no tags given")
    return tags


# torrent-tag add/remove: the tags a torrent would have after, or None when unchanged.
TAG_CHANGES = {
    "add": lambda have, tags: have + [t for t in tags if t not in have],
    "remove": lambda have, tags: [t for t in have if t not in tags],
}


def _tagging(name: str, method: str, done: str, help_line: str, example: str):
    @torrent_tag.command(name, help=f"{help_line}\n\n\b\nExamples:\n  {example}\n  {example} --dry-run\n")
    @service_opt
    @click.argument("tags", metavar="TAGS", shell_complete=complete_tag_list)
    @selection
    @dry_run_option
    @json_option
    @pass_state
    def command(state: AppState, tags, hashes, state_filter, category, tag, select_all, dry_run) -> None:
        tag_list = _split_tags(tags)
        client = client_of(state)
        torrents = select(client, hashes, state_filter, category, tag, select_all)
        after = TAG_CHANGES[name]
        changes = _changes(torrents, lambda t: (t["tags"], after(t["tags"], tag_list))
                           if after(t["tags"], tag_list) != t["tags"] else None)
        if not dry_run:
            getattr(client, method)([t["hash"] for t in torrents], tag_list)
        out = state.output
        summary = (f"would change the tags of {len(changes)} of {len(torrents)} torrent(s)" if dry_run
                   else f"{done} {', '.join(tag_list)}: {len(torrents)} torrent(s)")
        out.emit({"action": name, "tags": tag_list, "dry_run": dry_run, "count": len(torrents),
                  "torrents": _brief(torrents), "changes": changes},
                 lambda: _show_changes(out, changes, summary, dry_run))

    return command


torrent_tag_add = _tagging("add", "add_tags", "added", "Add TAGS (comma-separated) to torrents.",
                           "mktint qbit torrent-tag add red,mktint --category audiobooks")
torrent_tag_remove = _tagging("remove", "remove_tags", "removed",
                              "Remove TAGS (comma-separated) from torrents.", "mktint qbit torrent-tag remove unregistered -")


@qbit.command()
@service_opt
@click.argument("infohash", metavar="HASH", shell_complete=complete_hash)
@click.option("-o", "--output", "output_path", required=True, type=click.Path(dir_okay=False),
              help="File to write the .torrent to.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
@pass_state
def export(state: AppState, infohash: str, output_path: str, force: bool) -> None:
    """Save the client's .torrent file of a torrent.

    \b
    Example:
      mktint qbit export 0123456789abcdef0123456789abcdef01234567 -o book.torrent
    """
    from mktint.core import paths
    from mktint.core.errors import Conflict, UsageError
    from mktint.torrent.metainfo import file_mode

    client = client_of(state)
    infohash = client.resolve_hashes([infohash])[0]
    data = client.export(infohash)
    target = Path(output_path)
    if not target.parent.is_dir():
        raise UsageError(f"no folder {target.parent}")
    try:  # 0600 when its announce URL holds a passkey
        paths.atomic_write(target, data, mode=file_mode(data), overwrite=force)
    except FileExistsError:
        raise Conflict(f"{target} exists", hint="pass --force to overwrite it") from None
    out = state.output
    out.emit({"hash": infohash, "path": str(target), "size": len(data)},
             lambda: out.success(f"wrote {target} ({len(data)} bytes)"))


# -- trackers ------------------------------------------------------------------------------

@qbit.group()
def tracker() -> None:
    """List a torrent's trackers or swap a tracker URL (passkey change).

    \b
    Examples:
      mktint qbit tracker list 0123456789abcdef0123456789abcdef01234567
      mktint qbit tracker replace --old URL1 --new URL2 --tag red --dry-run
    """


@tracker.command("list")
@service_opt
@click.argument("infohash", metavar="HASH", shell_complete=complete_hash)
@json_option
@pass_state
def tracker_list(state: AppState, infohash: str) -> None:
    """List a torrent's trackers; DHT/PeX/LSD rows are marked pseudo.

    \b
    Example:
      mktint qbit tracker list 0123456789abcdef0123456789abcdef01234567
    """
    from mktint.core.output import Column
    out = state.output
    client = client_of(state)
    rows = client.trackers(client.resolve_hashes([infohash])[0])
    out.emit(rows, lambda: out.table(rows, [
        Column("tier", "TIER"), Column("status", "STATUS"), Column("url", "URL"),
        Column("pseudo", "PSEUDO"), Column("peers", "PEERS"), Column("message", "MESSAGE")]))


@tracker.command("replace")
@service_opt
@click.option("--old", "old_url", required=True, metavar="URL", help="Tracker URL to replace (exact).")
@click.option("--new", "new_url", required=True, metavar="URL", help="Tracker URL to put in its place.")
@selection
@dry_run_option
@json_option
@pass_state
def tracker_replace(state: AppState, old_url, new_url, hashes, state_filter, category, tag,
                    select_all, dry_run) -> None:
    """Replace tracker URL --old by --new (e.g. a new passkey) in the selected torrents.

    With no hashes or selection options every torrent is checked.

    \b
    Examples:
      mktint qbit tracker replace --old https://t.example/OLD/announce --new https://t.example/NEW/announce
      mktint qbit tracker replace --old URL1 --new URL2 --tag red --dry-run
    """
    from mktint.core import redact
    from mktint.core.errors import UsageError

    if old_url == new_url:
        raise UsageError("--old and --new are the same URL")
    redact.register_url_secrets(old_url)  # passkeys: masked in every output
    redact.register_url_secrets(new_url)
    client = client_of(state)
    torrents = select(client, hashes, state_filter, category, tag, select_all, default_all=True)
    rows = client.replace_tracker(old_url, new_url, [t["hash"] for t in torrents], dry_run=dry_run)
    changes = [{"hash": r["hash"], "name": r["name"], "from": old_url, "to": new_url}
               for r in rows if not r["message"]]
    out = state.output

    def human() -> None:
        for row in rows:
            if row["message"]:
                out.warn(f"{out.hash(row['hash'], err=True)} {row['name']}: {row['message']}")
        verb = "would change" if dry_run else "changed"
        _show_changes(out, changes, f"{verb} {len(changes)} of {len(torrents)} torrent(s)", dry_run)

    out.emit({"dry_run": dry_run, "checked": len(torrents), "count": len(changes), "torrents": rows,
              "changes": changes}, human)


# -- categories ----------------------------------------------------------------------------

@qbit.group()
def category() -> None:
    """List, create, edit and remove categories.

    \b
    Examples:
      mktint qbit category list
      mktint qbit category add audiobooks --save-path /srv/audiobooks
    """


@category.command("list")
@service_opt
@json_option
@pass_state
def category_list(state: AppState) -> None:
    """List categories and their save paths.

    \b
    Example:
      mktint qbit category list --json
    """
    from mktint.core.output import Column

    out = state.output
    rows = list(client_of(state).categories().values())
    out.emit(rows, lambda: out.table(rows, [Column("name", "NAME"), Column("save_path", "SAVE PATH")]))


@category.command("add")
@service_opt
@click.argument("name")
@click.option("--save-path", metavar="DIR", default="", help="Save path of the category (host path; path_map applied).")
@json_option
@pass_state
def category_add(state: AppState, name: str, save_path: str) -> None:
    """Create category NAME.

    \b
    Example:
      mktint qbit category add audiobooks --save-path /srv/audiobooks
    """
    client = client_of(state)
    mapped = client.map_path(save_path) if save_path else ""
    client.create_category(name, mapped)
    out = state.output
    out.emit({"name": name, "save_path": mapped}, lambda: out.success(f"created category {name}"))


@category.command("edit")
@service_opt
@click.argument("name", shell_complete=complete_category)
@click.option("--save-path", metavar="DIR", required=True, help="New save path (host path; path_map applied).")
@json_option
@pass_state
def category_edit(state: AppState, name: str, save_path: str) -> None:
    """Change the save path of category NAME.

    \b
    Example:
      mktint qbit category edit audiobooks --save-path /srv/books
    """
    client = client_of(state)
    mapped = client.map_path(save_path) if save_path else ""
    client.edit_category(name, mapped)
    out = state.output
    out.emit({"name": name, "save_path": mapped}, lambda: out.success(f"category {name} now saves to {mapped}"))


@category.command("remove")
@service_opt
@click.argument("names", nargs=-1, required=True, shell_complete=complete_category)
@json_option
@pass_state
def category_remove(state: AppState, names) -> None:
    """Remove categories (their torrents stay, uncategorised).

    \b
    Example:
      mktint qbit category remove old-stuff
    """
    from mktint.core.errors import NotFound

    client = client_of(state)
    missing = sorted(set(names) - set(client.categories()))
    if missing:
        raise NotFound(f"{client.name}: no category " + ", ".join(missing), service=client.name)
    client.remove_categories(list(names))
    out = state.output
    out.emit({"removed": list(names)}, lambda: out.success("removed " + ", ".join(names)))


# -- tags ----------------------------------------------------------------------------------

@qbit.group()
def tag() -> None:
    """List, create and delete tag names (see `torrent-tag` to tag torrents).

    \b
    Examples:
      mktint qbit tag list
      mktint qbit tag add red mktint
    """


@tag.command("list")
@service_opt
@json_option
@pass_state
def tag_list(state: AppState) -> None:
    """List tags.

    \b
    Example:
      mktint qbit tag list
    """
    out = state.output
    tags = client_of(state).tags()
    out.emit(tags, lambda: [out.line(t) for t in tags])


@tag.command("add")
@service_opt
@click.argument("names", nargs=-1, required=True)
@json_option
@pass_state
def tag_add(state: AppState, names) -> None:
    """Create tags.

    \b
    Example:
      mktint qbit tag add red mktint
    """
    client_of(state).create_tags(list(names))
    out = state.output
    out.emit({"created": list(names)}, lambda: out.success("created " + ", ".join(names)))


@tag.command("remove")
@service_opt
@click.argument("names", nargs=-1, required=True, shell_complete=complete_tag)
@json_option
@pass_state
def tag_remove(state: AppState, names) -> None:
    """Delete tags (and take them off every torrent).

    \b
    Example:
      mktint qbit tag remove old-tag
    """
    client_of(state).delete_tags(list(names))
    out = state.output
    out.emit({"deleted": list(names)}, lambda: out.success("deleted " + ", ".join(names)))


# -- beyond torrents (issue 13): subcommands in their own modules ---------------------------

def _register_more() -> None:
    from mktint.cli import qbit_rss, qbit_search, qbit_server

    qbit.add_command(qbit_rss.rss)
    qbit.add_command(qbit_search.search)
    for command in (qbit_server.create, qbit_server.transfer, qbit_server.prefs, qbit_server.watch):
        qbit.add_command(command)


_register_more()
