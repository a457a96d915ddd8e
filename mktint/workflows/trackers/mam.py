"""MyAnonamouse as a tracker target: no upload API (its rules forbid scripting the upload
form), so publishing means the manual-upload bundle (:mod:`mktint.workflows.mam_bundle`)
and the torrent added to the client stopped, tagged ``mam-pending``."""

from __future__ import annotations

from pathlib import Path

from mktint.core.errors import MktintError
from mktint.workflows.trackers.base import Problem, Tracker

PENDING_TAG = "mam-pending"


class MamTracker(Tracker):

    def prepare(self, run, book: dict) -> dict:
        # The description of the bundle: the flag wins over Audnexus.
        return {"description": run.request.given.get("description") or book.get("description")}

    def action(self, dry_run: bool) -> str:
        if dry_run:
            return "dry run: no bundle is written and nothing is added to the client"
        return (f"write the manual-upload bundle; add the torrent to the client stopped, "
                f"tagged {PENDING_TAG}")

    def preview_fields(self, run) -> dict[str, dict]:
        from mktint.workflows.preview import value

        description = run.metadata[self.name].get("description")
        return {"description": value(description, "flag" if "description" in run.request.given
                                     else "audnexus")}

    def preflight(self, run) -> list[Problem]:
        from mktint.workflows import mam_bundle

        if run.dry_run or run.journal.status("torrents") is not None:
            return []
        try:
            mam_bundle.check_bundle_folder(run.source, run.out_dir)
        except MktintError as e:
            return [Problem.of(e, self.name)]
        return []

    def torrent_path(self, run, plan_name: str) -> Path:
        from mktint.workflows.mam_bundle import bundle_folder

        return bundle_folder(run.source, run.out_dir) / f"{run.source.name}.torrent"

    def publish_one(self, run) -> None:
        from mktint.workflows import mam_bundle

        step = f"bundle:{self.name}"
        torrent = run.torrents[self.name]
        with run.step(step):
            if not run.journal.is_done(step):
                run.ui.step(f"{self.name}: writing the upload bundle")
                path = Path(torrent["path"])
                bundle = mam_bundle.write_bundle(
                    path.parent, run.source, path, torrent["infohash"],
                    run.metadata[self.name].get("description"),
                    mam_bundle.upload_url(self.factory, self.name), run.asin)
                run.journal.finish(step, **bundle.to_dict())
            run.results[self.name]["bundle"] = run.journal.result(step)
        with run.step(f"client:{self.name}"):
            run.add_to_client(self.name, Path(torrent["path"]), stopped=True,
                              tags=[PENDING_TAG], skip_check=True)
