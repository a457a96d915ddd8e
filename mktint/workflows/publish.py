"""`mktint publish`: from a folder to seeding uploads, resumable and never uploading twice.

The steps, in order (journal step names in brackets):

1. **metadata** [``metadata``] — Audnexus by ``--asin`` or the ASIN in the folder name, the
   flags given override it; format and bitrate not given are read from the audio files,
   per Gazelle flavour.
2. **preflight** (not journaled; runs until the torrents exist) — every target checked
   before any hashing and every problem reported at once: the doubts about the book
   (:mod:`mktint.workflows.preview`: sources that disagree, unreadable audio, a runtime
   off, flags the files contradict), the form and the path limit (Gazelle), the API key
   and the announce URL (Gazelle), the announce URL and the bundle folder (MAM), the
   torrent client reachable.
3. **torrents** [``torrents``] — one hashing pass in memory, one torrent per target; the
   preview of every target (its form, each value's source, its torrent) goes to the
   reporter; then the confirmation, and only then the torrents are written to the output
   folder (MAM's into its upload bundle folder). A dry run shows the same preview.
4. **each target**, in the order given, by its tracker object
   (:mod:`mktint.workflows.trackers`): a Gazelle target uploads [``upload:NAME``] as
   `red upload` does it (duplicate check, one upload, recovery; the site's copy saved and
   seeded when the site rewrote it) and is added to qBittorrent [``client:NAME``] (save
   path the folder's parent, hash check skipped for a torrent just made from this data);
   a MAM target writes the manual-upload bundle [``bundle:NAME``] and is added STOPPED
   with the tag ``mam-pending`` [``client:NAME``].
5. **seeding** — the torrents added started are watched together until all of them seed
   (one wait of the client's state refresh, not one a target); only then are their
   ``client:NAME`` steps finished, so a run stopped here adds them again (``exists``) and
   waits again.

This module knows no tracker kind: it loops over tracker objects.

Every finished step is recorded in the journal (:mod:`mktint.workflows.journal`); a rerun
skips what is done. An upload recorded as started but not finished is looked up on the site
by infohash before anything else: found means done, never a second upload.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from mktint.core.errors import MissingCredential, MktintError, NotFound, OperationFailed, UsageError
from mktint.workflows.trackers.base import Problem, exclude_refused, raise_problems, result_row
from mktint.workflows.trackers.mam import PENDING_TAG as MAM_PENDING_TAG  # noqa: F401 (qbit)


@dataclass
class PublishRequest:
    path: Path
    targets: list[str]
    asin: str | None = None
    client: str | None = None  # qBittorrent service; default `[defaults] client`
    given: dict[str, Any] = field(default_factory=dict)  # upload fields the flags give
    output_dir: Path | None = None
    dry_run: bool = False
    exclude_refused: bool = False  # leave out files a target refuses instead of stopping
    accept: frozenset[str] = frozenset()  # doubts to let through (preview.ACCEPTABLE)


class Reporter:
    """How the workflow tells the user what it does (the CLI's is on stderr); silent here."""

    def step(self, text: str) -> None:
        pass

    def warn(self, text: str) -> None:
        pass

    @contextlib.contextmanager
    def hashing(self, total: int) -> Iterator[Callable[[int], None] | None]:
        yield None

    def preview(self, targets: list[dict]) -> None:
        """Show every target as it will be sent (:func:`mktint.workflows.preview.target_preview`)."""

    def confirm(self, question: str) -> bool:
        return True


def output_folder(factory, request: PublishRequest, journal) -> Path:
    """Where the .torrent files go: -o, else `[defaults] output_dir`, else next to the journal."""
    chosen = request.output_dir or factory.config.defaults.get("output_dir")
    if chosen:  # absolute: the journal records these paths for a rerun from anywhere
        return Path(os.path.abspath(Path(chosen).expanduser()))
    return journal.path.with_suffix("")


def publish(factory, request: PublishRequest, reporter: Reporter | None = None) -> dict:
    """Run (or resume) a publish; returns ``{"targets": [...], "journal", "dry_run"}``."""
    return _Publish(factory, request, reporter or Reporter()).run()


class _Publish:
    """One run: what every tracker's ``publish_one`` gets (the journal, the reporter, the
    made torrents, the results, and adding a torrent to the client)."""

    def __init__(self, factory, request: PublishRequest, reporter: Reporter):
        from mktint.workflows.journal import Journal

        self.factory = factory
        self.request = request
        self.ui = reporter
        path = Path(request.path)
        if not path.exists():
            raise UsageError(f"{path} does not exist", hint="give the audiobook's folder or file")
        _check_readable(path)
        self.source = Path(os.path.abspath(path))
        self.targets = list(dict.fromkeys(request.targets))
        if not self.targets:
            raise UsageError("no target: give --to TRACKER (red, ops, mam)")
        self.trackers = [factory.tracker(name) for name in self.targets]
        self.client_name = request.client or factory.config.default_client()
        factory.service_config(self.client_name, "qbittorrent")
        self.dry_run = request.dry_run
        self.journal = None if self.dry_run else Journal.open(self.source, self.targets)
        self.out_dir = None if self.dry_run else output_folder(factory, request, self.journal)
        self.metadata: dict[str, dict] = {}  # target → its prepared metadata (journaled)
        self.asin: str | None = None
        self.inspection = None  # the audio files (mktint.audio.inspect.Inspection)
        self.doubts: list[Problem] = []
        self.preview: list[dict] = []
        self.torrents: dict[str, dict] = {}  # name → {"path", "infohash", "data"}
        self.results: dict[str, dict] = {name: result_row(name) for name in self.targets}
        self.unconfirmed: dict[str, dict] = {}  # name → client result: added, not yet seeding

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> dict:
        if self.journal is None:  # a dry run writes nothing
            return self._run()
        with self.journal.lock():
            self.journal.reload()  # what a run that finished meanwhile recorded
            return self._run()

    def _run(self) -> dict:
        journal = self.journal
        if journal is not None and journal.is_done("torrents"):
            self.ui.step("resuming: metadata and torrents are in the journal")
            self._load_metadata()
            with self.step("torrents"):
                self._load_torrents()
            self._preview({name: entry["data"] for name, entry in self.torrents.items()})
        else:
            with self.step("metadata"):
                self._metadata()
            with self.step("preflight"):
                specs, plan = self._preflight()
            with self.step("torrents"):
                created = self._hash(specs, plan)
            self._preview({t.name: made.data for t, made in zip(self.trackers, created)})
            if not self.dry_run and not self.ui.confirm(
                    f"Publish {self.source.name} to {', '.join(self.targets)}?"):
                raise OperationFailed("cancelled: nothing was written or uploaded")
            if journal is not None:
                journal.finish("metadata", fields=self.metadata, asin=self.asin,
                               given=_jsonable(self.request.given))
            with self.step("torrents"):
                self._write_torrents(created, plan)
        for tracker in self.trackers:
            if self.dry_run:
                with self.step(f"upload:{tracker.name}"):
                    tracker.dry_run_one(self)
            else:
                tracker.publish_one(self)
        self._wait_seeding()
        return {"targets": [self.results[n] for n in self.targets],
                "journal": str(journal.path) if journal is not None else None,
                "dry_run": self.dry_run, "preview": self.preview}

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run one step: a failure names the step and how to resume."""
        try:
            yield
        except MktintError as e:
            e.message = f"publish stopped at step {name}: {e.message}"
            e.details = {**e.details, "step": name}
            if self.journal is not None and self.journal.exists:
                e.details["journal"] = str(self.journal.path)
                resume = f"journal: {self.journal.path}; run the same command again to resume"
                e.hint = f"{e.hint}; {resume}" if e.hint else resume
            raise

    # -- 1. metadata -----------------------------------------------------------------------

    def _metadata(self) -> None:
        from mktint.core.asin import find_asin, validate_asin
        from mktint.workflows.gazelle_upload import fields_from_book
        from mktint.workflows.preview import inspect_book

        self.ui.step("metadata")
        self.asin = validate_asin(self.request.asin) if self.request.asin else find_asin(self.source.name)
        book: dict = {}
        found = None  # Audnexus' book
        if self.asin:
            from mktint.workflows.description import render_description

            self.ui.step(f"metadata: Audnexus book {self.asin}")
            try:
                found = self.factory.service("audnexus", "audnexus").book(self.asin)
            except NotFound as e:
                if self.request.asin:
                    raise
                # An ASIN read from the folder name may be wrong: the flags can still do.
                self.ui.warn(f"the ASIN {self.asin} in the folder name: {e.message}; "
                             "continuing without Audnexus metadata")
                self.asin, found = None, None
            if found is not None:
                book = fields_from_book(found, render_description)
        self.inspection, self.doubts = inspect_book(self.source, found, self.request.given,
                                                    self.request.accept)
        for tracker in self.trackers:
            self.metadata[tracker.name] = tracker.prepare(self, book)

    def _load_metadata(self) -> None:
        recorded = self.journal.result("metadata")
        self.metadata = recorded.get("fields", {})
        self.asin = recorded.get("asin")
        given = _jsonable(self.request.given)
        asin = self.request.asin.upper() if self.request.asin else self.asin
        if recorded.get("given", given) != given or asin != self.asin:
            self.ui.warn("the torrents are made: the metadata recorded in the journal is used, "
                         "the flags of this run are ignored")

    # -- 2. preflight ----------------------------------------------------------------------

    def _preflight(self):
        self.ui.step("preflight: " + ", ".join(self.targets) + f", client {self.client_name}")
        problems, specs, plan = preflight(self)
        problems = self.doubts + problems
        raise_problems(problems, cannot="publish", note=" (nothing was hashed or uploaded)",
                       hint="fix them and run the command again")
        return specs, plan

    # -- 3. torrents -----------------------------------------------------------------------

    def _hash(self, specs: list, plan) -> list:
        """One hashing pass, every target's torrent in memory (nothing written yet)."""
        from mktint.torrent.create import create

        self.ui.step(f"hashing {plan.name} once for {', '.join(self.targets)}")
        with self.ui.hashing(plan.total_size) as advance:
            return create(plan, specs, progress=advance)

    def _preview(self, torrents: dict[str, bytes]) -> None:
        from mktint.workflows.preview import target_preview, torrent_preview

        self.preview = [target_preview(t, t.action(self.dry_run), t.preview_fields(self),
                                       torrent_preview(torrents[t.name]))
                        for t in self.trackers]
        self.ui.preview(self.preview)

    def _write_torrents(self, created: list, plan) -> None:
        from mktint.core import paths

        if self.journal is not None:
            self.journal.start("torrents")
        recorded = {}
        for tracker, made in zip(self.trackers, created):
            name = tracker.name
            entry = {"infohash": made.infohash, "data": made.data, "path": None}
            if not self.dry_run:
                path = tracker.torrent_path(self, plan.name)
                path.parent.mkdir(parents=True, exist_ok=True)
                paths.atomic_write(path, made.data, mode=0o600)  # the announce holds the passkey
                entry["path"] = str(path)
                recorded[name] = {"path": str(path), "infohash": made.infohash}
            self.torrents[name] = entry
            self.results[name].update(torrent=entry["path"], infohash=made.infohash)
        if self.journal is not None:
            self.journal.finish("torrents", torrents=recorded, name=plan.name)

    def _load_torrents(self) -> None:
        from mktint.torrent.metainfo import Metainfo

        for name, entry in self.journal.result("torrents").get("torrents", {}).items():
            path = Path(entry["path"])
            try:
                data = path.read_bytes()
            except OSError as e:
                raise OperationFailed(
                    f"the {name} torrent recorded in the journal cannot be read: {path}: "
                    f"{e.strerror or e}",
                    hint="restore the file; or, if nothing was uploaded yet, delete the journal "
                         "to start over") from None
            if Metainfo.parse(data).infohash != entry["infohash"]:
                raise OperationFailed(f"{path} is not the torrent the journal recorded "
                                      f"(infohash {entry['infohash']})",
                                      hint="restore the original file")
            self.torrents[name] = {**entry, "data": data}
            self.results[name].update(torrent=str(path), infohash=entry["infohash"])

    # -- 4. what the trackers call ---------------------------------------------------------

    def set_upload(self, name: str, result: dict) -> None:
        """Record a target's upload result (``seed_torrent``: the file to seed)."""
        self.results[name]["upload"] = {k: v for k, v in result.items() if k != "seed_torrent"}
        if result.get("seed_torrent"):
            self.results[name].update(torrent=result["seed_torrent"], infohash=result["infohash"])

    def add_to_client(self, name: str, torrent: Path, *, stopped: bool, tags: list[str],
                      skip_check: bool) -> None:
        """Add ``torrent`` to the client (journaled step ``client:NAME``), the data's
        parent as save path; a torrent not stopped is finished once it seeds
        (:meth:`_wait_seeding`, after every target's add)."""
        step = f"client:{name}"
        if self.journal.is_done(step):
            self.results[name]["client"] = self.journal.result(step)
            self.ui.step(f"{self.client_name}: {name} torrent added before")
            return
        self.ui.step(f"{self.client_name}: adding the {name} torrent"
                     + (" stopped, tagged " + ",".join(tags) if stopped else ""))
        qb = self.factory.service(self.client_name, "qbittorrent")
        [added] = qb.add([(torrent.name, torrent.read_bytes())], save_path=str(self.source.parent),
                         tags=tags, stopped=stopped, skip_check=skip_check)
        if added.status not in ("added", "exists"):
            raise OperationFailed(f"{self.client_name} did not add {torrent.name}: {added.message}",
                                  service=self.client_name,
                                  hint=f"add it by hand: mktint qbit add {torrent}")
        result = {"service": self.client_name, "status": added.status, "infohash": added.infohash,
                  "save_path": str(self.source.parent), "stopped": stopped, "tags": tags}
        if stopped:
            self._client_done(name, result)
        else:  # not seeding yet: finished once the client reports it complete (_wait_seeding)
            self.unconfirmed[name] = result

    def _wait_seeding(self) -> None:
        """Wait until every torrent added started seeds, all watched at once (qBittorrent
        refreshes states every 1.5 s: one wait for all, not one a target), then finish
        their ``client:NAME`` steps. A rerun after a stop here adds them again (``exists``)
        and waits again."""
        if not self.unconfirmed:
            return
        from mktint.services.qbittorrent.seeding import wait_seeding

        names = list(self.unconfirmed)
        by_hash = {self.unconfirmed[n]["infohash"]: n for n in names}
        self.ui.step(f"{self.client_name}: waiting until the {', '.join(names)} "
                     f"torrent{'s' if len(names) > 1 else ''} seed{'' if len(names) > 1 else 's'}")
        try:
            wait_seeding(self.factory.service(self.client_name, "qbittorrent"), list(by_hash),
                         recheck_failed={h for h, n in by_hash.items()
                                         if self.unconfirmed[n]["status"] == "exists"})
        except MktintError as e:  # named by the torrent's step (all of them for the rest)
            name = by_hash.get(e.details.get("infohash"), names[0])
            with self.step(f"client:{name}"):
                raise
        for name in names:
            self._client_done(name, self.unconfirmed.pop(name))

    def _client_done(self, name: str, result: dict) -> None:
        self.journal.finish(f"client:{name}", **result)
        self.results[name]["client"] = result


def _check_readable(path: Path) -> None:
    """An unreadable folder or file fails (exit 1, the reason) before any request."""
    try:
        if path.is_dir():
            os.scandir(path).close()
        else:
            open(path, "rb").close()
    except OSError as e:
        raise OperationFailed(f"cannot read {path}: {e.strerror or e}") from None


def _jsonable(values: dict) -> dict:
    import json

    return json.loads(json.dumps(values))


# -- preflight -----------------------------------------------------------------------------

def preflight(run: _Publish):
    """Every problem of every target, found before hashing: ``(problems, specs, plan)``."""
    from mktint.torrent.create import scan, skipped_warning

    problems: list[Problem] = []
    plan = None
    try:
        plan = scan(run.source)
        if skipped_warning(plan):
            run.ui.warn(skipped_warning(plan))
        if run.request.exclude_refused:
            plan, left_out = exclude_refused(run.trackers, plan)
            if left_out:
                run.ui.warn(f"left out {len(left_out)} file(s) the tracker(s) refuse: "
                            + ", ".join(left_out))
    except MktintError as e:
        problems.append(Problem.of(e, "data"))
    specs = []
    for tracker in run.trackers:
        found = tracker.preflight(run)
        if plan is not None:
            found += tracker.plan_problems(plan)
        problems += found
        if any(issubclass(p.error, MissingCredential) for p in found):
            continue  # the announce passkey would be fetched with the missing credential
        try:
            specs.append(tracker.spec())
        except MktintError as e:
            problems.append(Problem.of(e, tracker.name))
    try:
        run.factory.service(run.client_name, "qbittorrent").version_info()
    except MktintError as e:
        problems.append(Problem.of(e, f"client {run.client_name}"))
    return problems, specs, plan
