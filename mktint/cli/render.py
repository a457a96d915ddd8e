"""The JSON conventions every command shares (the reference is docs/json.md).

- Keys are snake_case at every depth; a service's own keys (a Gazelle dry run's
  ``fileCount``) are converted here, in the rendering layer, never in the services.
- A command that lists things prints a top-level array; a command about one thing, or
  one action, prints an object.
"""

from __future__ import annotations

import re
from typing import Any

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(key: str) -> str:
    """``fileCount`` → ``file_count``, ``API_KEY`` → ``api_key``."""
    return _CAMEL.sub(r"_\1", key).lower()


def snake_keys(value: Any) -> Any:
    """``value`` with every dict key, at any depth, in snake_case."""
    if isinstance(value, dict):
        return {snake(str(k)): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


def renamed(data: dict, **names: str) -> dict:
    """``data`` with some keys renamed in place order: ``renamed(d, uid="user_id")``."""
    return {names.get(k, k): v for k, v in data.items()}
