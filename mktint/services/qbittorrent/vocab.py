"""Names that changed between qBittorrent versions: filters, states, endpoints, sort keys.

An unknown filter name makes the server list *every* torrent, so a filter is translated
here for the server's WebAPI version and refused locally when it is not known.
"""

from __future__ import annotations

from mktint.core.errors import UsageError

Version = tuple[int, ...]

API = "api/v2/"  # every endpoint's prefix under the WebUI's URL

V5_0 = (2, 11, 0)   # pause/resume → stop/start, paused → stopped
V5_2 = (2, 15, 0)   # JSON answer of torrents/add, 204/401 login, editTracker url
NEXT = (2, 16, 0)   # seedMode instead of skip_checking

# Filters known to every supported version (4.1+), plus version-gated ones. Conservative:
# a filter is sent only to versions where it was seen to work (checking and moving filter
# correctly on 4.5.2 / WebAPI 2.8.19; when they first appeared is not confirmed).
COMMON_FILTERS = ("all", "downloading", "seeding", "completed", "active", "inactive",
                  "stalled", "stalled_uploading", "stalled_downloading", "errored")
GATED_FILTERS = {"checking": (2, 8, 19), "moving": (2, 8, 19)}
OLD_TO_NEW = {"paused": "stopped", "resumed": "running"}
NEW_TO_OLD = {v: k for k, v in OLD_TO_NEW.items()}
ALL_FILTERS = COMMON_FILTERS + tuple(GATED_FILTERS) + tuple(OLD_TO_NEW) + tuple(NEW_TO_OLD)

# States: the 5.x names are reported whatever the server (pausedUP → stoppedUP).
OLD_STATES = {"pausedUP": "stoppedUP", "pausedDL": "stoppedDL"}

SORT_FIELDS = ("name", "hash", "state", "progress", "size", "category", "tags", "save_path",
               "added_on", "completion_on", "ratio", "upspeed", "dlspeed", "tracker",
               "num_seeds", "num_leechs", "eta", "priority", "amount_left", "uploaded",
               "downloaded", "last_activity")


def server_filter(name: str, version: Version) -> str:
    """The filter name this server understands for ``name``; UsageError if none."""
    key = check_filter(name)
    if key in GATED_FILTERS and version < GATED_FILTERS[key]:
        raise UsageError(f"filter {key!r} needs a newer qBittorrent (WebAPI "
                         f"{'.'.join(map(str, GATED_FILTERS[key]))}+); this server would list every torrent")
    if version >= V5_0:
        return OLD_TO_NEW.get(key, key)
    return NEW_TO_OLD.get(key, key)


def check_filter(name: str) -> str:
    """Refuse an unknown filter before anything is sent (version-independent check)."""
    key = name.strip().lower()
    if key not in ALL_FILTERS:
        raise UsageError(f"unknown filter {name!r}",
                         hint="choose one of: " + ", ".join(sorted(set(ALL_FILTERS))))
    return key


def check_sort(field: str) -> str:
    if field not in SORT_FIELDS:
        raise UsageError(f"cannot sort by {field!r}", hint="choose one of: " + ", ".join(SORT_FIELDS))
    return field


def state_name(state: str) -> str:
    return OLD_STATES.get(state, state)


def endpoint(action: str, version: Version) -> str:
    """``start``/``stop`` on 5.0+, ``resume``/``pause`` before."""
    if version >= V5_0:
        return action
    return {"start": "resume", "stop": "pause"}.get(action, action)


def parse_version(text: str) -> Version:
    """'2.8.19' → (2, 8, 19); 'v4.5.2' → (4, 5, 2). Non-numeric tails are dropped."""
    parts = []
    for piece in text.strip().lstrip("v").split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    if not parts:
        raise ValueError(f"not a version: {text!r}")
    return tuple(parts)
