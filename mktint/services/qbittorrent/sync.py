"""Incremental ``sync/maindata`` (``rid``) turned into change events.

The server sends only what changed since ``rid``: a few fields per changed torrent, so a
client with thousands of torrents costs little per poll. :class:`Watcher` keeps the few
fields it needs to filter and name torrents, and turns each answer into events:

- ``{"event": "added", "hash", "name", "torrent": {...}}`` (the shape of ``qbit list``)
- ``{"event": "changed", "hash", "name", "changes": {field: value}}`` (qBittorrent's field
  names; times as ISO 8601, states with their 5.x names)
- ``{"event": "removed", "hash", "name"}``
- ``{"event": "server", "changes": {...}}`` (global state, only when asked for)
"""

from __future__ import annotations

import datetime as dt

from mktint.services.qbittorrent import vocab
from mktint.services.qbittorrent.client import _iso, normalise
from mktint.services.qbittorrent.session import QBittorrentSession

TIMES = ("added_on", "completion_on", "last_activity", "seen_complete")
KEPT = ("name", "state", "category", "tags", "progress", "dlspeed", "upspeed")
STOPPED = {"pausedUP", "pausedDL", "stoppedUP", "stoppedDL"}
DOWNLOADING = {"downloading", "metaDL", "forcedMetaDL", "stalledDL", "forcedDL", "queuedDL",
               "checkingDL", "allocating", "pausedDL", "stoppedDL"}
SEEDING = {"uploading", "stalledUP", "forcedUP", "queuedUP", "checkingUP"}
CHECKING = {"checkingUP", "checkingDL", "checkingResumeData"}
ERRORED = {"error", "missingFiles"}


def matches_filter(name: str, t: dict) -> bool:
    """qBittorrent's status filters, evaluated locally on a torrent's state and speeds."""
    state = t.get("state", "")
    active = (t.get("dlspeed") or 0) > 0 or (t.get("upspeed") or 0) > 0
    tests = {
        "all": True,
        "downloading": state in DOWNLOADING,
        "seeding": state in SEEDING,
        "completed": state in SEEDING or state in ("pausedUP", "stoppedUP"),
        "stopped": state in STOPPED, "paused": state in STOPPED,
        "running": state not in STOPPED, "resumed": state not in STOPPED,
        "active": active, "inactive": not active,
        "stalled": state in ("stalledUP", "stalledDL"),
        "stalled_uploading": state == "stalledUP", "stalled_downloading": state == "stalledDL",
        "checking": state in CHECKING, "moving": state == "moving", "errored": state in ERRORED,
    }
    return tests[vocab.check_filter(name)]


def _tags(value) -> list[str]:
    if isinstance(value, list):
        return value
    return [t.strip() for t in (value or "").split(",") if t.strip()]


class Watcher:
    def __init__(self, client: QBittorrentSession, *, state_filter: str | None = None,
                 category: str | None = None, tag: str | None = None, server: bool = False):
        if state_filter is not None:
            vocab.check_filter(state_filter)
        self.client = client
        self.state_filter, self.category, self.tag, self.server = state_filter, category, tag, server
        self.rid = 0
        self.torrents: dict[str, dict] = {}

    def _wanted(self, t: dict) -> bool:
        if self.state_filter and not matches_filter(self.state_filter, t):
            return False
        if self.category is not None and (t.get("category") or "") != self.category:
            return False
        if self.tag is not None and self.tag not in _tags(t.get("tags")):
            return False
        return True

    def poll(self) -> list[dict]:
        """One ``sync/maindata`` call; the events since the previous poll.

        The first poll only learns the current torrents (no events): a watch reports changes.
        """
        data = self.client.json("sync/maindata", {"rid": self.rid})
        first = self.rid == 0
        self.rid = data.get("rid", self.rid)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        events: list[dict] = []
        changed = data.get("torrents") or {}
        removed = list(data.get("torrents_removed") or [])
        full = bool(data.get("full_update")) and not first
        for infohash, fields in changed.items():
            before = self.torrents.get(infohash)
            kept = {**(before or {}), **{k: v for k, v in fields.items() if k in KEPT}}
            self.torrents[infohash] = kept
            if first:
                continue
            if full and before is not None:  # a resent full list: keep what really changed
                fields = {k: v for k, v in fields.items() if k in KEPT and before.get(k) != v}
                if not fields:
                    continue
            if not (self._wanted(kept) or (before is not None and self._wanted(before))):
                continue
            if before is None:
                events.append({"event": "added", "time": now, "hash": infohash,
                               "name": kept.get("name"), "torrent": normalise({**fields, "hash": infohash})})
            else:
                events.append({"event": "changed", "time": now, "hash": infohash,
                               "name": kept.get("name"), "changes": _readable(fields)})
        if full:
            removed += [h for h in self.torrents if h not in changed]
        for infohash in removed:
            before = self.torrents.pop(infohash, None)
            if not first and before is not None and self._wanted(before):
                events.append({"event": "removed", "time": now, "hash": infohash,
                               "name": before.get("name")})
        if self.server and not first and data.get("server_state"):
            events.append({"event": "server", "time": now, "changes": data["server_state"]})
        return events

    @property
    def count(self) -> int:
        """How many torrents are watched (those the filter, category and tag select)."""
        return sum(1 for t in self.torrents.values() if self._wanted(t))


def _readable(fields: dict) -> dict:
    out = {k: v for k, v in fields.items() if k != "magnet_uri"}
    if "state" in out:
        out["state"] = vocab.state_name(out["state"])
    for key in TIMES:
        if key in out:
            out[key] = _iso(out[key])
    return out
