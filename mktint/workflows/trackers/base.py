"""The tracker interface: what every kind of tracker does for create, upload and publish.

A tracker is one configured service of a tracker kind (``Kind.tracker`` in
:mod:`mktint.core.kinds` names its class; ``Factory.tracker(name)`` builds it). The same
object serves ``torrent create --target``, the upload commands and ``publish``:

- the torrent spec: :meth:`Tracker.spec` (private, source, announce with the passkey);
- which files it refuses and what of a file plan it would refuse: :meth:`refused`,
  :meth:`plan_problems` (checked before hashing);
- publish: :meth:`prepare` (this target's metadata, journaled), :meth:`preflight`
  (structured :class:`Problem` s), :meth:`torrent_path`, :meth:`publish_one` (upload or
  bundle, recovery, the site's copy, seeding), :meth:`dry_run_one`;
- the preview shown before anything is sent: :meth:`action`, :meth:`preview_fields`.

Problems are one type, :class:`Problem`; :func:`raise_problems` turns a list of them into
one error whose class (exit code) is the most telling.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mktint.core import redact
from mktint.core.errors import (AuthError, ConfigError, Conflict, MktintError, NotFound,
                                OperationFailed, TemporaryError, UsageError)

if TYPE_CHECKING:
    from mktint.torrent.create import FilePlan, TorrentSpec

USAGE, TORRENT = "usage", "torrent"
# Which error class a combined failure takes (its exit code), most telling first.
_SEVERITY = (UsageError, ConfigError, AuthError, TemporaryError, Conflict, NotFound,
             OperationFailed, MktintError)


@dataclass(frozen=True)
class Problem:
    """One thing a tracker (or the run) would refuse, found before anything is sent."""

    field: str  # what is wrong: a flag ("--title"), "torrent", "API key", "" (the whole)
    message: str
    error: type[MktintError] = UsageError  # its class decides the exit code
    target: str | None = None  # the tracker service, "data" or "client NAME"

    @classmethod
    def of(cls, error: MktintError, target: str | None = None, field: str = "") -> "Problem":
        return cls(field, error.message, type(error), target)

    @property
    def kind(self) -> str:
        """``usage`` (a bad flag value, exit 2) or ``torrent`` (breaks a tracker rule)."""
        return USAGE if issubclass(self.error, UsageError) else TORRENT

    def at(self, target: str) -> "Problem":
        return dataclasses.replace(self, target=target)

    def __str__(self) -> str:
        return ": ".join(p for p in (self.target, self.field, self.message) if p)

    def to_dict(self) -> dict:
        return {"target": self.target, "field": self.field or None, "message": self.message,
                "kind": self.kind, "code": self.error.code}


def raise_problems(problems: list[Problem], *, cannot: str, note: str = "",
                   service: str | None = None, hint: str | None = None) -> None:
    """Nothing, or one error listing every problem (``cannot`` says what could not be
    done, ``note`` follows the count); its class is the most telling of the problems'."""
    if not problems:
        return
    kind = next(cls for cls in _SEVERITY if any(issubclass(p.error, cls) for p in problems))
    text = "\n".join(f"  {p}" for p in problems)
    raise kind(f"cannot {cannot}, {len(problems)} problem{'s' if len(problems) > 1 else ''}"
               f"{note}:\n{text}", service=service, hint=hint,
               details={"problems": [p.to_dict() for p in problems]})


class Tracker:
    """One tracker service. Subclasses implement a kind (see the module doc)."""

    def __init__(self, factory, service):
        self.factory = factory
        self.service = service  # its ServiceConfig
        self.name = service.name

    # -- the torrent -------------------------------------------------------------------------

    @property
    def source(self) -> str:
        """The service's ``source`` (its kind's or flavour's default), else its name upper-cased."""
        return self.service.get("source") or self.name.upper()

    def spec(self) -> "TorrentSpec":
        """The spec of a torrent for this tracker (may fetch and store a passkey)."""
        from mktint.torrent.create import TorrentSpec

        return TorrentSpec(target=self.name, private=True, source=self.source,
                           announce=[[self.announce()]])

    def announce(self) -> str:
        """The configured announce URL, ``{passkey}`` filled (and the result redacted)."""
        template = self.service.get("announce")
        if not template:
            raise ConfigError(f"no announce URL configured for {self.name}", service=self.name,
                              hint="copy your personal announce URL from the tracker's site, "
                                   f"then: mktint config set services.{self.name}.announce URL")
        if "{passkey}" not in template:
            redact.register(template)  # a personal announce URL is a secret as a whole
            return template
        passkey = self.factory.credentials.get(self.name, "PASSKEY") or self.fetch_passkey()
        redact.register(passkey)
        return template.replace("{passkey}", passkey)

    def fetch_passkey(self) -> str:
        """The passkey when none is stored: by default it must be stored (exit 3)."""
        return self.factory.credentials.require(self.name, "PASSKEY")

    def refused(self, plan: "FilePlan") -> list:
        """The files of ``plan`` this tracker refuses (``RefusedFile`` s); none by default."""
        return []

    def plan_problems(self, plan: "FilePlan") -> list[Problem]:
        """What this tracker would refuse about ``plan``, before hashing."""
        return []

    # -- publish -------------------------------------------------------------------------------

    def prepare(self, run, book: dict) -> dict:
        """This target's metadata from the book's fields and the flags (journaled)."""
        return {}

    def preflight(self, run) -> list[Problem]:
        """Every problem of this target, before hashing (the plan's are checked apart)."""
        return []

    def action(self, dry_run: bool) -> str:
        """What publishing does at this target, in a few words (the preview's heading)."""
        return f"publish to {self.name}"

    def preview_fields(self, run) -> dict[str, dict]:
        """This target's form as it will be sent: name → :func:`mktint.workflows.preview.value`."""
        return {}

    def torrent_path(self, run, plan_name: str) -> Path:
        return run.out_dir / f"{plan_name}.{self.name}.torrent"

    def dry_run_one(self, run) -> None:
        """What a dry run of this target does once its torrent is made in memory."""

    def publish_one(self, run) -> None:
        """Publish the made torrent ``run.torrents[self.name]``: every step journaled."""
        raise NotImplementedError


def exclude_refused(trackers: list[Tracker], plan: "FilePlan") -> tuple["FilePlan", list[str]]:
    """``plan`` without the files any of ``trackers`` refuses, and the paths left out. A
    refused folder name or a single-file torrent cannot be fixed so: those stay, for
    preflight to report."""
    refused = {r.path for t in trackers for r in t.refused(plan) if r.excludable}
    if not refused:
        return plan, []
    kept = [f for f in plan.files if "/".join([plan.name, *f.parts]) not in refused]
    if not kept:
        raise OperationFailed(f"every file of {plan.name} is one a tracker refuses",
                              hint="nothing would be left to upload")
    return dataclasses.replace(plan, files=kept), sorted(refused)


def result_row(name: str) -> dict[str, Any]:
    """The result of one target in a publish (filled in as the steps run)."""
    return {"name": name, "torrent": None, "infohash": None, "upload": None, "bundle": None,
            "client": None}
