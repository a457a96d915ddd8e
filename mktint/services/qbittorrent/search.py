"""The search engine of a qBittorrent WebUI (``search/*``): plugins, jobs, downloads.

A search is a job on the server: ``start`` → poll ``status``/``results`` → ``stop`` and
``delete``. :func:`run` is a generator that always stops and deletes its job, also when
the caller stops early or is interrupted (the ``finally`` of the generator).
"""

from __future__ import annotations

from typing import Iterator

from mktint.core.errors import OperationFailed, ProtocolError, TemporaryError, UsageError
from mktint.services.qbittorrent.polling import Poll
from mktint.services.qbittorrent.session import QBittorrentSession

DOWNLOAD_SINCE = (2, 11, 0)  # search/downloadTorrent: qBittorrent 5.0
POLL_FIRST, POLL_MAX = 0.1, 1.0


def plugins(client: QBittorrentSession) -> list[dict]:
    data = client.json("search/plugins")
    if not isinstance(data, list):
        raise ProtocolError(f"{client.name}: search/plugins did not answer a list", service=client.name)
    return [{"name": p.get("name"), "full_name": p.get("fullName"), "version": p.get("version"),
             "enabled": bool(p.get("enabled")), "url": p.get("url"),
             "categories": [c.get("id") if isinstance(c, dict) else c
                            for c in p.get("supportedCategories") or []]} for p in data]


def _result(r: dict) -> dict:
    return {"name": r.get("fileName"), "url": r.get("fileUrl"), "size": r.get("fileSize"),
            "seeders": r.get("nbSeeders"), "leechers": r.get("nbLeechers"),
            "site": r.get("siteUrl"), "description_url": r.get("descrLink"),
            "plugin": r.get("engineName")}


def _plugin_names(client: QBittorrentSession, plugin: list[str] | None) -> str | None:
    """The ``plugins`` field (None: no plugin is enabled); refuses unknown or disabled names."""
    enabled = [p["name"] for p in plugins(client) if p["enabled"]]
    if not plugin:
        return "enabled" if enabled else None
    unknown = [p for p in plugin if p not in enabled]
    if unknown:
        raise UsageError("no enabled search plugin " + ", ".join(repr(p) for p in unknown),
                         hint="enabled plugins: " + (", ".join(enabled) or "none"))
    return "|".join(plugin)


def run(client: QBittorrentSession, query: str, *, plugin: list[str] | None = None,
        category: str = "all", limit: int | None = None, wait: float = 30.0) -> Iterator[dict]:
    """Yield results of a search as they arrive, until the job stops, ``limit`` results
    were yielded or ``wait`` seconds passed; the job is stopped and deleted afterwards.

    With no ``plugin`` given and no plugin enabled on the server nothing is searched and
    nothing is yielded (see :func:`plugins` to tell the user why).
    """
    if not query.strip():
        raise UsageError("empty search query")
    names = _plugin_names(client, plugin)
    if names is None:
        return
    response = client.call("POST", "search/start",
                           data={"pattern": query, "plugins": names, "category": category or "all"},
                           retry_safe=False)
    if response.status_code == 409:
        raise TemporaryError(f"{client.name}: qBittorrent runs too many searches already (5 at most)",
                       service=client.name, hint="wait for them to finish, or stop them in the WebUI")
    if response.status_code != 200:
        raise client._unexpected(response, "search/start")
    from mktint.core.http import json_body

    job = json_body(response, client.name).get("id")
    if job is None:
        raise ProtocolError(f"{client.name}: search/start answered no job id", service=client.name)
    try:
        yield from _poll(client, job, limit, wait)
    finally:
        _finish(client, job)


def _poll(client, job, limit, wait) -> Iterator[dict]:
    poll = Poll(wait, POLL_FIRST, POLL_MAX)
    offset = 0
    while True:
        page = client.json("search/results", {"id": job, "offset": offset})
        rows = page.get("results") or []
        for r in rows:
            if limit is not None and offset >= limit:
                return
            offset += 1
            yield _result(r)
        if limit is not None and offset >= limit:
            return
        if page.get("status") == "Stopped" and not rows:
            return
        if poll.expired:
            return
        if not rows:
            poll.pause()


def _finish(client, job) -> None:
    for endpoint in ("search/stop", "search/delete"):
        response = client.call("POST", endpoint, data={"id": job}, retry_safe=True)
        if response.status_code not in (200, 404):  # 404: already gone
            raise client._unexpected(response, endpoint)


def download(client: QBittorrentSession, url: str, plugin: str) -> None:
    """Have the server fetch a search result through its plugin (qBittorrent 5.0+)."""
    if client.webapi_version < DOWNLOAD_SINCE:
        raise OperationFailed(f"{client.name}: downloading through a search plugin needs qBittorrent 5.0",
                              service=client.name,
                              hint="add the result's link directly: `mktint qbit add URL`")
    # The server answers 200 whatever the plugin name and fails later, silently
    # (src/webui/api/searchcontroller.cpp downloadTorrentAction): look first.
    installed = [p["name"] for p in plugins(client)]
    if plugin not in installed:
        raise UsageError(f"no search plugin {plugin!r}",
                         hint="installed plugins: " + (", ".join(installed) or "none"))
    client.checked("POST", "search/downloadTorrent", data={"torrentUrl": url, "pluginName": plugin},
                   retry_safe=False,
                   missing=f"qBittorrent has no search download endpoint or plugin {plugin!r}")
