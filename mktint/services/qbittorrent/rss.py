"""RSS feeds and auto-download rules of a qBittorrent WebUI (``rss/*``).

Feeds live in a tree of folders; an item's path joins names with a backslash
(``Folder\\Feed``). Rules are JSON definitions keyed by name; only the fields mktint
sets are written, the others keep the server's defaults.
"""

from __future__ import annotations

import json

from mktint.core.errors import Conflict, NotFound, OperationFailed, ProtocolError
from mktint.services.qbittorrent.session import QBittorrentSession

REFRESH_ITEM_SINCE = (2, 2, 0)
MATCHING_ARTICLES_SINCE = (2, 5, 1)


def _walk(tree: dict, prefix: str = ""):
    """(path, feed dict) for every feed below ``tree`` (folders are dicts without ``url``)."""
    for name, value in tree.items():
        path = f"{prefix}\\{name}" if prefix else name
        if not isinstance(value, dict):
            continue
        if "url" in value:
            yield path, value
        else:
            yield from _walk(value, path)


def iso_date(text) -> str | None:
    """An RSS date (RFC 822, or already ISO 8601) as ISO 8601; unreadable text is kept."""
    if not text:
        return None
    import datetime as dt
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError):
        pass
    try:
        return dt.datetime.fromisoformat(text).isoformat()
    except ValueError:
        return text


def _feed(path: str, feed: dict) -> dict:
    return {"path": path, "url": feed.get("url"), "uid": feed.get("uid"),
            "title": feed.get("title") or "", "last_build_date": iso_date(feed.get("lastBuildDate")),
            "loading": bool(feed.get("isLoading")), "error": bool(feed.get("hasError")),
            "articles": len(feed.get("articles") or [])}


def _article(path: str, a: dict) -> dict:
    return {"feed": path, "id": a.get("id"), "title": a.get("title"), "date": iso_date(a.get("date")),
            "torrent_url": a.get("torrentURL"), "link": a.get("link"),
            "description": a.get("description"), "read": bool(a.get("isRead"))}


def _tree(client: QBittorrentSession) -> dict:
    data = client.json("rss/items", {"withData": "true"})
    if not isinstance(data, dict):
        raise ProtocolError(f"{client.name}: rss/items did not answer an object", service=client.name)
    return data


def feeds(client: QBittorrentSession) -> list[dict]:
    """Every feed: path, url, uid, title, last_build_date, loading, error, articles (count)."""
    return [_feed(path, f) for path, f in _walk(_tree(client))]


def items(client: QBittorrentSession, path: str | None = None) -> list[dict]:
    """The articles of one feed, of every feed in a folder, or of all feeds."""
    chosen = [(p, f) for p, f in _walk(_tree(client))
              if path is None or p == path or p.startswith(path + "\\")]
    if path is not None and not chosen:
        raise NotFound(f"{client.name}: no RSS feed or folder {path!r}", service=client.name,
                       hint="list them with `mktint qbit rss feeds`")
    return [_article(p, a) for p, f in chosen for a in f.get("articles") or []]


def add_feed(client: QBittorrentSession, url: str, path: str | None = None) -> dict:
    """Subscribe to ``url`` (item path ``path``, default the URL); Conflict if taken."""
    response = client.call("POST", "rss/addFeed", data={"url": url, "path": path or ""})
    if response.status_code == 409:
        raise Conflict(f"{client.name}: RSS feed not added: {response.text.strip() or 'it exists'}",
                       service=client.name)
    if response.status_code != 200:
        raise client._unexpected(response, "rss/addFeed")
    return {"url": url, "path": path or url}


def _missing_item(path: str) -> dict:
    """RSS endpoints answer 409 for a feed or folder that does not exist."""
    return {"missing": f"no RSS feed or folder {path!r}", "missing_status": 409,
            "missing_hint": "list them with `mktint qbit rss feeds`"}


def remove_item(client: QBittorrentSession, path: str) -> None:
    client.checked("POST", "rss/removeItem", data={"path": path}, **_missing_item(path))


def _has_item(tree: dict, path: str) -> bool:
    """Whether ``path`` names a feed or a folder of the tree."""
    node = tree
    for name in path.split("\\"):
        if not isinstance(node, dict) or "url" in node or name not in node:
            return False
        node = node[name]
    return isinstance(node, dict)


def refresh_item(client: QBittorrentSession, path: str) -> None:
    if client.webapi_version < REFRESH_ITEM_SINCE:
        raise OperationFailed(f"{client.name}: refreshing a feed needs qBittorrent 4.1.8+",
                            service=client.name)
    # Every version answers 200 to a path that does not exist (src/webui/api/rsscontroller.cpp
    # refreshItemAction ignores a missing item): look first.
    if not _has_item(client.json("rss/items"), path):
        raise NotFound(f"{client.name}: {_missing_item(path)['missing']}", service=client.name,
                       hint=_missing_item(path)["missing_hint"])
    client.checked("POST", "rss/refreshItem", data={"itemPath": path}, **_missing_item(path))


# -- rules ---------------------------------------------------------------------------------

def _rule(name: str, r: dict) -> dict:
    params = r.get("torrentParams") or {}
    return {"name": name, "enabled": bool(r.get("enabled")),
            "must_contain": r.get("mustContain") or "", "must_not_contain": r.get("mustNotContain") or "",
            "use_regex": bool(r.get("useRegex")), "feeds": list(r.get("affectedFeeds") or []),
            "category": r.get("assignedCategory") or params.get("category") or "",
            "save_path": r.get("savePath") or params.get("save_path") or "",
            "last_match": iso_date(r.get("lastMatch"))}


def rules(client: QBittorrentSession) -> list[dict]:
    data = client.json("rss/rules")
    if not isinstance(data, dict):
        raise ProtocolError(f"{client.name}: rss/rules did not answer an object", service=client.name)
    return [_rule(name, r) for name, r in sorted(data.items())]


def set_rule(client: QBittorrentSession, name: str, *, must_contain: str | None = None,
             must_not_contain: str | None = None, use_regex: bool | None = None,
             feeds: list[str] | None = None, category: str | None = None,
             save_path: str | None = None, enabled: bool | None = None) -> dict:
    """Create rule ``name`` or change the given fields of it; returns the rule as stored."""
    current = client.json("rss/rules")
    definition = dict(current.get(name) or {"enabled": True})
    changes = {"mustContain": must_contain, "mustNotContain": must_not_contain, "useRegex": use_regex,
               "affectedFeeds": feeds, "assignedCategory": category, "enabled": enabled}
    definition.update({k: v for k, v in changes.items() if v is not None})
    if save_path is not None:
        definition["savePath"] = save_path
        if isinstance(definition.get("torrentParams"), dict):  # 4.6+: the path lives here too
            definition["torrentParams"] = {**definition["torrentParams"], "save_path": save_path}
    if category is not None and isinstance(definition.get("torrentParams"), dict):
        definition["torrentParams"] = {**definition["torrentParams"], "category": category}
    client.post("rss/setRule", data={"ruleName": name, "ruleDef": json.dumps(definition)})
    stored = client.json("rss/rules").get(name)
    if stored is None:
        raise ProtocolError(f"{client.name}: rule {name!r} was not stored", service=client.name)
    return _rule(name, stored)


def remove_rule(client: QBittorrentSession, name: str) -> None:
    if name not in client.json("rss/rules"):
        raise NotFound(f"{client.name}: no RSS rule {name!r}", service=client.name,
                       hint="list them with `mktint qbit rss rules`")
    client.post("rss/removeRule", data={"ruleName": name})


def matching_articles(client: QBittorrentSession, name: str) -> list[dict]:
    """[{feed, title}] of the articles rule ``name`` matches now."""
    if client.webapi_version < MATCHING_ARTICLES_SINCE:
        raise OperationFailed(f"{client.name}: rule matches need qBittorrent 4.2.1+", service=client.name)
    if name not in client.json("rss/rules"):
        raise NotFound(f"{client.name}: no RSS rule {name!r}", service=client.name,
                       hint="list them with `mktint qbit rss rules`")
    data = client.json("rss/matchingArticles", {"ruleName": name})
    return [{"feed": feed, "title": title} for feed, titles in sorted(data.items()) for title in titles]
