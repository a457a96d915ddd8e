"""qBittorrent WebUI API v2 client (qBittorrent 4.1 through 5.2 and the next release).

- ``session.py``: login, cookie cache, re-login once on 403, versions.
- ``client.py``: torrents, categories, tags, trackers, add.
- ``vocab.py``: filter, state and sort names per WebAPI version (pure, cheap to import).
- ``metainfo.py``: the torrent ID of a .torrent file (via ``mktint.torrent``) or magnet link (pure).
- ``rss.py``, ``search.py``, ``creator.py``, ``transfer.py``, ``prefs.py``, ``sync.py``:
  RSS, search, server-side torrent creation, speeds and limits, preferences, and the
  incremental ``sync/maindata`` watcher; functions and classes that take the client.

The client is imported lazily so that the CLI can import ``vocab`` without requests.
"""

__all__ = ["AddResult", "QBittorrentClient"]


def __getattr__(name: str):
    if name in __all__:
        from mktint.services.qbittorrent import client

        return getattr(client, name)
    raise AttributeError(name)
