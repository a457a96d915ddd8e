"""The cached qBittorrent session: one file per service, kept between runs.

``<state>/qbittorrent/<service>.cookies.json``, mode 0600:
``{"url": BASE_URL, "cookies": [{"name", "value", "domain", "path"}, ...]}``. The session
(``session.py``) writes it after a login and drops it at logout; the next run reads it, and
so does shell completion (``quick.py``), which sends it without loading requests. A cache
made for another URL counts as none. Every value read is registered for redaction.

Standard library only: completion imports this module.
"""

from __future__ import annotations

from pathlib import Path

from mktint.core import paths, redact


def cache_path(service: str) -> Path:
    return paths.state_dir() / "qbittorrent" / f"{service}.cookies.json"


def read_text(service: str) -> str | None:
    """The cache file's text as it is now (None: no cache), to tell whether it changed."""
    try:
        return cache_path(service).read_text()
    except OSError:
        return None


def parse(text: str | None, base_url: str) -> list[dict]:
    """The cookies in a cache file's ``text`` when it was made for ``base_url``; each has a
    string ``name`` and ``value`` (``domain`` and ``path`` as they were stored)."""
    if not text:
        return []
    import json  # here: a completion with no session cached never needs it

    try:
        cached = json.loads(text)
    except ValueError:
        return []
    if not isinstance(cached, dict) or cached.get("url") != base_url:
        return []
    found = []
    for cookie in cached.get("cookies", []):
        if isinstance(cookie, dict) and isinstance(cookie.get("name"), str) \
                and isinstance(cookie.get("value"), str):
            redact.register(cookie["value"])
            found.append(cookie)
    return found


def write(service: str, base_url: str, cookies: list[dict]) -> str:
    """Cache ``cookies`` (dicts of name, value, domain, path) for ``base_url``; returns the
    text written. Raises OSError when it cannot be written."""
    import json

    for cookie in cookies:
        redact.register(cookie["value"])
    text = json.dumps({"url": base_url, "cookies": cookies})
    path = cache_path(service)
    paths.ensure_private_dir(path.parent)
    paths.atomic_write(path, text, mode=0o600)
    return text


def drop(service: str) -> None:
    try:
        cache_path(service).unlink()
    except FileNotFoundError:
        pass
