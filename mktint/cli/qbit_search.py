"""`mktint qbit search`: the search engine of a qBittorrent WebUI."""

from __future__ import annotations

import click

from mktint.cli.options import json_option, pass_state, seconds
from mktint.cli.qbit import client_of, service_opt
from mktint.cli.state import AppState


@click.group()
def search() -> None:
    """Search through the server's search plugins.

    \b
    Examples:
      mktint qbit search plugins
      mktint qbit search run 'mistborn audiobook' --limit 20 --json | jq -r .url
    """


@search.command("plugins")
@service_opt
@json_option
@pass_state
def search_plugins(state: AppState) -> None:
    """List installed search plugins.

    \b
    Example:
      mktint qbit search plugins --json
    """
    from mktint.core.output import Column
    from mktint.services.qbittorrent import search as api

    out = state.output
    rows = api.plugins(client_of(state))

    def human() -> None:
        if not rows:
            out.info("no search plugins installed (add them in the WebUI: Search → Search plugins)")
            return
        out.table(rows, [Column("name", "NAME"), Column("version", "VERSION"),
                         Column("enabled", "ENABLED"), Column("full_name", "FULL NAME")])

    out.emit(rows, human)


@search.command("run")
@service_opt
@click.argument("query")
@click.option("--plugin", "plugins", metavar="NAME", multiple=True, help="Search with this plugin only; repeatable.")
@click.option("--category", metavar="C", default="all", show_default=True, help="Plugin category (movies, music, books…).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Stop after N results.")
@click.option("--wait", type=seconds(), default=30.0, show_default=True, metavar="S",
              help="Stop the search after S seconds.")
@json_option
@pass_state
def search_run(state: AppState, query, plugins, category, limit, wait) -> None:
    """Search for QUERY; results are printed as they arrive (JSON Lines with --json).

    The job on the server is stopped and deleted at the end, also on Ctrl-C.

    \b
    Example:
      mktint qbit search run 'mistborn' --plugin jackett --limit 10 --json
    """
    from contextlib import closing

    from mktint.core.units import human_size
    from mktint.services.qbittorrent import search as api

    out = state.output
    client = client_of(state)
    count = 0
    # closing(): the job is stopped and deleted at once, also on Ctrl-C or a closed pipe
    with closing(api.run(client, query, plugin=list(plugins) or None, category=category,
                         limit=limit, wait=wait)) as results:
        for row in results:
            count += 1
            if out.json:
                out.json_line(row)
            else:
                out.line(f"{row['seeders']}\t{human_size(row['size'])}\t{row['name']}\t{row['url']}")
    if not plugins and count == 0 and not any(p["enabled"] for p in api.plugins(client)):
        out.warn("no search plugin is enabled on the server: nothing was searched "
                 "(add plugins in the WebUI: Search → Search plugins)")
    elif not out.json:
        out.info(f"{count} result(s)")


@search.command("download")
@service_opt
@click.argument("url")
@click.option("--plugin", required=True, metavar="NAME", help="Plugin that produced the result.")
@json_option
@pass_state
def search_download(state: AppState, url: str, plugin: str) -> None:
    """Have the server download a search result through its plugin (qBittorrent 5.0+).

    \b
    Example:
      mktint qbit search download 'https://site.example/t/123' --plugin jackett
    """
    from mktint.services.qbittorrent import search as api

    out = state.output
    api.download(client_of(state), url, plugin)
    out.emit({"url": url, "plugin": plugin, "sent": True},
             lambda: out.success("sent to qBittorrent; it adds the torrent itself"))
