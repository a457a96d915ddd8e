"""Server-side torrent creation (``torrentcreator/*``, qBittorrent 5.0+).

The paths are paths on the server. A task is added, polled until it finishes, its
.torrent downloaded and the task deleted (also on failure or interruption).

qBittorrent 5.0.0–5.0.2 wrote the ``source`` field from the comment parameter (fixed in
5.0.3). Every result is checked: a v1 torrent with the wrong ``source`` is rewritten
with the requested one (``mktint.torrent.metainfo.retarget``: no rehash, the infohash is
that of the corrected file); where that cannot be done (v2/hybrid, or the server already
seeds the wrong torrent) the request is refused before anything is sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import PurePosixPath

from mktint.core.errors import NotFound, OperationFailed, TemporaryError, Timeout, UsageError
from mktint.core.http import json_body
from mktint.services.qbittorrent import metainfo, vocab
from mktint.services.qbittorrent.polling import Poll
from mktint.services.qbittorrent.session import QBittorrentSession

CREATOR_SINCE = (2, 10, 4)               # WebAPI of the 5.0 development line
SOURCE_BUG = ((5, 0, 0), (5, 0, 2))       # app versions that store comment as source
FORMATS = ("v1", "v2", "hybrid")
POLL_FIRST, POLL_MAX = 0.1, 1.0


@dataclass
class Created:
    task_id: str
    source_path: str          # on the server
    local_path: str | None    # the same path on this host (path_map in reverse), if mapped
    name: str | None
    infohash: str             # qBittorrent's torrent ID of the file returned (v1: SHA-1; v2, hybrid: SHA-256[:40])
    format: str
    source: str | None
    source_fixed: bool        # the 5.0.0–5.0.2 bug was corrected locally
    size: int                 # of the .torrent file

    def to_dict(self) -> dict:
        return asdict(self)


def local_path(client: QBittorrentSession, server_path: str) -> str | None:
    """``path_map`` in reverse: the host path of a path inside the client, if one maps."""
    path = PurePosixPath(server_path)
    best = None
    for host, inside in (client.config.get("path_map") or {}).items():
        prefix = PurePosixPath(inside)
        if path == prefix or prefix in path.parents:
            if best is None or len(prefix.parts) > len(best[0].parts):
                best = (prefix, PurePosixPath(host))
    return None if best is None else str(best[1] / path.relative_to(best[0]))


def has_source_bug(app_version: str) -> bool:
    try:
        version = vocab.parse_version(app_version)[:3]
    except ValueError:
        return False
    return SOURCE_BUG[0] <= version <= SOURCE_BUG[1]


def create(client, source_path: str, *, private: bool = True, source: str | None = None,
           trackers=(), web_seeds=(), comment: str | None = None, piece_size: int | None = None,
           format: str = "v1", start_seeding: bool = False, wait: float = 3600) -> tuple[bytes, Created]:
    """Have the server hash ``source_path``; returns (the .torrent bytes, what was made).

    ``source_path`` is a server path or a host path under a ``path_map`` prefix.
    Raises OperationFailed on servers older than 5.0 and when the task fails,
    TemporaryError (exit 7) on 409 "too many tasks", Timeout after ``wait`` seconds.
    """
    if format not in FORMATS:
        raise UsageError(f"unknown torrent format {format!r}", hint="choose v1, v2 or hybrid")
    if client.webapi_version < CREATOR_SINCE:
        raise OperationFailed(f"{client.name}: creating torrents on the server needs qBittorrent 5.0 "
                              f"(this one is {client.text('app/version').strip()})", service=client.name,
                              hint="create it here with `mktint torrent create`")
    server_path = client.map_path(source_path)
    source = source or None
    buggy = has_source_bug(client.text("app/version"))
    if buggy and source != (comment or None) and (format != "v1" or start_seeding):
        raise OperationFailed(
            f"{client.name}: qBittorrent 5.0.0–5.0.2 writes the comment into the torrent's "
            "`source` field; mktint can correct that only for a v1 torrent it does not seed yet",
            service=client.name,
            hint="use --format v1 without --start-seeding, give the same text to --source and "
                 "--comment, upgrade qBittorrent to 5.0.3+, or use `mktint torrent create`")
    form = {"sourcePath": server_path, "format": format, "private": _bool(private),
            "startSeeding": _bool(start_seeding), "trackers": "|".join(trackers),
            "urlSeeds": "|".join(web_seeds), "comment": comment or ""}
    if source:
        form["source"] = source
    if piece_size:
        form["pieceSize"] = str(piece_size)
    response = client.call("POST", "torrentcreator/addTask", data=form, retry_safe=False)
    if response.status_code == 409:
        raise TemporaryError(f"{client.name}: qBittorrent runs too many torrent creation tasks",
                             service=client.name, hint="wait for them to finish and try again")
    if response.status_code == 400:
        raise OperationFailed(f"{client.name}: qBittorrent refused the task: "
                              f"{response.text.strip()[:200] or 'bad request'}", service=client.name)
    if response.status_code != 200:
        raise client._unexpected(response, "torrentcreator/addTask")
    task_id = str(json_body(response, client.name).get("taskID") or "")
    if not task_id:
        raise OperationFailed(f"{client.name}: torrentcreator/addTask answered no task ID", service=client.name)
    try:
        _wait(client, task_id, wait)
        data = _torrent_file(client, task_id)
    finally:
        _delete(client, task_id)
    data, fixed = _check_source(client, data, source, private, format, start_seeding)
    try:
        infohash, name = metainfo.torrent_id(data)
    except metainfo.BadTorrent as e:
        raise OperationFailed(f"{client.name}: the server returned an unreadable torrent: {e}",
                              service=client.name) from None
    return data, Created(task_id, server_path, local_path(client, server_path), name, infohash,
                         format, source, fixed, len(data))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def status(client, task_id: str) -> dict:
    response = client.checked("POST", "torrentcreator/status", data={"taskID": task_id},
                              missing=f"no torrent creation task {task_id}")
    rows = json_body(response, client.name)
    for row in rows if isinstance(rows, list) else []:
        if str(row.get("taskID")) == task_id:
            return row
    raise NotFound(f"{client.name}: no torrent creation task {task_id}", service=client.name)


def _wait(client, task_id: str, wait: float) -> None:
    poll = Poll(wait, POLL_FIRST, POLL_MAX)
    while True:
        row = status(client, task_id)
        if row.get("status") == "Finished":
            return
        if row.get("status") == "Failed":
            raise OperationFailed(f"{client.name}: qBittorrent could not create the torrent: "
                                  f"{row.get('errorMessage') or 'no reason given'}", service=client.name,
                                  hint="the path is a path on the server; check that it exists there")
        if poll.expired:
            raise Timeout(f"{client.name}: the torrent was not ready after {wait:g} s (the task was "
                          "cancelled)", service=client.name, hint="give a larger --wait for big data")
        poll.pause()


def _torrent_file(client, task_id: str) -> bytes:
    response = client.call("POST", "torrentcreator/torrentFile", data={"taskID": task_id})
    if response.status_code == 409:
        raise OperationFailed(f"{client.name}: the task finished without a torrent file", service=client.name)
    if response.status_code != 200:
        raise client._unexpected(response, "torrentcreator/torrentFile")
    return response.content


def _delete(client, task_id: str) -> None:
    response = client.call("POST", "torrentcreator/deleteTask", data={"taskID": task_id}, retry_safe=True)
    if response.status_code not in (200, 404):
        raise client._unexpected(response, "torrentcreator/deleteTask")


def _check_source(client, data: bytes, source, private, format, start_seeding) -> tuple[bytes, bool]:
    """Correct a wrong ``source`` (v1, not seeded) or refuse; checks ``private`` too."""
    if format == "v2":
        return data, False  # refused up front on the servers with the bug
    from mktint.torrent.metainfo import Metainfo, MetainfoError, retarget

    try:
        meta = Metainfo.parse(data)
    except MetainfoError as e:
        raise OperationFailed(f"{client.name}: the server returned an unreadable torrent: {e.message}",
                              service=client.name) from None
    if meta.private != private:
        raise OperationFailed(f"{client.name}: the server made a {'private' if meta.private else 'public'} "
                              "torrent against the request", service=client.name)
    if (meta.source or None) == source:
        return data, False
    if format != "v1" or start_seeding:
        raise OperationFailed(f"{client.name}: the server wrote source {meta.source!r} instead of "
                              f"{source!r}, and this torrent cannot be corrected here", service=client.name,
                              hint="use --format v1 without --start-seeding, or `mktint torrent create`")
    tiers = meta.announce_list or ([[meta.announce]] if meta.announce else [])
    return retarget(data, source=source, announce=tiers, private=meta.private), True
