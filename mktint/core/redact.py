"""Secret redaction.

Every secret is registered here the moment it is read (credentials store, login
answers, cookies), and every text that may reach a person — debug traces, log records,
error messages, JSON output — passes through :func:`redact`.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Mapping

MASK = "***"
# Header names whose values are always masked, secret registered or not.
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
# Short values would mask ordinary words; no real key or cookie is this short.
_MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()
_ordered: tuple[str, ...] = ()


def register(secret: str | None) -> None:
    """Remember a secret so that every later redaction masks it."""
    global _ordered
    if not secret or len(secret) < _MIN_SECRET_LENGTH:
        return
    with _lock:
        if secret in _secrets:
            return
        _secrets.add(secret)
        # Longest first, so a secret containing another is masked whole.
        _ordered = tuple(sorted(_secrets, key=len, reverse=True))


# A path segment or query value of an announce URL that looks like a personal key
# (RED/OPS/MAM passkeys are 32 letters and digits).
_URL_KEY = re.compile(r"(?<=[/=])([A-Za-z0-9_-]{16,})(?=[/?&#]|$)")


def register_url_secrets(url: str | None) -> None:
    """Register the passkey-like parts of a tracker URL read from a file or a server."""
    for match in _URL_KEY.finditer(url or ""):
        register(match.group(1))


# The password of a URL's user information: scheme://user:PASSWORD@host
_URL_PASSWORD = re.compile(r"(?<=://)([^/?#@\s:]*):([^/?#@\s]+)@")


def redact(text: Any) -> str:
    """Return ``text`` as a string with every registered secret, and the password of any
    ``scheme://user:password@host`` URL, replaced by ``***``."""
    text = str(text)
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, MASK)
    if "@" in text:
        text = _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
    return text


def redact_obj(value: Any) -> Any:
    """Redact every string inside a JSON-like structure (dicts, lists, scalars)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_obj(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_obj(v) for v in value]
    return value


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers for a trace: sensitive ones masked whole, the rest redacted."""
    return {
        name: (MASK if name.lower() in SENSITIVE_HEADERS else redact(value))
        for name, value in headers.items()
    }


class RedactingFilter:
    """A logging filter (anything with ``filter(record)`` will do; this module does not
    import logging) that masks registered secrets in every record."""

    def filter(self, record) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def _clear_for_tests() -> None:
    global _ordered
    with _lock:
        _secrets.clear()
        _ordered = ()
