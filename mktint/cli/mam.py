"""`mktint mam`: status, seedbox, prepare. MAM has no upload API: nothing is ever submitted."""

from __future__ import annotations

import click

from mktint.cli.options import json_option, pass_state, service_option
from mktint.cli.render import renamed
from mktint.cli.state import AppState


@click.group()
def mam() -> None:
    """MyAnonamouse: account status, seedbox IP, manual-upload bundles.

    \b
    Needs the mam_id cookie (Preferences → Security on the site):
      mktint auth login mam --secret MAM_ID

    \b
    Examples:
      mktint mam status
      mktint mam seedbox
      mktint mam prepare "/data/Book (2020)" --asin B08G9PRS1K -o ~/mam
    """


def _client(state: AppState, name: str):
    return state.factory.service(name, "mam")


@mam.command()
@service_option("mam", "mam")
@json_option
@pass_state
def status(state: AppState, service_name: str) -> None:
    """Show your account: class, ratio, traffic, bonus.

    Fields: user name, class, ratio, uploaded/downloaded (bytes in JSON), seed bonus.

    \b
    Examples:
      mktint mam status
      mktint mam status --json | jq .ratio
    """
    from mktint.core.units import human_size

    result = _client(state, service_name).status()
    data = renamed(result.to_dict(), uid="user_id")
    state.output.emit(data, lambda: state.output.record([
        ("username", result.username),
        ("class", result.user_class),
        ("ratio", result.ratio if result.ratio is not None else result.ratio_raw),
        ("uploaded", human_size(result.uploaded) if state.output.stdout_is_tty else result.uploaded),
        ("downloaded", human_size(result.downloaded) if state.output.stdout_is_tty else result.downloaded),
        ("seed bonus", result.seedbonus),
    ]))


@mam.command()
@service_option("mam", "mam")
@json_option
@pass_state
def seedbox(state: AppState, service_name: str) -> None:
    """Register this machine's IP as your seedbox.

    MAM allows one change an hour. Exits 7 with the wait when MAM says the last change was too recent.

    \b
    Examples:
      mktint mam seedbox
      mktint mam seedbox --json     # from cron on the seedbox, when its IP changes
    """
    result = _client(state, service_name).register_seedbox()
    out = state.output
    out.emit(result.to_dict(), lambda: out.line(
        f"seedbox IP {'registered' if result.changed else 'unchanged'}: {result.ip} ({result.message})"))


@mam.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("--asin", metavar="ASIN", help="Render description.txt from this book's Audnexus metadata "
                                             "(default: the ASIN in PATH's name, e.g. {ASIN.B08G9PRS1K}).")
@click.option("-o", "--output", "--output-dir", "output_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Where the bundle folder goes (default: [defaults] output_dir, else here).")
@click.option("--force", is_flag=True, help="Replace the files of an existing bundle folder.")
@service_option("mam", "mam")
@json_option
@pass_state
def prepare(state: AppState, path: str, asin: str | None, output_dir: str | None, force: bool,
            service_name: str) -> None:
    """Build the torrent and a manual-upload bundle.

    Nothing is submitted: MAM has no upload API. The bundle folder (PATH's name + ".mam-upload") holds the .torrent, description.txt
    (with --asin, or an ASIN in PATH's name as `book show` reads it) and UPLOAD.txt saying what to paste where on MAM's upload page.

    \b
    Examples:
      mktint mam prepare "/data/Author - Title" --asin B08G9PRS1K
      mktint mam prepare book.m4b -o ~/uploads --json
    """
    from pathlib import Path

    from mktint.workflows.mam_bundle import build_bundle

    out = state.output
    target_dir = output_dir or state.factory.config.defaults.get("output_dir") or "."
    bundle = build_bundle(state.factory, Path(path), output_dir=Path(target_dir).expanduser(),
                          asin=asin, force=force, service=service_name)
    for warning in bundle.warnings:
        out.warn(warning)
    out.emit(bundle.to_dict(), lambda: (
        out.line(str(bundle.folder)),
        out.info(f"torrent {bundle.torrent.name} (infohash {bundle.infohash})"),
        out.info(f"upload by hand at {bundle.upload_url}: see {bundle.instructions}"),
    ))
