"""A Gazelle tracker (RED, OPS, or any site of a known flavour): the one place that knows
what creating, checking, uploading and publishing to a Gazelle site means.

``torrent create --target``, ``red upload`` and ``publish`` all come here; the protocol is
:class:`mktint.services.gazelle.GazelleClient`, the safe upload procedure
:mod:`mktint.workflows.gazelle_upload`, the site's facts :mod:`mktint.core.sites`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from mktint.core.errors import MissingCredential, MktintError
from mktint.core.sites import Site, refused_files
from mktint.workflows.trackers.base import Problem, Tracker


def site_copy_path(local: Path, service: str) -> Path:
    """Where the site's copy of ``local`` is saved when the site rewrote the torrent:
    ``NAME.SERVICE.site.torrent`` next to it (``NAME.SERVICE.torrent`` → the same NAME),
    for ``red upload`` and ``publish`` alike."""
    stem = local.stem
    if stem.endswith(f".{service}"):
        stem = stem[: -len(service) - 1]
    return local.with_name(f"{stem}.{service}.site.torrent")


# The form's fields in the preview's order; those the audio files give when no flag does.
_PREVIEWED = ("category", "title", "year", "format", "bitrate", "other_bitrate", "vbr", "tags",
              "image", "description", "release_desc", "group_id", "request_id")
_AUDIO_FIELDS = ("format", "bitrate", "other_bitrate", "vbr")


class GazelleTracker(Tracker):
    def __init__(self, factory, service):
        super().__init__(factory, service)
        self.site = Site.of(service)  # a missing or unknown flavour: exit 3, listing them
        self.category = "audiobooks"  # the upload category (set by prepare in a publish)
        self._audio_problems: list[Problem] = []

    @property
    def client(self):
        return self.factory.service(self.name, "gazelle")

    @property
    def source(self) -> str:
        return self.site.source

    def fetch_passkey(self) -> str:
        return self.client.fetch_passkey()  # read once from `index`, then stored

    def refused(self, plan) -> list:
        return refused_files(self.site.flavour, self.category, plan.name,
                             [f.parts for f in plan.files])

    def plan_problems(self, plan) -> list[Problem]:
        from mktint.workflows.gazelle_upload import file_problems

        return [replace(p, field="", target=self.name) for p in
                file_problems(self.site, self.category, plan.name, [f.parts for f in plan.files])]

    # -- the upload form and the upload --------------------------------------------------------

    def upload_fields(self, book: dict, given: dict, data: Path | None, *, inspection=None,
                      accept: frozenset[str] = frozenset()):
        """UploadFields from the book's fields, the flags ``given`` and (for format and
        bitrate not given) the audio files in ``data`` (or their ``inspection``); and the
        problems: why the audio could not tell, or how it contradicts the flags."""
        from mktint.workflows.gazelle_upload import build_fields
        from mktint.workflows.preview import audio_flag_doubts

        if inspection is None and data is not None:
            from mktint.audio.inspect import inspect_path

            try:
                inspection = inspect_path(data)
            except MktintError:
                if not ("format" in given and "bitrate" in given):
                    raise  # nothing else can tell the format
        fields, problems = build_fields(self.site.flavour.name, book=book, given=given,
                                        inspection=inspection)
        self.category = fields.category
        problems = [p.at(self.name) for p in problems]
        return fields, problems + audio_flag_doubts(inspection, self.site.flavour.name, given,
                                                    accept, self.name)

    def form_preview(self, fields, given: dict) -> dict[str, dict]:
        """The form as it will be sent, each value with its source: a flag, the audio files
        (format and bitrate not given) or Audnexus (the rest, see ``build_fields``)."""
        from mktint.workflows.preview import value

        def source(name: str) -> str:
            if name == "category":
                return "flag" if given.get(name, "audiobooks") != "audiobooks" else "default"
            if name in given:
                return "flag"
            return "audio_files" if name in _AUDIO_FIELDS else "audnexus"

        return {name: value(getattr(fields, name) or None, source(name)) for name in _PREVIEWED}

    def upload(self, torrent: bytes, fields, *, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None, filename: str):
        """The safe upload (preflight, duplicate check, once, recovery, the site's copy)."""
        from mktint.workflows import gazelle_upload

        return gazelle_upload.upload(self.client, torrent, fields, dry_run=dry_run,
                                     progress=progress, filename=filename)

    def save_site_copy(self, local: Path, data: bytes) -> Path:
        from mktint.core import paths

        path = site_copy_path(local, self.name)
        paths.atomic_write(path, data, mode=0o600, overwrite=True)  # the announce holds the passkey
        return path

    # -- publish ------------------------------------------------------------------------------

    def prepare(self, run, book: dict) -> dict:
        from dataclasses import asdict

        fields, self._audio_problems = self.upload_fields(
            book, run.request.given, None, inspection=run.inspection,  # read once by the run
            accept=run.request.accept)
        return asdict(fields)

    def _fields(self, run):
        from mktint.workflows.gazelle_upload import UploadFields

        fields = UploadFields(**run.metadata[self.name])
        self.category = fields.category
        return fields

    def action(self, dry_run: bool) -> str:
        url = self.service.get("url")
        if not dry_run:
            return f"upload to {self.name} ({url})"
        if self.site.flavour.server_dry_run:
            return f"dry run: {self.name} ({url}) checks the form (dryrun=1); nothing is uploaded"
        return f"dry run: checked here only ({self.name} has no dry run and is not asked)"

    def preview_fields(self, run) -> dict[str, dict]:
        return self.form_preview(self._fields(run), run.request.given)

    def preflight(self, run) -> list[Problem]:
        from mktint.workflows.gazelle_upload import form_problems

        problems = self._audio_problems + [p.at(self.name) for p in
                                           form_problems(self.client, self._fields(run))]
        if not self.factory.credentials.get(self.name, "API_KEY"):
            problems.append(Problem("", f"no API key stored (run: mktint auth login {self.name})",
                                    MissingCredential, self.name))
        return problems

    def dry_run_one(self, run) -> None:
        outcome = self.upload(run.torrents[self.name]["data"], self._fields(run), dry_run=True,
                              filename=f"{run.source.name}.torrent")
        run.set_upload(self.name, outcome.to_dict())

    def publish_one(self, run) -> None:
        with run.step(f"upload:{self.name}"):
            result = self._upload(run)
        with run.step(f"client:{self.name}"):
            seed = result.get("seed_torrent")
            if not seed:  # rewritten by the site, and its copy could not be fetched then
                seed = str(self.save_site_copy(Path(run.torrents[self.name]["path"]),
                                               self.client.download(result["torrent_id"])))
                result = {**result, "seed_torrent": seed}
                run.journal.finish(f"upload:{self.name}", **result)
                run.set_upload(self.name, result)
            # The site's copy has the same pieces, but only our own torrent skips the check.
            run.add_to_client(self.name, Path(seed), stopped=False, tags=[],
                              skip_check=not result.get("rewritten"))

    def _upload(self, run) -> dict:
        """Upload once (journaled); a step cut off before is looked up, never repeated."""
        from mktint.workflows import gazelle_upload

        step, journal, torrent = f"upload:{self.name}", run.journal, run.torrents[self.name]
        if journal.is_done(step):
            result = journal.result(step)
            run.set_upload(self.name, result)
            run.ui.step(f"upload to {self.name}: done before ({result.get('url')})")
            return result
        outcome, how = None, ""
        if journal.status(step) is not None:
            run.ui.step(f"upload to {self.name}: the last run was cut off; looking the torrent up")
            # The lost-answer look-up: local and site infohash, then the look-alike guard.
            outcome = gazelle_upload.find_landed(self.client, torrent["data"], self._fields(run),
                                                 torrent["infohash"], "the last run was cut off")
            if outcome:
                how = "it had landed "
        if outcome is None:
            run.ui.step(f"upload to {self.name}")
            journal.start(step, infohash=torrent["infohash"])
            outcome = self.upload(torrent["data"], self._fields(run),
                                  filename=f"{run.source.name}.torrent")
        result = outcome.to_dict()
        result["seed_torrent"] = None if outcome.rewritten else torrent["path"]
        if outcome.site_torrent is not None:
            result["seed_torrent"] = str(self.save_site_copy(Path(torrent["path"]),
                                                             outcome.site_torrent))
        for warning in outcome.warnings:
            run.ui.warn(f"{self.name}: {warning}")
        journal.finish(step, **result)
        run.set_upload(self.name, result)
        run.ui.step(f"upload to {self.name}: {how}{outcome.url}")
        return result
