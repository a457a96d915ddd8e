"""Application preferences (``app/preferences``, ``app/setPreferences``) with type checks.

A value given as text is converted to the type of the server's current value for that
key (bool, int, float, str, list/dict as JSON); unknown keys are refused, because the
server silently ignores them. Secret-looking preferences are masked when read.
"""

from __future__ import annotations

import json

from mktint.core import redact
from mktint.core.errors import ProtocolError, UsageError
from mktint.services.qbittorrent.session import QBittorrentSession

MASK = "********"
TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def is_secret(key: str) -> bool:
    return any(word in key for word in ("password", "api_key", "secret"))


def _all(client: QBittorrentSession) -> dict:
    data = client.json("app/preferences")
    if not isinstance(data, dict):
        raise ProtocolError(f"{client.name}: app/preferences did not answer an object", service=client.name)
    return data


def _unknown(keys, known) -> UsageError:
    import difflib

    close = sorted({m for k in keys for m in difflib.get_close_matches(k, known, n=3)})
    return UsageError("unknown preference " + ", ".join(repr(k) for k in keys),
                      hint=("did you mean " + ", ".join(close) + "? " if close else "")
                      + "list them with `mktint qbit prefs get`")


def get(client: QBittorrentSession, keys=()) -> dict:
    """The preferences (all, or the given keys), secrets masked."""
    data = _all(client)
    missing = [k for k in keys if k not in data]
    if missing:
        raise _unknown(missing, data)
    chosen = {k: data[k] for k in keys} if keys else dict(sorted(data.items()))
    return {k: (MASK if is_secret(k) and v else v) for k, v in chosen.items()}


def convert(key: str, text: str, current):
    """``text`` as the type of ``current``; UsageError naming the key and the type."""
    def bad(kind: str) -> UsageError:
        return UsageError(f"{key} takes {kind}, not {text!r}")

    if isinstance(current, bool):
        lowered = text.strip().lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
        raise bad("true or false")
    if isinstance(current, int):
        try:
            return int(text.strip())
        except ValueError:
            raise bad("an integer") from None
    if isinstance(current, float):
        try:
            return float(text.strip())
        except ValueError:
            raise bad("a number") from None
    if isinstance(current, (list, dict)):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, type(current)):
            raise bad("a JSON " + ("list" if isinstance(current, list) else "object"))
        return value
    return text


def parse_assignments(pairs) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"not KEY=VALUE: {pair!r}", hint="e.g. `mktint qbit prefs set max_active_downloads=3`")
        out.append((key.strip(), value))
    return out


def set(client: QBittorrentSession, assignments: list[tuple[str, str]]) -> dict:
    """Set ``[(key, text)]`` after checking every key and value; returns the new values."""
    data = _all(client)
    missing = [k for k, _ in assignments if k not in data]
    if missing:
        raise _unknown(missing, data)
    changes = {key: convert(key, text, data[key]) for key, text in assignments}
    for key, value in changes.items():
        if is_secret(key) and isinstance(value, str) and value:
            redact.register(value)  # kept out of --debug traces and errors
    client.post("app/setPreferences", data={"json": json.dumps(changes)})
    return get(client, list(changes))
