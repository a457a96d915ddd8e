"""The MAM upload bundle: everything a person needs to upload by hand, in one folder.

MAM has no upload API and forbids scripting its upload form, so mktint stops at a folder:

- ``<name>.torrent`` — built for the ``mam`` target (private, ``source = "MAM"`` unless
  configured otherwise, the announce URL from the config);
- ``description.txt`` — rendered from Audnexus metadata when an ASIN is given, or found in
  the source's name as ``book show`` and ``publish`` find it (``{ASIN.B0…}``, ``[B0…]``);
- ``UPLOAD.txt`` — what to paste where, and the upload page's URL.

Nothing is submitted. All network work and hashing happen before the first file is written,
and each file is written atomically, so a failure never leaves a half-made bundle behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mktint.core import paths
from mktint.core.asin import find_asin, validate_asin
from mktint.core.errors import Conflict, NotFound, UsageError

UPLOAD_PATH = "/tor/upload.php"
DESCRIPTION_FILE = "description.txt"
INSTRUCTIONS_FILE = "UPLOAD.txt"


@dataclass
class Bundle:
    folder: Path
    torrent: Path
    infohash: str
    description: Path | None
    instructions: Path
    upload_url: str
    asin: str | None
    warnings: tuple[str, ...] = ()  # for the person: not part of the JSON answer

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "torrent": str(self.torrent), "infohash": self.infohash,
                "description": str(self.description) if self.description else None,
                "instructions": str(self.instructions), "upload_url": self.upload_url,
                "asin": self.asin}


def bundle_folder(source: Path, output_dir: Path) -> Path:
    return output_dir / f"{source.name}.mam-upload"


def upload_url(factory, service: str = "mam") -> str:
    return factory.service_config(service, "mam")["url"].rstrip("/") + UPLOAD_PATH


def check_bundle_folder(source: Path, output_dir: Path, *, force: bool = False) -> Path:
    """The bundle folder for ``source``; Conflict if it exists (unless ``force``)."""
    folder = bundle_folder(source, Path(output_dir))
    if folder.exists() and not force:
        raise Conflict(f"{folder} already exists", hint="pass --force to replace its files")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    return folder


def build_bundle(factory, source: Path, *, output_dir: Path, asin: str | None = None,
                 force: bool = False, progress=None, service: str = "mam") -> Bundle:
    """Build the torrent and the bundle folder for ``source`` (a file or folder)."""
    from mktint.torrent.create import create, scan

    source = Path(source)
    if not source.exists():
        raise NotFound(f"{source} does not exist")
    named = asin is None
    asin = validate_asin(asin) if asin else find_asin(source.resolve().name)
    folder = check_bundle_folder(source, output_dir, force=force)
    url = upload_url(factory, service)
    spec = factory.tracker(service).spec()  # a missing announce or passkey fails before hashing
    description, warnings = None, ()
    if asin:
        from mktint.workflows.description import render_description

        try:
            book = factory.service("audnexus", "audnexus").book(asin)
        except NotFound as e:
            if not named:
                raise
            # An ASIN read from the name may be wrong: the bundle is still worth making.
            warnings = (f"the ASIN {asin} in the name: {e.message}; no description.txt",)
            asin, book = None, None
        description = render_description(book) if book else None
    plan = scan(source)
    created = create(plan, [spec], progress=progress)[0]
    torrent = write_torrent(folder, source, created.data)
    bundle = write_bundle(folder, source, torrent, created.infohash, description, url, asin)
    bundle.warnings = warnings
    return bundle


def write_torrent(folder: Path, source: Path, data: bytes) -> Path:
    """The bundle's .torrent (the folder is made if missing), written atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    torrent = folder / f"{source.name}.torrent"
    paths.atomic_write(torrent, data, mode=0o600)  # the announce URL is personal
    return torrent


def write_bundle(folder: Path, source: Path, torrent: Path, infohash: str,
                 description: str | None, url: str, asin: str | None) -> Bundle:
    """description.txt (or none) and UPLOAD.txt next to an already written ``torrent``."""
    description_path = None
    if description is not None:
        description_path = folder / DESCRIPTION_FILE
        paths.atomic_write(description_path, description.rstrip("\n") + "\n")
    elif (folder / DESCRIPTION_FILE).exists():
        (folder / DESCRIPTION_FILE).unlink()  # --force without --asin: no stale description
    instructions = folder / INSTRUCTIONS_FILE
    paths.atomic_write(instructions, instructions_text(source, torrent, infohash,
                                                       description_path, url))
    return Bundle(folder, torrent, infohash, description_path, instructions, url, asin)


def instructions_text(source: Path, torrent: Path, infohash: str, description: Path | None,
                      url: str) -> str:
    steps = [
        f"Open the upload page, logged in: {url}",
        f"Torrent file: choose {torrent.name} from this folder.",
    ]
    if description is not None:
        steps.append(f"Description: paste the whole of {description.name} into the description box.")
    else:
        steps.append("Description: write one (run `mktint mam prepare --asin ASIN` to have one "
                     "rendered from Audnexus).")
    steps += [
        "Fill in title, author(s), narrator(s), series, category and language on the form.",
        "Submit. Seed from the data folder below; if the torrent MAM serves has another "
        "infohash than the one below, seed MAM's copy instead.",
    ]
    lines = [
        f"MAM upload bundle for: {source.name}",
        "",
        "Nothing has been uploaded: MAM has no upload API and its rules forbid scripting the",
        "upload form. Upload by hand:",
        "",
        *(f"  {n}. {step}" for n, step in enumerate(steps, start=1)),
        "",
        f"Data:     {source.resolve()}",
        f"Infohash: {infohash} (private, source MAM)",
    ]
    return "\n".join(lines) + "\n"
