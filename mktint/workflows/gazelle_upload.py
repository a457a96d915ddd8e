"""Uploading a .torrent to a Gazelle tracker without ever uploading twice.

The procedure (used by `mktint red upload` and by `publish`):

1. **Preflight**, before any request: every problem with the torrent and the form is
   collected and reported at once (:func:`preflight`, :func:`raise_problems`).
2. **Duplicate check**: the local infohash is looked up on the site; a hit is a
   :class:`~mktint.core.errors.Conflict` (exit 6) naming the existing torrent.
3. **Upload once**, never retried. If the connection times out or drops after the request
   went out, :func:`find_landed` looks for it (the local infohash, the site's rewritten
   one, a look-alike of the same title and size): if the torrent landed the upload
   succeeded (``recovered``), otherwise the error says what to do. A publish resumed
   after a run was cut off mid-upload makes the same look-up before uploading.
4. **Which file to seed**: if the site reports ``private``/``source`` rewritten, or its
   infohash differs from the local one, the site's copy is downloaded
   (``UploadOutcome.site_torrent``) and must be seeded instead of the local file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from mktint.core.errors import (Conflict, MktintError, OperationFailed, ProtocolError,
                                RateLimited, TemporaryError, UsageError)
from mktint.workflows.trackers.base import USAGE, Problem
from mktint.workflows.trackers.base import raise_problems as _raise
from mktint.core.sites import Site, image_problem, refused_files
from mktint.services.gazelle import CATEGORIES, category_id
from mktint.torrent.rules import long_paths

# Lengths are bytes, as PHP's strlen counts them (OPSnet/Gazelle app/Util/Validator.php,
# WhatCD classes/validate.class.php); the title's minimum is the flavour's.
TITLE_MAX = 200
TAGS_LENGTH = (2, 200)
DESCRIPTION_MIN = 10
OTHER_BITRATE_MAX = 9
_TAG = re.compile(r"^[a-z0-9][a-z0-9.]*$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
SHOWN = 10  # problems of one kind listed before "... and N more"


def _bytes(text: str | None) -> int:
    return len((text or "").strip().encode())



@dataclass
class UploadFields:
    """What the upload form says about the release (names follow the CLI flags)."""

    title: str | None = None
    year: int | None = None
    format: str | None = None
    bitrate: str | None = None
    other_bitrate: str | None = None
    vbr: bool = False
    tags: list[str] = field(default_factory=list)
    description: str | None = None  # the group description (`album_desc`)
    release_desc: str | None = None  # the torrent description
    image: str | None = None
    category: str = "audiobooks"
    group_id: int | None = None
    request_id: int | None = None

    def form(self, *, dry_run: bool = False) -> list[tuple[str, str]]:
        """The text fields of the upload form; false booleans and empty values left out."""
        pairs: list[tuple[str, Any]] = [
            ("type", category_id(self.category)),
            ("title", self.title), ("year", self.year), ("format", self.format),
            ("bitrate", self.bitrate), ("other_bitrate", self.other_bitrate),
            ("tags", ",".join(self.tags)), ("image", self.image),
            ("album_desc", self.description), ("release_desc", self.release_desc),
            ("groupid", self.group_id), ("requestid", self.request_id),
        ]
        # The server tests booleans for presence: send true ones only.
        if self.vbr:
            pairs.append(("vbr", 1))
        if dry_run:
            pairs.append(("dryrun", 1))
        return [(k, str(v)) for k, v in pairs if v not in (None, "")]


@dataclass
class UploadOutcome:
    torrent_id: int | None
    group_id: int | None
    url: str | None
    infohash: str  # the infohash to seed (the site's when it rewrote the torrent)
    dry_run: bool
    local_infohash: str = ""
    server_checked: bool = False  # a dry run the site validated (dryrun=1), not only mktint
    rewritten: bool = False  # the site changed private/source, or its infohash differs
    recovered: bool = False  # the answer was lost but the torrent is on the site
    site_torrent: bytes | None = None  # the site's copy, when it must be seeded instead
    warnings: list[str] = field(default_factory=list)
    derived: Any = None  # what the site answered (the dry run's derived information)

    def to_dict(self) -> dict:
        return {"torrent_id": self.torrent_id, "group_id": self.group_id, "url": self.url,
                "infohash": self.infohash, "dry_run": self.dry_run,
                "local_infohash": self.local_infohash, "rewritten": self.rewritten,
                "recovered": self.recovered, "warnings": self.warnings,
                "server_checked": self.server_checked if self.dry_run else None,
                "derived": self.derived if self.dry_run else None}


# -- preflight -------------------------------------------------------------------------------

def site_of(target) -> Site:
    """The :class:`~mktint.core.sites.Site` of a client or a built-in flavour name."""
    return Site.builtin(target) if isinstance(target, str) else target.site


def preflight(target, metainfo, fields: UploadFields) -> list[Problem]:
    """Every reason the site would refuse this upload, found without a request.

    ``target`` is a :class:`~mktint.services.gazelle.GazelleClient` (its configured
    source and path limit count) or a flavour name (``"red"``/``"ops"``).
    """
    site = site_of(target)
    problems = [*_torrent_problems(metainfo, site, fields.category)]
    problems += _form_problems(fields, site)
    return problems


def form_problems(target, fields: UploadFields) -> list[Problem]:
    """The form rules of :func:`preflight` alone (for checks made before a torrent exists)."""
    return _form_problems(fields, site_of(target))


def file_problems(site: Site, category: str, name: str, files) -> list[Problem]:
    """The site's file checker and path rule for a torrent named ``name`` holding ``files``
    (path parts per file, ``()`` for a single file), every refused file named."""
    problems = []
    refused = refused_files(site.flavour, _category_key(category), name, files)
    for r in refused[:SHOWN]:
        problems.append(Problem("torrent", f"{site.name} refuses {r.path}: {r.reason}", OperationFailed))
    if len(refused) > SHOWN:
        problems.append(Problem("torrent", f"... and {len(refused) - SHOWN} more files "
                                f"{site.name} refuses", OperationFailed))
    too_long = long_paths(name, files, site.path_limit)
    for path in too_long[:SHOWN]:
        problems.append(Problem("torrent", f"path counts {path.length} characters, more than "
                                f"{site.path_limit} on {site.name}: {path.path}", OperationFailed))
    if len(too_long) > SHOWN:
        problems.append(Problem("torrent", f"... and {len(too_long) - SHOWN} more paths longer "
                                f"than {site.path_limit} characters", OperationFailed))
    return problems


def _category_key(category: str) -> str:
    try:
        number = category_id(category)
    except UsageError:
        return category
    return next(k for k, v in CATEGORIES.items() if v == number)


def build_fields(flavour: str, *, book: dict | None = None, given: dict | None = None,
                 inspection=None) -> tuple[UploadFields, list[Problem]]:
    """UploadFields from Audnexus values, overridden by the flags ``given``; format and
    bitrate not given are read from ``inspection`` (a :class:`mktint.audio.inspect.Inspection`
    of the data) for this flavour. Returns the fields and why the audio could not tell."""
    given = given or {}
    values = {**(book or {}), **given}
    problems: list[Problem] = []
    if inspection is not None and not ("format" in given and "bitrate" in given):
        audio = inspection.upload_values(flavour)
        if "error" in audio:
            problems.append(Problem("--format", f"not given and not readable from the audio "
                                    f"files ({audio['error']}); give --format and --bitrate"))
        else:
            values.setdefault("format", audio["format"])
            if "bitrate" not in given:
                values["bitrate"] = audio["bitrate"]
                if audio["bitrate"] == "Other":
                    values.setdefault("other_bitrate", audio["other_bitrate"])
                    if audio["vbr"]:
                        values.setdefault("vbr", True)
    return UploadFields(**values), problems


def _torrent_problems(meta, site: Site, category: str) -> list[Problem]:
    problems = []
    if not meta.is_v1_only:
        problems.append(Problem("torrent", "is a v2 or hybrid torrent; Gazelle trackers accept "
                                "v1 torrents only (recreate it with `mktint torrent create`)", OperationFailed))
    if not meta.private:
        problems.append(Problem("torrent", "is not private (info.private must be 1)", OperationFailed))
    if meta.source != site.source:
        found = repr(meta.source) if meta.source else "missing"
        problems.append(Problem("torrent", f"info.source is {found}; {site.name} needs "
                                f"{site.source!r} (recreate it with --source {site.source})", OperationFailed))
    problems += file_problems(site, category, meta.name, [f.parts for f in meta.files])
    return problems


def _form_problems(f: UploadFields, site: Site) -> list[Problem]:
    flavour = site.flavour
    problems = []

    def bad(name: str, message: str) -> None:
        problems.append(Problem(name, message))

    try:
        category_id(f.category)
    except UsageError:
        bad("--category", f"{f.category!r} is not a category; allowed: " + ", ".join(CATEGORIES))
    title_min = flavour.title_min
    if not f.title or not title_min <= _bytes(f.title) <= TITLE_MAX:
        bad("--title", f"is required, {title_min}–{TITLE_MAX} bytes"
            + (f" (got {_bytes(f.title)})" if f.title else "") + "; by convention \"Author - Title\"")
    this_year = dt.date.today().year
    if f.year is None:
        bad("--year", "is required")
    elif not 1000 <= f.year <= this_year + 1:
        bad("--year", f"{f.year} is not a plausible year (1000–{this_year + 1})")
    if f.format not in flavour.formats:
        bad("--format", (f"{f.format!r} is not allowed" if f.format else "is required")
            + f"; {site.name} allows: " + ", ".join(flavour.formats))
    if f.bitrate not in flavour.bitrates:
        hint = ""
        if f.bitrate and f.bitrate.isdigit():
            hint = f" (for {f.bitrate} kbps use --bitrate Other --other-bitrate {f.bitrate})"
        bad("--bitrate", (f"{f.bitrate!r} is not allowed" if f.bitrate else "is required")
            + f" on {site.name}{hint}; allowed: " + ", ".join(flavour.bitrates))
    elif f.bitrate == "Other":
        if not f.other_bitrate:
            bad("--other-bitrate", "is required with --bitrate Other (e.g. 64)")
        elif _bytes(f.other_bitrate) > OTHER_BITRATE_MAX:
            bad("--other-bitrate", f"{f.other_bitrate!r} is longer than {OTHER_BITRATE_MAX} bytes")
    if f.bitrate != "Other":
        if f.other_bitrate:
            bad("--other-bitrate", "is only allowed with --bitrate Other")
        if f.vbr:
            bad("--vbr", "is only allowed with --bitrate Other")
    tags = ",".join(f.tags)
    if not f.tags:
        bad("--tags", "at least one tag is required (e.g. --tags fantasy,audiobook)")
    else:
        wrong = [t for t in f.tags if not _TAG.match(t)]
        if wrong:
            bad("--tags", "tags use lower-case letters, digits and dots only (science.fiction): "
                + ", ".join(repr(t) for t in wrong))
        if not TAGS_LENGTH[0] <= _bytes(tags) <= TAGS_LENGTH[1]:
            bad("--tags", f"all tags together must be {TAGS_LENGTH[0]}–{TAGS_LENGTH[1]} "
                f"bytes (got {_bytes(tags)})")
    if not f.description or _bytes(f.description) < DESCRIPTION_MIN:
        bad("--description", f"is required, at least {DESCRIPTION_MIN} bytes")
    if f.release_desc is not None and not f.release_desc.strip():
        bad("--release-desc", "is empty; leave it out instead")
    elif f.release_desc is not None and _bytes(f.release_desc) < flavour.release_desc_min:
        bad("--release-desc", f"has {_bytes(f.release_desc)} bytes; {site.name} needs at least "
            f"{flavour.release_desc_min} (or leave it out)")
    if f.image and not _URL.match(f.image):
        bad("--image", f"{f.image!r} is not an http:// or https:// URL")
    elif f.image and image_problem(flavour, f.image):
        bad("--image", f"{f.image!r} {image_problem(flavour, f.image)}")
    for name, value in (("--group-id", f.group_id), ("--request-id", f.request_id)):
        if value is not None and value <= 0:
            bad(name, f"{value} is not a positive id")
    return problems


def raise_problems(problems: Sequence[Problem], service: str | None = None) -> None:
    """Nothing, or one error listing every problem: exit 2 if a flag is bad, else exit 1."""
    _raise(list(problems), cannot="upload", service=service,
           hint=None if any(p.kind == USAGE for p in problems)
           else "fix the torrent (mktint torrent create / fix-paths) and try again")


# -- the upload ------------------------------------------------------------------------------

def upload(client, torrent_bytes: bytes, fields: UploadFields, *, dry_run: bool = False,
           progress: Callable[[int, int], None] | None = None,
           filename: str = "upload.torrent") -> UploadOutcome:
    """Preflight, duplicate check, one upload, recovery and seeding decision (see module doc)."""
    from mktint.torrent.metainfo import Metainfo

    meta = Metainfo.parse(torrent_bytes)
    raise_problems(preflight(client, meta, fields), client.name)
    local = meta.infohash.lower()

    if dry_run:
        return _dry_run(client, torrent_bytes, fields, local, filename)
    # One upload of this torrent to this site at a time, across processes, from the
    # duplicate check to the answer (a second run stops: it never uploads). The site is
    # the rate limiter's: scheme, host and port, so every name and spelling of one site
    # shares the lock, and a URL's user:password never reaches a file name.
    from mktint.core.http import site_key
    from mktint.core.locks import exclusive

    with exclusive(f"upload-{site_key(client.base_url)}-{local}",
                   f"another mktint is publishing this torrent to {client.name} "
                   f"(infohash {local})",
                   hint="wait for it to finish; then the duplicate check finds its upload"):
        return _upload_once(client, torrent_bytes, fields, local, progress, filename)


def _check_duplicate(client, torrent: bytes, local: str) -> None:
    """Conflict if the site has this torrent, as sent or as the site would rewrite it."""
    existing = None
    for infohash in dict.fromkeys([local, site_infohash(torrent, client.source)]):
        existing = existing or client.find_by_infohash(infohash)
    if existing:
        url = client.torrent_url(existing.id, existing.group_id)
        raise Conflict(f"{client.name} already has this torrent: {url}", service=client.name,
                       details={"url": url, "infohash": local},
                       hint="nothing was uploaded; seed the existing torrent instead")


def _dry_run(client, torrent_bytes: bytes, fields: UploadFields, local: str,
             filename: str) -> UploadOutcome:
    _check_duplicate(client, torrent_bytes, local)
    if not client.flavour_info.server_dry_run:
        # No server-side dry run (OPS): sending the form would upload for real.
        return UploadOutcome(None, None, None, local, True, local_infohash=local,
                             derived=dict(fields.form()), server_checked=False)
    answer = client.upload(fields.form(dry_run=True), torrent_bytes, filename)
    return UploadOutcome(None, None, None, local, True, local_infohash=local,
                         derived=answer.raw, warnings=answer.warnings, server_checked=True)


def _upload_once(client, torrent_bytes: bytes, fields: UploadFields, local: str,
                 progress: Callable[[int, int], None] | None, filename: str) -> UploadOutcome:
    _check_duplicate(client, torrent_bytes, local)
    sent = [0, 0]

    def track(done: int, total: int) -> None:
        sent[:] = [done, total]
        if progress:
            progress(done, total)

    try:
        answer = client.upload(fields.form(), torrent_bytes, filename, progress=track)
    except RateLimited:
        raise  # refused before it was looked at: nothing was uploaded
    except (TemporaryError, ProtocolError) as lost:
        # No answer, or not the JSON the API promises (an HTML page with HTTP 200): the
        # upload may have landed. Look, never upload again to find out.
        return _recover(client, torrent_bytes, fields, local, lost,
                        body_sent=sent[1] > 0 and sent[0] >= sent[1])
    if not answer.torrent_id:
        raise OperationFailed(f"{client.name} answered success without a torrent id: {answer.raw!r}",
                              service=client.name,
                              hint=f"check your uploads on the site; look it up with "
                                   f"`mktint red torrent -s {client.name} --hash {local}`")
    outcome = UploadOutcome(answer.torrent_id, answer.group_id,
                            client.torrent_url(answer.torrent_id, answer.group_id), local, False,
                            local_infohash=local, warnings=list(answer.warnings),
                            derived=answer.raw)
    _check_site_copy(client, outcome, answer.rewritten)
    return outcome


def _check_site_copy(client, outcome: UploadOutcome, rewritten: bool) -> None:
    """Compare with the site's torrent; download the site's copy if it must be seeded.

    The upload has succeeded by now: a failure here becomes a warning, never an error.
    """
    try:
        site_hash = client.torrent(id=outcome.torrent_id).infohash or ""
    except MktintError as e:
        outcome.warnings.append(f"could not compare infohashes with the site: {e.message}")
        site_hash = ""
    if site_hash and site_hash != outcome.local_infohash:
        rewritten = True
    if not rewritten:
        return
    outcome.rewritten = True
    try:
        outcome.site_torrent = client.download(outcome.torrent_id)
    except MktintError as e:
        outcome.warnings.append(
            f"the site rewrote the torrent but its copy could not be downloaded ({e.message}); "
            f"do not seed the local file: run `mktint red download {outcome.torrent_id} "
            f"-s {client.name}`")
        return
    from mktint.torrent.metainfo import Metainfo

    outcome.infohash = Metainfo.parse(outcome.site_torrent).infohash.lower()


# The info keys a Gazelle site keeps when it rewrites a torrent (it sets private and source
# and drops the rest; tests/emulators/gazelle.py follows the same rule).
_SITE_INFO_KEYS = (b"files", b"length", b"name", b"piece length", b"pieces", b"private",
                   b"source")


def site_infohash(torrent: bytes, source: str) -> str:
    """The infohash the site gives ``torrent`` if it rewrites it: private and ``source``
    set, unknown info keys dropped (equal to the local one when nothing needs rewriting)."""
    import hashlib

    from mktint.torrent import bencode

    info = bencode.decode(torrent)[b"info"]
    kept = {k: v for k, v in info.items() if k in _SITE_INFO_KEYS}
    kept.update({b"private": 1, b"source": source.encode()})
    return hashlib.sha1(bencode.encode(kept)).hexdigest()


def find_landed(client, torrent: bytes, fields: UploadFields, local: str,
                why: str) -> UploadOutcome | None:
    """Did an upload whose outcome is unknown (``why``: its answer was lost, or the run
    was cut off) land? Never upload again to find out. Looked up by the local infohash, by
    the one the site gives a rewritten torrent (then the site's copy is fetched to seed),
    then among the site's torrents of the same title for one of the same size.

    The outcome when it is there; None only when every look-up says it is not. A torrent
    of the same title and size that no infohash matches, or a failed look-up: a
    TemporaryError that says not to upload again.
    """
    how = f"`mktint red torrent -s {client.name} --hash {local}`"
    try:
        for infohash in dict.fromkeys([local, site_infohash(torrent, client.source)]):
            found = client.find_by_infohash(infohash)
            if found:
                outcome = UploadOutcome(found.id, found.group_id,
                                        client.torrent_url(found.id, found.group_id), local,
                                        False, local_infohash=local, recovered=True)
                outcome.warnings.append(f"{why}; the torrent is on the site")
                if infohash != local:  # the site rewrote it: seed its copy
                    _check_site_copy(client, outcome, True)
                return outcome
        similar = _same_title_and_size(client, torrent, fields)
    except MktintError as e:
        raise TemporaryError(
            f"the upload's outcome is unknown: {why}; looking it up failed too: {e.message}",
            service=client.name, details={"infohash": local},
            hint=f"do NOT upload again before checking: {how}") from None
    if similar:
        raise TemporaryError(
            f"the upload's outcome is unknown: {why}; {client.name} has a torrent of "
            f"the same title and size that mktint cannot match by infohash: {similar}",
            service=client.name, details={"infohash": local, "candidate": similar},
            hint="do NOT upload again: check that torrent on the site first")
    return None


def _recover(client, torrent: bytes, fields: UploadFields, local: str, lost: MktintError, *,
             body_sent: bool) -> UploadOutcome:
    """The answer was lost (or was not the API's): ``find_landed``; a rerun is called safe
    only when every look-up says the torrent is not there."""
    outcome = find_landed(client, torrent, fields, local,
                          f"the site's answer was lost ({lost.message})")
    if outcome:
        return outcome
    how = f"`mktint red torrent -s {client.name} --hash {local}`"
    where = "after the torrent was sent" if body_sent else "before the upload completed"
    raise TemporaryError(
        f"the upload failed {where} and the torrent is not on {client.name}: {lost.message}",
        service=client.name, details={"infohash": local},
        hint=f"check {how} in a minute; running the upload again is safe (it looks for "
             "duplicates first)")


def _same_title_and_size(client, torrent: bytes, fields: UploadFields) -> str | None:
    """The URL of a torrent on the site whose group has this title and whose size is this
    torrent's (a rewrite mktint cannot predict), or None."""
    from mktint.torrent.metainfo import Metainfo

    size = sum(f.length for f in Metainfo.parse(torrent).files)
    for hit in client.search(fields.title or "", category=fields.category).hits:
        if hit.size == size and hit.name == fields.title:
            return client.torrent_url(hit.torrent_id, hit.group_id)
    return None


# -- metadata --------------------------------------------------------------------------------

def tag_of(text: str) -> str:
    """A Gazelle tag: lower case, words joined by dots ("Science Fiction" → science.fiction)."""
    return ".".join(re.findall(r"[a-z0-9]+", text.lower()))


def fields_from_book(book, render: Callable | None = None) -> dict:
    """Upload fields from an Audnexus book: title, year, description, image, tags.

    ``render`` is the description renderer (default
    ``mktint.workflows.description.render_description``).
    """
    if render is None:
        from mktint.workflows.description import render_description as render
    authors = ", ".join(book.authors or [])
    title = f"{authors} - {book.title}" if authors else book.title
    tags: list[str] = []
    for name in [*(book.genres or []), *(book.tags or [])]:
        tag = tag_of(name)
        if tag and tag not in tags and len(",".join([*tags, tag])) <= TAGS_LENGTH[1]:
            tags.append(tag)
    fields = {"title": title, "year": book.year, "description": render(book),
              "image": book.image, "tags": tags}
    return {k: v for k, v in fields.items() if v not in (None, "", [])}
