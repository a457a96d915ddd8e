"""A publish journal: which steps of a multi-step job finished, and with what result.

One JSON file per job in ``$XDG_STATE_HOME/mktint/publish/``, keyed by the folder and the
targets. Every change is written atomically before the next step starts, so a crash at
any point leaves a journal that tells a rerun exactly where to resume. A step that was
started but never recorded as done (an upload cut off mid-way) is "unknown": the caller
must find out what happened before doing it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from mktint.core import paths
from mktint.core.errors import ConfigError

STARTED, DONE = "started", "done"


def journal_key(folder: Path, targets: list[str]) -> str:
    identity = json.dumps([str(Path(folder).resolve()), sorted(targets)])
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


class Journal:
    def __init__(self, path: Path, data: dict[str, Any] | None = None):
        self.path = path
        self.data = data or {"version": 1, "steps": {}}

    @classmethod
    def open(cls, folder: Path, targets: list[str], state_dir: Path | None = None) -> "Journal":
        directory = paths.ensure_private_dir((state_dir or paths.state_dir()) / "publish")
        path = directory / f"{journal_key(folder, targets)}.json"
        if not path.exists():
            journal = cls(path)
            journal.data.update(folder=str(Path(folder).resolve()), targets=sorted(targets))
            return journal
        return cls(path, _read(path))

    def reload(self) -> None:
        """Read the file again: another run may have written it since it was opened."""
        if self.path.exists():
            self.data = _read(self.path)

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def lock(self):
        """Held for a whole publish run: a second run of the same job stops (exit 1)."""
        from mktint.core.locks import exclusive

        return exclusive(f"publish-{self.path.stem}",
                         f"another mktint is publishing this (journal {self.path})",
                         hint="wait for it to finish, then run the command again to see "
                              "where it got")

    def status(self, step: str) -> str | None:
        entry = self.data["steps"].get(step)
        return entry["status"] if entry else None

    def is_done(self, step: str) -> bool:
        return self.status(step) == DONE

    def result(self, step: str) -> dict[str, Any]:
        entry = self.data["steps"].get(step) or {}
        return entry.get("result", {})

    def start(self, step: str, **result: Any) -> None:
        self._set(step, STARTED, result)

    def finish(self, step: str, **result: Any) -> None:
        self._set(step, DONE, result)

    def _set(self, step: str, status: str, result: dict[str, Any]) -> None:
        self.data["steps"][step] = {
            "status": status,
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "result": result,
        }
        self.save()

    def save(self) -> None:
        paths.atomic_write(self.path, json.dumps(self.data, indent=2, sort_keys=True), mode=0o600)

    def discard(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"publish journal {path} is unreadable: {e}",
                          hint="inspect it; delete it only if you are sure nothing was uploaded") from None
