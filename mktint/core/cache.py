"""A small on-disk cache of JSON answers, safe when several mktint processes share it.

One file per key under ``$XDG_CACHE_HOME/mktint/<namespace>/``, named by a hash of the
key and holding ``{"key", "stored_at", "value"}``. Writes go through
:func:`mktint.core.paths.atomic_write`, so a reader sees a whole entry or none. Fetching
through :meth:`Cache.fetch` holds an exclusive ``flock`` on the key's lock file while it
checks and fills the entry: when two processes ask for the same thing at once, one asks
the server and the other reads its answer (one request, not two). A damaged or foreign
entry counts as a miss. A ``ttl`` of 0 or less turns the cache off. The cache is only an
optimisation: when its directory cannot be written (read-only home, full disk) values are
fetched and used without being stored, and the ``--debug`` trace says why.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from mktint.core import locks, paths

trace = logging.getLogger("mktint.cache")


class Cache:
    def __init__(self, namespace: str, ttl: float, *, directory: Path | None = None,
                 clock: Callable[[], float] = time.time):
        self.ttl = ttl
        self.directory = (directory or paths.cache_dir()) / namespace
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def _path(self, key: str) -> Path:
        return self.directory / (hashlib.sha256(key.encode("utf-8")).hexdigest()[:40] + ".json")

    def get(self, key: str) -> Any | None:
        """The stored value if it is younger than the TTL, else None."""
        if not self.enabled:
            return None
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        stored_at = entry.get("stored_at")
        if not isinstance(stored_at, (int, float)):
            return None
        age = self._clock() - stored_at
        if age < 0 or age >= self.ttl:
            return None
        return entry.get("value")

    def put(self, key: str, value: Any) -> None:
        if not self.enabled:
            return
        entry = {"key": key, "stored_at": self._clock(), "value": value}
        try:
            paths.ensure_private_dir(self.directory)
            paths.atomic_write(self._path(key), json.dumps(entry, ensure_ascii=False), mode=0o600)
        except OSError as e:
            trace.debug("cannot store an entry in %s: %s", self.directory, e)

    def fetch(self, key: str, produce: Callable[[], Any], *, refresh: bool = False) -> Any:
        """The cached value, or ``produce()`` stored for next time (always with ``refresh``).

        ``produce`` runs under the key's lock; an exception from it stores nothing.
        """
        if not self.enabled:
            return produce()
        with self._locked(key):
            if not refresh:
                value = self.get(key)
                if value is not None:
                    trace.debug("hit %s", key)
                    return value
            value = produce()
            if value is not None:
                self.put(key, value)
            return value

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            try:
                paths.ensure_private_dir(self.directory)
                stack.enter_context(locks.held(self._path(key).with_suffix(".lock")))
            except OSError as e:
                trace.debug("cannot lock in %s (%s); going without", self.directory, e)
            yield
