"""`mktint publish`: from a folder to seeding uploads, resumable and never uploading twice.

The steps, in order (journal step names in brackets):

1. **metadata** [``metadata``] — Audnexus by ``--asin`` or the ASIN in the folder name, the
   flags given override it; format and bitrate not given are read from the audio files,
   per Gazelle flavour.
2. **preflight** (not journaled; runs until the torrents exist) — every target checked
   before any hashing and every problem reported at once: the form and the path limit
   (Gazelle), the API key and the announce URL (Gazelle), the announce URL and the bundle
   folder (MAM), the torrent client reachable.
3. **torrents** [``torrents``] — one hashing pass, one torrent per target, written to the
   output folder (MAM's into its upload bundle folder).
4. **upload** [``upload:NAME``] per Gazelle target, as `red upload` does it (duplicate check,
   one upload, recovery); the site's copy is saved and seeded when the site rewrote it.
5. **client** [``client:NAME``] per Gazelle target — added to qBittorrent, save path the
   folder's parent, hash check skipped for a torrent just made from this data.
6. **bundle** [``bundle:NAME``] and **client** [``client:NAME``] per MAM target — the
   manual-upload bundle (description.txt, UPLOAD.txt), then the torrent added STOPPED with
   the tag ``mam-pending`` (start it once the upload on MAM is done).

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

from mktint.core.errors import (AuthError, ConfigError, Conflict, MissingCredential, MktintError,
                                NotFound, OperationFailed, TemporaryError, UsageError)

MAM_PENDING_TAG = "mam-pending"
TARGET_KINDS = ("gazelle", "mam")
# Which error class a combined preflight failure takes (its exit code), most telling first.
_SEVERITY = (UsageError, ConfigError, AuthError, TemporaryError, Conflict, NotFound, OperationFailed)


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


@dataclass(frozen=True)
class PreflightProblem:
    target: str  # a target name, "client" or "data"
    message: str
    error: type[MktintError] = OperationFailed

    def __str__(self) -> str:
        return f"{self.target}: {self.message}"


class Reporter:
    """How the workflow tells the user what it does (the CLI's is on stderr); silent here."""

    def step(self, text: str) -> None:
        pass

    def warn(self, text: str) -> None:
        pass

    @contextlib.contextmanager
    def hashing(self, total: int) -> Iterator[Callable[[int], None] | None]:
        yield None

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
    def __init__(self, factory, request: PublishRequest, reporter: Reporter):
        from mktint.workflows.journal import Journal

        self.factory = factory
        self.request = request
        self.ui = reporter
        path = Path(request.path)
        if not path.exists():
            raise UsageError(f"{path} does not exist", hint="give the audiobook's folder or file")
        self.source = Path(os.path.abspath(path))
        self.targets = list(dict.fromkeys(request.targets))
        if not self.targets:
            raise UsageError("no target: give --to TRACKER (red, ops, mam)")
        self.kinds = {name: self._kind(name) for name in self.targets}
        self.client_name = request.client or factory.config.default_client()
        factory.service_config(self.client_name, "qbittorrent")
        self.dry_run = request.dry_run
        self.journal = None if self.dry_run else Journal.open(self.source, self.targets)
        self.out_dir = None if self.dry_run else output_folder(factory, request, self.journal)
        self.fields: dict = {}  # Gazelle target → UploadFields as a dict
        self.audio_problems: dict[str, list] = {}  # why format/bitrate could not be read
        self.mam_description: str | None = None
        self.asin: str | None = None
        self.torrents: dict[str, dict] = {}  # name → {"path", "infohash", "data"}
        self.results: dict[str, dict] = {name: {"name": name, "torrent": None, "infohash": None,
                                                "upload": None, "bundle": None, "client": None}
                                         for name in self.targets}

    def _kind(self, name: str) -> str:
        kind = self.factory.service_config(name).kind
        if kind not in TARGET_KINDS:
            raise UsageError(f"service {name!r} is a {kind} service, not a tracker",
                             hint="--to takes a gazelle or mam service (red, ops, mam)")
        return kind

    def of_kind(self, kind: str) -> list[str]:
        return [n for n in self.targets if self.kinds[n] == kind]

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> dict:
        journal = self.journal
        if journal is not None and journal.is_done("torrents"):
            self.ui.step("resuming: metadata and torrents are in the journal")
            self._load_metadata()
            with self._step("torrents"):
                self._load_torrents()
        else:
            with self._step("metadata"):
                self._metadata()
            with self._step("preflight"):
                specs, plan = self._preflight()
            if not self.dry_run and not self.ui.confirm(
                    f"Publish {self.source.name} to {', '.join(self.targets)}?"):
                raise OperationFailed("cancelled: nothing was hashed or uploaded")
            if journal is not None:
                journal.finish("metadata", fields=self.fields, asin=self.asin,
                               mam_description=self.mam_description,
                               given=_jsonable(self.request.given))
            with self._step("torrents"):
                self._make_torrents(specs, plan)
        for name in self.of_kind("gazelle"):
            with self._step(f"upload:{name}"):
                self._upload(name)
            if not self.dry_run:
                with self._step(f"client:{name}"):
                    self._add_gazelle(name)
        if not self.dry_run:
            for name in self.of_kind("mam"):
                with self._step(f"bundle:{name}"):
                    self._bundle(name)
                with self._step(f"client:{name}"):
                    self._add_mam(name)
        return {"targets": [self.results[n] for n in self.targets],
                "journal": str(journal.path) if journal is not None else None,
                "dry_run": self.dry_run}

    @contextlib.contextmanager
    def _step(self, name: str) -> Iterator[None]:
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
        from mktint.workflows.gazelle_upload import build_fields, fields_from_book

        self.ui.step("metadata")
        given = self.request.given
        self.asin = validate_asin(self.request.asin) if self.request.asin else find_asin(self.source.name)
        book_fields: dict = {}
        if self.asin:
            from mktint.workflows.description import render_description

            self.ui.step(f"metadata: Audnexus book {self.asin}")
            try:
                book = self.factory.service("audnexus", "audnexus").book(self.asin)
            except NotFound as e:
                if self.request.asin:
                    raise
                # An ASIN read from the folder name may be wrong: the flags can still do.
                self.ui.warn(f"the ASIN {self.asin} in the folder name: {e.message}; "
                             "continuing without Audnexus metadata")
                self.asin, book = None, None
            if book is not None:
                book_fields = fields_from_book(book, render_description)
                self.mam_description = book_fields.get("description")
        self.mam_description = given.get("description") or self.mam_description  # flags win
        gazelle = self.of_kind("gazelle")
        inspection = None
        if gazelle and not ("format" in given and "bitrate" in given):
            from mktint.audio.inspect import inspect_path

            inspection = inspect_path(self.source)
        for name in gazelle:
            flavour = self.factory.service(name, "gazelle").flavour
            fields, problems = build_fields(flavour, book=book_fields, given=given,
                                            inspection=inspection)
            self.fields[name] = _fields_dict(fields)
            self.audio_problems[name] = problems

    def _load_metadata(self) -> None:
        recorded = self.journal.result("metadata")
        self.fields = recorded.get("fields", {})
        self.asin = recorded.get("asin")
        self.mam_description = recorded.get("mam_description")
        given = _jsonable(self.request.given)
        asin = self.request.asin.upper() if self.request.asin else self.asin
        if recorded.get("given", given) != given or asin != self.asin:
            self.ui.warn("the torrents are made: the metadata recorded in the journal is used, "
                         "the flags of this run are ignored")

    def upload_fields(self, name: str):
        from mktint.workflows.gazelle_upload import UploadFields

        return UploadFields(**self.fields[name])

    # -- 2. preflight ----------------------------------------------------------------------

    def _preflight(self):
        self.ui.step("preflight: " + ", ".join(self.targets) + f", client {self.client_name}")
        problems, specs, plan = preflight(self)
        raise_preflight(problems)
        return specs, plan

    # -- 3. torrents -----------------------------------------------------------------------

    def _torrent_path(self, name: str, plan_name: str) -> Path:
        if self.kinds[name] == "mam":
            from mktint.workflows.mam_bundle import bundle_folder

            return bundle_folder(self.source, self.out_dir) / f"{self.source.name}.torrent"
        return self.out_dir / f"{plan_name}.{name}.torrent"

    def _make_torrents(self, specs: list, plan) -> None:
        from mktint.core import paths
        from mktint.torrent.create import create

        self.ui.step(f"hashing {plan.name} once for {', '.join(self.targets)}")
        if self.journal is not None:
            self.journal.start("torrents")
        with self.ui.hashing(plan.total_size) as advance:
            created = create(plan, specs, progress=advance)
        recorded = {}
        for made in created:
            name = made.spec.target
            entry = {"infohash": made.infohash, "data": made.data, "path": None}
            if not self.dry_run:
                path = self._torrent_path(name, plan.name)
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

    # -- 4. uploads ------------------------------------------------------------------------

    def _upload(self, name: str) -> None:
        from mktint.workflows import gazelle_upload

        step = f"upload:{name}"
        journal = self.journal
        torrent = self.torrents[name]
        if journal is not None and journal.is_done(step):
            self._upload_result(name, journal.result(step))
            self.ui.step(f"upload to {name}: done before ({journal.result(step).get('url')})")
            return
        client = self.factory.service(name, "gazelle")
        if journal is not None and journal.status(step) is not None:
            self.ui.step(f"upload to {name}: the last run was cut off; looking the torrent up")
            found = client.find_by_infohash(torrent["infohash"])
            if found:
                tid = (found.get("torrent") or {}).get("id")
                gid = (found.get("group") or {}).get("id")
                result = {"torrent_id": tid, "group_id": gid, "url": client.torrent_url(tid, gid),
                          "infohash": torrent["infohash"], "local_infohash": torrent["infohash"],
                          "dry_run": False, "rewritten": False, "recovered": True,
                          "seed_torrent": torrent["path"], "warnings": []}
                self._check_seed_copy(client, name, result)
                journal.finish(step, **result)
                self._upload_result(name, result)
                self.ui.step(f"upload to {name}: it had landed ({result['url']})")
                return
        self.ui.step(f"upload to {name}" + (" (dry run)" if self.dry_run else ""))
        if journal is not None:
            journal.start(step, infohash=torrent["infohash"])
        outcome = gazelle_upload.upload(client, torrent["data"], self.upload_fields(name),
                                        dry_run=self.dry_run,
                                        filename=f"{self.source.name}.torrent")
        result = outcome.to_dict()
        result["seed_torrent"] = None if self.dry_run or outcome.rewritten else torrent["path"]
        if outcome.site_torrent is not None:
            result["seed_torrent"] = str(self._save_site_copy(name, outcome.site_torrent))
        for warning in outcome.warnings:
            self.ui.warn(f"{name}: {warning}")
        if journal is not None:
            journal.finish(step, **result)
        self._upload_result(name, result)
        if not self.dry_run:
            self.ui.step(f"upload to {name}: {outcome.url}")

    def _check_seed_copy(self, client, name: str, result: dict) -> None:
        """After a recovered upload: seed the site's copy if its infohash differs."""
        from mktint.torrent.metainfo import Metainfo

        site = client.torrent(id=result["torrent_id"])
        site_hash = str((site.get("torrent") or {}).get("infoHash") or "").lower()
        if site_hash and site_hash != result["local_infohash"]:
            data = client.download(result["torrent_id"])
            result.update(rewritten=True, infohash=Metainfo.parse(data).infohash,
                          seed_torrent=str(self._save_site_copy(name, data)))

    def _save_site_copy(self, name: str, data: bytes) -> Path:
        from mktint.core import paths

        local = Path(self.torrents[name]["path"])
        path = local.with_name(f"{local.stem}.site.torrent")
        paths.atomic_write(path, data, mode=0o600)
        return path

    def _upload_result(self, name: str, result: dict) -> None:
        shown = {k: v for k, v in result.items() if k != "seed_torrent"}
        self.results[name]["upload"] = shown
        if result.get("seed_torrent"):
            self.results[name].update(torrent=result["seed_torrent"], infohash=result["infohash"])

    # -- 5. the client ---------------------------------------------------------------------

    def _add_gazelle(self, name: str) -> None:
        upload = self.journal.result(f"upload:{name}")
        seed = upload.get("seed_torrent")
        if not seed:  # rewritten by the site, and its copy could not be fetched then
            client = self.factory.service(name, "gazelle")
            seed = str(self._save_site_copy(name, client.download(upload["torrent_id"])))
            self.journal.finish(f"upload:{name}", **{**upload, "seed_torrent": seed})
            self._upload_result(name, {**upload, "seed_torrent": seed})
        # The site's copy has the same pieces, but only our own torrent skips the check.
        self._add(name, Path(seed), stopped=False, tags=[],
                  skip_check=not upload.get("rewritten"))

    def _add(self, name: str, torrent: Path, *, stopped: bool, tags: list[str],
             skip_check: bool) -> None:
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
        if not stopped:  # added is not seeding: wait until the client reports it complete
            from mktint.services.qbittorrent.seeding import wait_seeding

            self.ui.step(f"{self.client_name}: waiting until the {name} torrent seeds")
            wait_seeding(qb, added.infohash, recheck_failed=added.status == "exists")
        result = {"service": self.client_name, "status": added.status, "infohash": added.infohash,
                  "save_path": str(self.source.parent), "stopped": stopped, "tags": tags}
        self.journal.finish(step, **result)
        self.results[name]["client"] = result

    # -- 6. MAM ----------------------------------------------------------------------------

    def _bundle(self, name: str) -> None:
        from mktint.workflows import mam_bundle

        step = f"bundle:{name}"
        torrent = self.torrents[name]
        if not self.journal.is_done(step):
            self.ui.step(f"{name}: writing the upload bundle")
            folder = Path(torrent["path"]).parent
            bundle = mam_bundle.write_bundle(folder, self.source, Path(torrent["path"]),
                                             torrent["infohash"], self.mam_description,
                                             mam_bundle.upload_url(self.factory, name), self.asin)
            self.journal.finish(step, **bundle.to_dict())
        self.results[name]["bundle"] = self.journal.result(step)

    def _add_mam(self, name: str) -> None:
        self._add(name, Path(self.torrents[name]["path"]), stopped=True,
                  tags=[MAM_PENDING_TAG], skip_check=True)


def _jsonable(values: dict) -> dict:
    import json

    return json.loads(json.dumps(values))


def _fields_dict(fields) -> dict:
    from dataclasses import asdict

    return asdict(fields)


# -- preflight -----------------------------------------------------------------------------

def preflight(run: _Publish):
    """Every problem of every target, found before hashing: ``(problems, specs, plan)``."""
    from mktint.torrent.create import scan, skipped_warning
    from mktint.workflows import gazelle_upload, mam_bundle, targets

    problems: list[PreflightProblem] = []

    def failed(target: str, error: MktintError) -> None:
        problems.append(PreflightProblem(target, error.message, type(error)))

    plan = None
    try:
        plan = scan(run.source)
        if skipped_warning(plan):
            run.ui.warn(skipped_warning(plan))
        if run.request.exclude_refused:
            plan, left_out = targets.exclude_refused(run.factory, run.of_kind("gazelle"), plan)
            if left_out:
                run.ui.warn(f"left out {len(left_out)} file(s) the tracker(s) refuse: "
                            + ", ".join(left_out))
    except MktintError as e:
        failed("data", e)
    specs = []
    for name in run.targets:
        if run.kinds[name] == "gazelle":
            client = run.factory.service(name, "gazelle")
            fields = run.upload_fields(name)
            for p in run.audio_problems.get(name, []) + gazelle_upload.form_problems(client, fields):
                problems.append(PreflightProblem(
                    name, str(p), UsageError if p.kind == gazelle_upload.USAGE else OperationFailed))
            if plan is not None:
                problems += [PreflightProblem(name, p.split(": ", 1)[1])
                             for p in targets.preflight(run.factory, name, plan, fields.category)]
            if not run.factory.credentials.get(name, "API_KEY"):
                problems.append(PreflightProblem(
                    name, f"no API key stored (run: mktint auth login {name})", MissingCredential))
                continue  # the announce passkey would be fetched with the key
        elif not run.dry_run and run.journal.status("torrents") is None:
            try:
                mam_bundle.check_bundle_folder(run.source, run.out_dir)
            except MktintError as e:
                failed(name, e)
        try:
            specs.append(targets.resolve_target(run.factory, name))
        except MktintError as e:
            failed(name, e)
    try:
        run.factory.service(run.client_name, "qbittorrent").version_info()
    except MktintError as e:
        failed(f"client {run.client_name}", e)
    return problems, specs, plan


def raise_preflight(problems: list[PreflightProblem]) -> None:
    """Nothing, or one error listing every problem; its class (exit code) is the most telling."""
    if not problems:
        return
    kind = next(cls for cls in _SEVERITY if any(issubclass(p.error, cls) for p in problems))
    text = "\n".join(f"  {p}" for p in problems)
    raise kind(f"cannot publish, {len(problems)} problem{'s' if len(problems) > 1 else ''} "
               f"(nothing was hashed or uploaded):\n{text}",
               details={"problems": [{"target": p.target, "message": p.message,
                                      "code": p.error.code} for p in problems]},
               hint="fix them and run the command again")
