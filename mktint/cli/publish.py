"""`mktint publish`: from a folder to seeding uploads, in one resumable command (thin CLI)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from mktint.cli.options import complete_service_names, json_option, pass_state
from mktint.cli.render import snake_keys
from mktint.cli.state import AppState
from mktint.cli.upload_options import (accept_option, exclude_refused_option, given_fields, pop_options,
                                       upload_metadata_options)
from mktint.core.kinds import tracker_kinds


@click.command(short_help="From a folder to a seeding upload, in one command.")
@click.argument("path", type=click.Path(exists=True, readable=False, path_type=Path))
@click.option("--to", "targets", multiple=True, required=True, metavar="TRACKER",
              shell_complete=complete_service_names(tracker_kinds()),
              help="A tracker service to publish to (red, ops, mam); repeat for several.")
@click.option("--client", metavar="NAME", shell_complete=complete_service_names(("qbittorrent",)),
              help="qBittorrent service to seed from (default: [defaults] client).")
@upload_metadata_options
@click.option("-o", "--output", "--output-dir", "output_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Where the .torrent files go (default: [defaults] output_dir, else the "
                   "state folder next to the journal).")
@click.option("--dry-run", is_flag=True,
              help="Every check, and a dry-run upload where the site has one (RED; OPS is not "
                   "asked); writes and uploads nothing.")
@exclude_refused_option
@accept_option
@click.option("-y", "--yes", is_flag=True, help="Publish without asking for confirmation.")
@json_option
@pass_state
def publish(state: AppState, path: Path, targets: tuple[str, ...], client: str | None,
            output_dir: Path | None, dry_run: bool, exclude_refused: bool,
            accept: tuple[str, ...], yes: bool, **options) -> None:
    """Publish PATH: metadata, preflight, one hashing pass, uploads, seeding.

    Steps: metadata (Audnexus by --asin or the ASIN in the folder name; flags override;
    format and bitrate read from the audio files) → preflight of every target, all
    problems at once, before hashing → one hashing pass for all targets → the preview of
    each target (the form as it will be sent, where each value came from, the torrent's
    files, piece size and infohash) → the confirmation → upload to each Gazelle target →
    add to qBittorrent (save path: PATH's parent, no recheck) → MAM targets: the upload
    bundle, added to the client stopped with the tag mam-pending. A dry run shows the
    same preview.

    It stops before hashing (exit 1) when the book is in doubt: the Audnexus book, the
    audio tags and the folder name disagree on the title, author or year; the audio runs
    more than 3 minutes or 2 % away from Audnexus' runtime; audio files cannot be read;
    --format/--bitrate contradict the files. --title settles title and author, --year the
    year; --accept FIELD lets a doubt through.

    A journal in the state folder records each finished step: after a failure, run the
    same command again to resume. A finished upload is never repeated.

    \b
    Examples:
      mktint publish "/data/Andy Weir - Project Hail Mary {ASIN.B08G9PRS1K}" --to red --dry-run
      mktint publish ./Book --to red --to mam --asin B08G9PRS1K --yes
      mktint publish ./Book --to ops --tags science.fiction --yes --json | jq -r '.targets[].upload.url'
    """
    from mktint.workflows.publish import PublishRequest, publish as run_publish

    metadata = pop_options(options)
    request = PublishRequest(path=path, targets=list(targets), asin=metadata["asin"],
                             client=client, given=given_fields(metadata),
                             output_dir=output_dir, dry_run=dry_run,
                             exclude_refused=exclude_refused, accept=frozenset(accept))
    result = snake_keys(run_publish(state.factory, request, _Reporter(state, yes)))
    out = state.output
    out.emit(result, lambda: _human(out, result))


class _Reporter:
    """Progress per step on stderr; the hashing bar; the confirmation question."""

    def __init__(self, state: AppState, yes: bool):
        self.out = state.output
        self.yes = yes

    def step(self, text: str) -> None:
        self.out.info(f"publish: {text}")

    def warn(self, text: str) -> None:
        self.out.warn(text)

    @contextlib.contextmanager
    def hashing(self, total: int):
        with self.out.progress("Hashing", total) as bar:
            yield bar.advance

    def preview(self, targets: list[dict]) -> None:
        if not self.out.json:  # the JSON result carries the preview
            from mktint.cli.upload_preview import show_previews

            show_previews(self.out, targets)

    def confirm(self, question: str) -> bool:
        return self.out.confirm(question, assume_yes=self.yes)


def _human(out, result: dict) -> None:
    for target in result["targets"]:
        upload, client, bundle = target["upload"], target["client"], target["bundle"]
        rows = [("target", target["name"]), ("torrent", target["torrent"]),
                ("infohash", out.hash(target["infohash"]))]
        if upload:
            rows.append(("upload", upload.get("url") if not upload.get("dry_run")
                         else "dry run accepted by the site" if upload.get("server_checked")
                         else "checked locally (the site has no dry run; not asked)"))
        if bundle:
            rows.append(("bundle", bundle.get("folder")))
        if client:
            rows.append(("client", f"{client['service']}: {client['status']}"
                         + (" (stopped, tags " + ",".join(client["tags"]) + ")" if client["stopped"] else "")))
        out.record(rows)
        if client and client["stopped"]:
            out.info(f"{target['name']}: upload by hand (see {bundle['instructions']}), then "
                     f"start seeding: mktint qbit start {out.hash(target['infohash'], err=True)}")
        out.line()
    if result["dry_run"]:
        out.success("dry run: every check passed; nothing was written or uploaded")
    else:
        out.success(f"published; journal: {result['journal']}")
