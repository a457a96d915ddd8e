"""What each Gazelle site flavour accepts: the one table of site facts.

Everything that depends on the site reads this table — the Gazelle client (rate limit,
auth header), the built-in services (url, announce, source, path limit), upload preflight
(formats, bitrates, lengths, allowed files), the audio bitrate mapping, ``torrent create
--target``, publish and ``book fix-paths``. A configured site names its flavour
(``flavour = "red"``/``"ops"``); nothing is guessed from the URL.

Sources: OPS is OPSnet/Gazelle (``lib/config.php`` FORMAT/ENCODING/IMAGE_REGEXP,
``sections/upload/upload_handle.php``, ``app/Util/FileChecker.php``,
``sections/ajax/index.php``); RED's code is not public, so RED follows its ancestor
WhatCD/Gazelle (``sections/upload/upload_handle.php``, ``classes/file_checker.class.php``)
and its documented API (bare key in ``Authorization``, 10 requests per 10 s, ``dryrun``).

Pure data and pure functions: cheap to import (config validation reads it).
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple, Sequence

from mktint.core.errors import ConfigError
from mktint.core.ratelimit import Rate

_COMMON_BITRATES = ("192", "APS (VBR)", "V2 (VBR)", "V1 (VBR)", "256", "APX (VBR)",
                    "V0 (VBR)", "320", "Lossless", "24bit Lossless", "Other")
_FORMATS = ("MP3", "FLAC", "AAC", "AC3", "DTS")

# Extensions allowed in Music, Audiobooks, Comedy and E-Books torrents (the file checker's
# "music" list); anything else there is "one or more invalid files".
_WHATCD_EXTENSIONS = frozenset(
    "ac3 accurip azw3 chm cue djv djvu doc dts epub ffp flac gif htm html jpeg jpg lit log m3u "
    "m3u8 m4a m4b md5 mobi mp3 mp4 nfo pdf pls png rtf sfv txt".split())
_OPS_EXTENSIONS = _WHATCD_EXTENSIONS | {"docx", "json", "lrc", "toc", "yaml", "yml"}
_COMICS_EXTENSIONS = frozenset("cbr cbz gif jpeg jpg pdf png".split())
_EXTENSION_CATEGORIES = ("music", "audiobooks", "comedy", "e-books")

# Characters the file checker refuses in any file or folder name (its message lists a
# backslash too; refusing it here costs nothing and Windows cannot hold it either).
FORBIDDEN_CHARACTERS = ':?<>\\*|"'
_FORBIDDEN = re.compile("[" + re.escape(FORBIDDEN_CHARACTERS) + "]")
# Names the file checker refuses as "forbidden files" (both Gazelles' $keywords).
_FORBIDDEN_WORDS = ("incomplete~", "ahashare.com", "demonoid.com", "demonoid.me", "djtunes.com",
                    "h33t", "housexclusive.net", "limetorrents.com", "mixesdb.com",
                    "mixfiend.blogstop", "mixtapetorrent.blogspot", "plixid.com",
                    "reggaeme.com", "scc.nfo", "thepiratebay.org", "torrentday")


class Flavour(NamedTuple):
    name: str
    url: str  # the built-in service's site
    announce: str  # the built-in service's announce URL template
    source: str  # info.source the site expects
    path_limit: int  # MAX_FILENAME_LENGTH of the upload handler
    rate: Rate
    auth_scheme: str  # prefix before the key in the Authorization header ("" = bare key)
    formats: tuple[str, ...]
    bitrates: tuple[str, ...]
    # Whether the upload handler honours `dryrun=1`. OPS's never reads it: a "dry run"
    # there is a real upload, so a dry run to such a site sends no upload at all.
    server_dry_run: bool
    title_min: int  # bytes (PHP strlen); the maximum is 200 everywhere
    release_desc_min: int  # bytes, when a release description is sent (0 = any)
    image_extensions: tuple[str, ...]
    file_extensions: frozenset[str]  # allowed in Music/Audiobooks/Comedy/E-Books

    @property
    def cbr_kbps(self) -> tuple[int, ...]:
        """The fixed kbps values of the bitrate list (others are "Other" + kbps)."""
        return tuple(sorted(int(b) for b in self.bitrates if b.isdigit()))


FLAVOURS: dict[str, Flavour] = {
    "red": Flavour(
        "red", url="https://redacted.sh", announce="https://flacsfor.me/{passkey}/announce",
        source="RED", path_limit=180, rate=Rate(10, 10.0), auth_scheme="",
        formats=_FORMATS, bitrates=_COMMON_BITRATES, server_dry_run=True,
        title_min=2, release_desc_min=10,  # WhatCD upload_handle.php, Audiobooks
        image_extensions=("jpg", "jpeg", "tif", "tiff", "png", "gif", "bmp"),  # IMAGE_REGEX
        file_extensions=_WHATCD_EXTENSIONS),
    "ops": Flavour(
        "ops", url="https://orpheus.network", announce="https://home.opsfet.ch/{passkey}/announce",
        source="OPS", path_limit=255, rate=Rate(5, 10.0), auth_scheme="token ",
        formats=("MP3", "FLAC", "Ogg Vorbis", "AAC", "AC3", "DTS"),
        bitrates=("64", "96", "128", "160", *_COMMON_BITRATES[:-1], "q8.x (VBR)", "Other"),
        server_dry_run=False,
        title_min=1, release_desc_min=0,  # title maxlength 200 only; release_desc no minimum
        image_extensions=("gif", "png", "webm", "jpg", "jpeg", "tif", "tiff"),  # IMAGE_REGEXP
        file_extensions=_OPS_EXTENSIONS),
}


class Site(NamedTuple):
    """One configured Gazelle site: its flavour's facts and its own source/path limit."""

    name: str
    flavour: Flavour
    source: str
    path_limit: int

    @classmethod
    def of(cls, service) -> "Site":
        """The site of a configured service (a ``ServiceConfig``). Its ``flavour`` must be
        one of the table's: nothing is guessed from the URL."""
        chosen = service.get("flavour")
        if chosen not in FLAVOURS:
            what = f"has the unknown flavour {chosen!r}" if chosen else "has no flavour"
            raise ConfigError(
                f"gazelle service {service.name!r} {what}; choose one of: " + ", ".join(FLAVOURS),
                service=service.name,
                hint=f"the flavour decides the rate limit, auth header, source and rules: "
                     f"mktint config set services.{service.name}.flavour red")
        flavour = FLAVOURS[chosen]
        return cls(service.name, flavour, service.get("source") or flavour.source,
                   service.get("path_limit") or flavour.path_limit)

    @classmethod
    def builtin(cls, flavour: str) -> "Site":
        f = FLAVOURS[flavour]
        return cls(flavour, f, f.source, f.path_limit)


def image_problem(flavour: Flavour, url: str) -> str | None:
    """Why the site would refuse this cover image URL, or None."""
    size = len(url.encode())
    if not 10 <= size <= 255:
        return f"is {size} bytes; the site allows 10–255"
    path = url.split("?", 1)[0].split("#", 1)[0]
    extension = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if extension not in flavour.image_extensions:
        return ("does not end in an image extension ("
                + ", ".join(flavour.image_extensions) + ")")
    return None


def name_problem(name: str) -> str | None:
    """Why the file checker refuses a file or folder name (its characters or words)."""
    found = _FORBIDDEN.search(name)
    if found:
        return f"contains the forbidden character {found.group()!r}"
    lowered = name.lower()
    word = next((w for w in _FORBIDDEN_WORDS if w in lowered), None)
    if word:
        return f"contains {word!r}, a name the site refuses"
    return None


def file_problem(flavour: Flavour, category: str, path: str) -> str | None:
    """Why the file checker refuses the file at ``path`` (inside the torrent) in a torrent
    of ``category`` (an upload category key such as ``"audiobooks"``), or None."""
    problem = name_problem(path)
    if problem:
        return problem
    last = path.rsplit("/", 1)[-1]
    extension = last.rsplit(".", 1)[1].lower() if "." in last else ""
    shown = f".{extension}" if extension else "no extension"
    if category in _EXTENSION_CATEGORIES:
        if extension not in flavour.file_extensions:
            return f"{shown} is not allowed in {category} torrents"
    elif category == "comics":
        if extension not in _COMICS_EXTENSIONS:
            return f"{shown} is not allowed in comics torrents"
    elif extension == "torrent":
        return ".torrent files are not allowed inside a torrent"
    return None


class RefusedFile(NamedTuple):
    path: str  # as the site sees it: "Folder/sub/file.ext" (the name for a single file)
    reason: str
    excludable: bool  # a file can be left out; the torrent's own name cannot


def refused_files(flavour: Flavour, category: str, name: str,
                  files: Iterable[Sequence[str]]) -> list[RefusedFile]:
    """Every file the site's file checker would refuse (``files``: path parts per file,
    ``()`` for a single-file torrent, whose name is its path)."""
    refused = []
    parts_list = list(files)
    single = len(parts_list) == 1 and not parts_list[0]
    if not single:
        problem = name_problem(name)
        if problem:
            refused.append(RefusedFile(name, f"the folder name {problem}", False))
    for parts in parts_list:
        inner = "/".join(parts) if parts else name
        problem = file_problem(flavour, category, inner)
        if problem:
            refused.append(RefusedFile("/".join([name, *parts]) if parts else name, problem,
                                       excludable=bool(parts)))
    return refused
