"""`mktint qbit create|transfer|prefs|watch`: the server side of a qBittorrent WebUI."""

from __future__ import annotations

import click

from mktint.cli.options import json_option, pass_state, seconds
from mktint.cli.qbit import FILTER_NAMES, _complete_filter, client_of, service_opt
from mktint.cli.state import AppState


# -- create --------------------------------------------------------------------------------

@click.command("create")
@service_opt
@click.argument("path", metavar="PATH_ON_SERVER")
@click.option("-o", "--output", "output_path", required=True, type=click.Path(dir_okay=False),
              help="Where to write the .torrent file (on this host).")
@click.option("--private/--public", default=True, show_default=True, help="Set the private flag.")
@click.option("--source", metavar="S", help="info.source string (changes the infohash).")
@click.option("-a", "--announce", "announce", metavar="URL", multiple=True, help="Tracker URL; repeatable.")
@click.option("--web-seed", "web_seeds", metavar="URL", multiple=True, help="Web seed URL (BEP 19); repeatable.")
@click.option("--comment", metavar="TEXT", help="Comment stored in the torrent.")
@click.option("--piece-size", metavar="auto|SIZE", default="auto", show_default=True,
              help="Piece size: auto (the server chooses), or a power of two 16KiB–64MiB.")
@click.option("--format", "fmt", type=click.Choice(["v1", "v2", "hybrid"]), default="v1",
              show_default=True, help="Torrent format.")
@click.option("--start-seeding", is_flag=True, help="Have the server seed the new torrent at once.")
@click.option("--wait", type=seconds(min=1), default=3600.0, show_default=True, metavar="S",
              help="Give up (and cancel the task) after S seconds.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@json_option
@pass_state
def create(state: AppState, path, output_path, private, source, announce, web_seeds, comment,
           piece_size, fmt, start_seeding, wait, force) -> None:
    """Have the server hash PATH_ON_SERVER into a .torrent (qBittorrent 5.0+).

    PATH_ON_SERVER is a path as the server sees it; a host path under a `path_map` prefix
    is translated. The task is deleted on the server afterwards.

    \b
    Examples:
      mktint qbit create /data/audiobooks/Book -o Book.torrent --source RED -a https://t.example/KEY/announce
      mktint qbit -s seedbox create /downloads/Book -o Book.torrent --format hybrid --json
    """
    from pathlib import Path

    from mktint.core import paths
    from mktint.core.errors import Conflict, UsageError
    from mktint.core.units import parse_size
    from mktint.services.qbittorrent import creator
    from mktint.torrent.create import check_piece_length
    from mktint.torrent.metainfo import file_mode

    target = Path(output_path)
    if target.exists() and not force:
        raise Conflict(f"{target} exists", hint="use --force to overwrite it")
    if not target.parent.is_dir():
        raise UsageError(f"no folder {target.parent} for the output file")
    size = None if piece_size == "auto" else check_piece_length(parse_size(piece_size, what="piece size"))
    data, made = creator.create(client_of(state), path, private=private, source=source,
                                trackers=announce, web_seeds=web_seeds, comment=comment,
                                piece_size=size, format=fmt, start_seeding=start_seeding, wait=wait)
    try:  # 0600 when its announce URL holds a passkey
        paths.atomic_write(target, data, mode=file_mode(data), overwrite=force)
    except FileExistsError:
        raise Conflict(f"{target} exists", hint="use --force to overwrite it") from None
    result = {**made.to_dict(), "output": str(target)}
    out = state.output

    def human() -> None:
        if made.source_fixed:
            out.warn("this qBittorrent (5.0.0–5.0.2) wrote the comment as `source`; corrected locally")
        out.success(f"wrote {target} ({made.name}, {out.hash(made.infohash, err=True)})")

    out.emit(result, human)


# -- transfer ------------------------------------------------------------------------------

@click.group("transfer", invoke_without_command=True)
@service_opt
@json_option
@pass_state
@click.pass_context
def transfer(ctx: click.Context, state: AppState) -> None:
    """Show global speeds, session totals, limits and connection status.

    \b
    Examples:
      mktint qbit transfer --json
      mktint qbit transfer limit --down 0 --up 2MiB/s
    """
    if ctx.invoked_subcommand is not None:
        return
    from mktint.services.qbittorrent import transfer as api

    _show_transfer(state, api.info(client_of(state)))


def _show_transfer(state: AppState, info: dict) -> None:
    from mktint.core.units import human_size

    out = state.output

    def rate(value) -> str:
        return f"{human_size(value)}/s"

    def limit(value) -> str:
        return "unlimited" if not value else rate(value)

    out.emit(info, lambda: out.record([
        ("download", rate(info["download_speed"])), ("upload", rate(info["upload_speed"])),
        ("downloaded (session)", human_size(info["downloaded"])),
        ("uploaded (session)", human_size(info["uploaded"])),
        ("download limit", limit(info["download_limit"])), ("upload limit", limit(info["upload_limit"])),
        ("connection", info["connection_status"]), ("DHT nodes", info["dht_nodes"])]))


@transfer.command("limit")
@service_opt
@click.option("--down", metavar="RATE", help="Global download limit (e.g. 1MiB/s; 0 = unlimited).")
@click.option("--up", metavar="RATE", help="Global upload limit (e.g. 500KiB/s; 0 = unlimited).")
@json_option
@pass_state
def transfer_limit(state: AppState, down, up) -> None:
    """Set the global download and/or upload speed limits.

    \b
    Example:
      mktint qbit transfer limit --down 0 --up 2MiB/s
    """
    from mktint.core.units import parse_rate
    from mktint.services.qbittorrent import transfer as api

    info = api.set_limits(client_of(state),
                          down=None if down is None else parse_rate(down, what="--down"),
                          up=None if up is None else parse_rate(up, what="--up"))
    _show_transfer(state, info)


# -- prefs ---------------------------------------------------------------------------------

@click.group("prefs")
def prefs() -> None:
    """Read and change the server's preferences (type-checked).

    \b
    Examples:
      mktint qbit prefs get max_active_downloads save_path
      mktint qbit prefs set max_active_downloads=5 dht=false
    """


@prefs.command("get")
@service_opt
@click.argument("keys", nargs=-1, metavar="[KEY...]")
@json_option
@pass_state
def prefs_get(state: AppState, keys) -> None:
    """Show preferences (all, or the given KEYs); passwords are masked.

    \b
    Examples:
      mktint qbit prefs get max_active_downloads save_path
      mktint qbit prefs get --json | jq .listen_port
    """
    from mktint.services.qbittorrent import prefs as api

    out = state.output
    values = api.get(client_of(state), list(keys))
    out.emit(values, lambda: out.record(list(values.items())))


@prefs.command("set")
@service_opt
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@json_option
@pass_state
def prefs_set(state: AppState, assignments) -> None:
    """Set preferences; each VALUE must fit the type of the key's current value.

    Booleans take true/false, lists and objects take JSON. Nothing is sent if any
    key or value is wrong.

    \b
    Examples:
      mktint qbit prefs set max_active_downloads=3 queueing_enabled=true
      mktint qbit prefs set 'dl_limit=0'
    """
    from mktint.services.qbittorrent import prefs as api

    out = state.output
    values = api.set(client_of(state), api.parse_assignments(assignments))
    out.emit(values, lambda: out.record(list(values.items())))


# -- watch ---------------------------------------------------------------------------------

@click.command("watch")
@service_opt
@click.option("--interval", type=seconds(min=0.1), default=2.0, show_default=True, metavar="S",
              help="Seconds between polls.")
@click.option("--filter", "state_filter", metavar="STATE", shell_complete=_complete_filter,
              help="Only torrents in this state: " + ", ".join(FILTER_NAMES) + ".")
@click.option("--category", metavar="NAME", help="Only torrents in this category.")
@click.option("--tag", metavar="TAG", help="Only torrents with this tag.")
@click.option("--server-state", is_flag=True, help="Also report changes of the global state.")
@click.option("--count", "max_polls", type=click.IntRange(min=1), metavar="N",
              help="Stop after N polls (default: until Ctrl-C).")
@json_option
@pass_state
def watch(state: AppState, interval, state_filter, category, tag, server_state, max_polls) -> None:
    """Stream torrent changes (added, changed, removed) until Ctrl-C.

    Incremental `sync/maindata`: each poll carries only what changed, so this stays
    cheap with thousands of torrents. Output is JSON Lines with --json.

    \b
    Examples:
      mktint qbit watch --json | jq -c 'select(.event == "removed")'
      mktint qbit watch --filter errored --interval 10
    """
    import time

    from mktint.services.qbittorrent.sync import Watcher

    out = state.output
    watcher = Watcher(client_of(state), state_filter=state_filter, category=category, tag=tag,
                      server=server_state)
    polls = 0
    try:
        while True:
            for event in watcher.poll():
                if out.json:
                    out.json_line(event)
                else:
                    out.line(_describe(event, out.hash))
            polls += 1
            if polls == 1:
                out.info(f"watching {watcher.count} torrent(s); Ctrl-C to stop")
            if max_polls is not None and polls >= max_polls:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        out.info("stopped")


def _describe(event: dict, show_hash) -> str:
    kind = event["event"]
    if kind == "server":
        return f"{event['time']}  server  " + " ".join(f"{k}={v}" for k, v in event["changes"].items())
    detail = ""
    if kind == "changed":
        detail = "  " + " ".join(f"{k}={v}" for k, v in event["changes"].items())
    return f"{event['time']}  {kind:<7}  {show_hash(event['hash'])}  {event['name']}{detail}"
