"""`mktint qbit rss`: RSS feeds and auto-download rules of a qBittorrent WebUI."""

from __future__ import annotations

import click

from mktint.cli.options import json_option, pass_state
from mktint.cli.qbit import client_of, service_opt
from mktint.cli.state import AppState


def _rss():
    from mktint.services.qbittorrent import rss

    return rss


@click.group()
def rss() -> None:
    """RSS feeds, their articles and auto-download rules.

    \b
    Examples:
      mktint qbit rss add https://tracker.example/rss/KEY --path Audiobooks
      mktint qbit rss items Audiobooks --json | jq -r '.[].title'
      mktint qbit rss rule set books --must-contain 'Sanderson' --category audiobooks
    """


@rss.command("feeds")
@service_opt
@json_option
@pass_state
def rss_feeds(state: AppState) -> None:
    """List RSS feeds (path, URL, title, article count, error flag).

    \b
    Example:
      mktint qbit rss feeds --json
    """
    from mktint.core.output import Column

    out = state.output
    rows = _rss().feeds(client_of(state))
    out.emit(rows, lambda: out.table(rows, [
        Column("path", "PATH"), Column("title", "TITLE"), Column("articles", "ARTICLES"),
        Column("error", "ERROR"), Column("url", "URL")]))


@rss.command("add")
@service_opt
@click.argument("url")
@click.option("--path", metavar="PATH", help="Feed name or Folder\\Name (default: the URL).")
@json_option
@pass_state
def rss_add(state: AppState, url: str, path: str | None) -> None:
    """Subscribe to the feed at URL (the server fetches it).

    \b
    Example:
      mktint qbit rss add https://tracker.example/rss/KEY --path Audiobooks
    """
    out = state.output
    result = _rss().add_feed(client_of(state), url, path)
    out.emit(result, lambda: out.success(f"added RSS feed {result['path']}"))


@rss.command("remove")
@service_opt
@click.argument("path")
@json_option
@pass_state
def rss_remove(state: AppState, path: str) -> None:
    """Remove the feed or folder at PATH.

    \b
    Example:
      mktint qbit rss remove Audiobooks
    """
    out = state.output
    _rss().remove_item(client_of(state), path)
    out.emit({"removed": path}, lambda: out.success(f"removed {path}"))


@rss.command("refresh")
@service_opt
@click.argument("path")
@json_option
@pass_state
def rss_refresh(state: AppState, path: str) -> None:
    """Ask the server to fetch the feed (or every feed of the folder) at PATH now.

    \b
    Example:
      mktint qbit rss refresh Audiobooks
    """
    out = state.output
    _rss().refresh_item(client_of(state), path)
    out.emit({"refreshing": path}, lambda: out.success(f"refresh of {path} requested"))


@rss.command("items")
@service_opt
@click.argument("path", required=False)
@json_option
@pass_state
def rss_items(state: AppState, path: str | None) -> None:
    """List the articles of one feed or folder (PATH), or of every feed.

    \b
    Example:
      mktint qbit rss items Audiobooks --json | jq -r '.[] | select(.read | not) | .torrent_url'
    """
    from mktint.core.output import Column

    out = state.output
    rows = _rss().items(client_of(state), path)
    out.emit(rows, lambda: out.table(rows, [
        Column("feed", "FEED"), Column("date", "DATE"), Column("title", "TITLE"),
        Column("torrent_url", "TORRENT")]))


@rss.command("rules")
@service_opt
@json_option
@pass_state
def rss_rules(state: AppState) -> None:
    """List auto-download rules.

    \b
    Example:
      mktint qbit rss rules --json
    """
    from mktint.core.output import Column

    out = state.output
    rows = _rss().rules(client_of(state))
    out.emit(rows, lambda: out.table(rows, [
        Column("name", "NAME"), Column("enabled", "ENABLED"), Column("must_contain", "MUST CONTAIN"),
        Column("category", "CATEGORY"), Column("save_path", "SAVE PATH"),
        Column("feeds", "FEEDS", lambda v: ", ".join(v))]))


@rss.group("rule")
def rule() -> None:
    """Create, change, remove and test one auto-download rule.

    \b
    Examples:
      mktint qbit rss rule set books --must-contain Sanderson --category audiobooks
      mktint qbit rss rule matches books
    """


@rule.command("set")
@service_opt
@click.argument("name")
@click.option("--must-contain", metavar="TEXT", help="Words (or a regex with --regex) a title must contain.")
@click.option("--must-not-contain", metavar="TEXT", help="Words a title must not contain.")
@click.option("--regex/--no-regex", "use_regex", default=None, help="Treat the filters as regular expressions.")
@click.option("--feed", "feeds", metavar="URL", multiple=True, help="Feed URL the rule applies to; repeatable.")
@click.option("--category", metavar="NAME", help="Category of the torrents it adds.")
@click.option("--save-path", metavar="DIR", help="Save path of the torrents it adds (host path; path_map applied).")
@click.option("--enabled/--disabled", "enabled", default=None, help="Turn the rule on or off.")
@json_option
@pass_state
def rule_set(state: AppState, name, must_contain, must_not_contain, use_regex, feeds, category,
             save_path, enabled) -> None:
    """Create rule NAME, or change the given fields of it.

    \b
    Examples:
      mktint qbit rss rule set books --must-contain Sanderson --feed https://t.example/rss --category audiobooks
      mktint qbit rss rule set books --disabled
    """
    client = client_of(state)
    out = state.output
    stored = _rss().set_rule(client, name, must_contain=must_contain, must_not_contain=must_not_contain,
                             use_regex=use_regex, feeds=list(feeds) or None, category=category,
                             save_path=client.map_path(save_path) if save_path else None,
                             enabled=enabled)
    out.emit(stored, lambda: out.success(f"saved rule {name} ({'enabled' if stored['enabled'] else 'disabled'})"))


@rule.command("remove")
@service_opt
@click.argument("name")
@json_option
@pass_state
def rule_remove(state: AppState, name: str) -> None:
    """Remove rule NAME.

    \b
    Example:
      mktint qbit rss rule remove books
    """
    out = state.output
    _rss().remove_rule(client_of(state), name)
    out.emit({"removed": name}, lambda: out.success(f"removed rule {name}"))


@rule.command("matches")
@service_opt
@click.argument("name")
@json_option
@pass_state
def rule_matches(state: AppState, name: str) -> None:
    """List the feed articles rule NAME matches now.

    \b
    Example:
      mktint qbit rss rule matches books --json
    """
    from mktint.core.output import Column

    out = state.output
    rows = _rss().matching_articles(client_of(state), name)
    out.emit(rows, lambda: out.table(rows, [Column("feed", "FEED"), Column("title", "TITLE")]))
