"""A test-only tracker kind: the one module a new tracker kind takes (#19).

Registered with one line (``Kind(..., tracker="tests.publish.fake_tracker:FakeTracker")``)
and driven end to end by ``mktint publish``: its metadata is journaled, its torrent made in
the one hashing pass, its "upload" is a receipt file, and it is added to the client.
"""

from __future__ import annotations

import json
from pathlib import Path

from mktint.core.kinds import Field, Kind
from mktint.workflows.trackers.base import Problem, Tracker


class FakeClient:
    """The kind's service client (publish never needs one here)."""

    def __init__(self, config, credentials):
        self.config = config

    def close(self) -> None:
        pass


class FakeTracker(Tracker):
    default_source = "FAKE"

    def prepare(self, run, book: dict) -> dict:
        return {"title": run.request.given.get("title") or book.get("title")}

    def preflight(self, run) -> list[Problem]:
        if not run.metadata[self.name].get("title"):
            return [Problem("--title", "the fake tracker needs a title", target=self.name)]
        return []

    def publish_one(self, run) -> None:
        step = f"upload:{self.name}"
        torrent = run.torrents[self.name]
        with run.step(step):
            if not run.journal.is_done(step):
                receipt = Path(torrent["path"]).with_suffix(".receipt.json")
                receipt.write_text(json.dumps({"title": run.metadata[self.name]["title"],
                                               "infohash": torrent["infohash"]}))
                run.journal.finish(step, receipt=str(receipt), infohash=torrent["infohash"])
            run.set_upload(self.name, run.journal.result(step))
        with run.step(f"client:{self.name}"):
            run.add_to_client(self.name, Path(torrent["path"]), stopped=True, tags=["fake"],
                              skip_check=True)


KIND = Kind(name="fake", client="tests.publish.fake_tracker:FakeClient",
            fields={"announce": Field("str", "announce URL")}, secrets=(),
            description="a test-only tracker", tracker="tests.publish.fake_tracker:FakeTracker")
