"""Gazelle trackers with a JSON API: RED (redacted.sh) and OPS (orpheus.network).

Two flavours of one protocol (REFERENCE.md §2):

- authentication: RED takes the bare API key in ``Authorization``, OPS ``token <key>``;
  the key never travels as a form field or a query parameter;
- rate limits: RED 10 requests per 10 s, OPS 5 per 10 s — enforced before every request
  (redirects included) by the base client's cross-process limiter;
- envelopes: ``{"status": "success", "response": ...}`` or ``{"status": "failure",
  "error": ...}``. RED answers failures with HTTP 400/401/404/429, OPS with HTTP 200 and
  ``"response": []``: the body is parsed on every status and ``status`` decides;
- every string field comes back HTML-escaped and is unescaped here, once.

The client never prints and never retries an upload (see
``mktint.workflows.gazelle_upload`` for the safe upload procedure).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from mktint.core import redact
from mktint.core.errors import (AuthError, Conflict, MktintError, NotFound, OperationFailed,
                                ProtocolError, RateLimited, UsageError)
from mktint.core.http import json_body, parse_retry_after
from mktint.core.service import ServiceClient
from mktint.core.sites import Site

AJAX = "ajax.php"
TORRENT_MIME = "application/x-bittorrent"

# Upload categories: the upload form's `type` is 0-based; responses report 1-based ids.
CATEGORIES: dict[str, int] = {
    "music": 0, "applications": 1, "e-books": 2, "audiobooks": 3,
    "e-learning-videos": 4, "comedy": 5, "comics": 6,
}
_CATEGORY_ALIASES = {"ebooks": "e-books", "elearning": "e-learning-videos",
                     "e-learning": "e-learning-videos", "audiobook": "audiobooks"}

def category_id(name: str) -> int:
    """The upload form's 0-based `type` for a category name (case-insensitive)."""
    key = name.strip().lower().replace(" ", "-")
    key = _CATEGORY_ALIASES.get(key, key)
    if key not in CATEGORIES:
        raise UsageError(f"unknown category {name!r}",
                         hint="choose one of: " + ", ".join(CATEGORIES))
    return CATEGORIES[key]


def unescape(value: Any) -> Any:
    """HTML-unescape every string inside a JSON value (Gazelle escapes them all)."""
    if isinstance(value, str):
        return html.unescape(value)
    if isinstance(value, dict):
        return {k: unescape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unescape(v) for v in value]
    return value


def first(mapping: dict, *keys: str) -> Any:
    """The first present value among several spellings (``torrentid``/``torrentId``)."""
    for key in keys:
        if mapping.get(key) is not None:
            return mapping[key]
    return None


@dataclass(frozen=True)
class SiteFile:
    path: str
    size: int | None


@dataclass(frozen=True)
class SiteTorrent:
    """One torrent as the site describes it (``action=torrent`` or a group's list)."""

    id: int
    group_id: int | None
    group_name: str | None
    infohash: str | None  # lower case
    files: list[SiteFile]
    file_path: str | None  # the torrent's folder ("" for a single file)
    format: str | None = None
    encoding: str | None = None
    media: str | None = None
    size: int | None = None
    file_count: int | None = None
    seeders: int | None = None
    leechers: int | None = None
    snatched: int | None = None
    description: str | None = None
    time: str | None = None  # Gazelle's "YYYY-MM-DD HH:MM:SS" (UTC)

    @classmethod
    def parse(cls, torrent: dict, group: dict | None = None) -> "SiteTorrent":
        group = group or {}
        return cls(
            id=torrent.get("id"), group_id=group.get("id"), group_name=group.get("name"),
            infohash=str(torrent.get("infoHash") or "").lower() or None,
            files=parse_file_list(torrent.get("fileList")), file_path=torrent.get("filePath"),
            format=torrent.get("format"), encoding=torrent.get("encoding"),
            media=torrent.get("media"), size=torrent.get("size"),
            file_count=torrent.get("fileCount"), seeders=torrent.get("seeders"),
            leechers=torrent.get("leechers"), snatched=torrent.get("snatched"),
            description=torrent.get("description"), time=torrent.get("time"))


@dataclass(frozen=True)
class SiteGroup:
    """A torrent group (``action=torrentgroup``): the group's fields and its torrents."""

    id: int
    name: str | None
    year: int | None
    category: str | None
    tags: list[str]
    image: str | None
    description: str | None
    time: str | None
    torrents: list[SiteTorrent] = field(default_factory=list)

    @classmethod
    def parse(cls, answer: dict) -> "SiteGroup":
        group = answer.get("group") or {}
        return cls(id=group.get("id"), name=group.get("name"), year=group.get("year"),
                   category=group.get("categoryName"), tags=group.get("tags") or [],
                   image=group.get("wikiImage") or None, description=group.get("wikiBody"),
                   time=group.get("time"),
                   torrents=[SiteTorrent.parse(t, group) for t in answer.get("torrents") or []])


@dataclass(frozen=True)
class UploadAnswer:
    """What the site answered to an upload (RED and OPS spell the keys differently)."""

    torrent_id: int | None
    group_id: int | None
    private: bool | None  # False: the site set info.private (a new infohash)
    source: bool | None  # False: the site set info.source (a new infohash)
    warnings: list[str]
    raw: dict  # the whole answer (a dry run's derived information)

    @classmethod
    def parse(cls, answer: dict) -> "UploadAnswer":
        torrent_id = first(answer, "torrentid", "torrentId")
        group_id = first(answer, "groupid", "groupId")
        warnings = answer.get("warnings")
        return cls(int(torrent_id) if torrent_id else None, int(group_id) if group_id else None,
                   answer.get("private"), answer.get("source"),
                   [str(w) for w in warnings] if isinstance(warnings, list) else [], answer)

    @property
    def rewritten(self) -> bool:
        return self.private is False or self.source is False


@dataclass(frozen=True)
class SearchHit:
    """One torrent of a browse answer (music groups list several; other categories one)."""

    torrent_id: int | None
    group_id: int | None
    name: str | None
    year: int | None
    category: str | None
    tags: list[str]
    format: str | None
    encoding: str | None
    size: int | None
    seeders: int | None
    leechers: int | None
    snatches: int | None
    time: str | None  # Gazelle's "YYYY-MM-DD HH:MM:SS" (UTC)


@dataclass(frozen=True)
class SearchPage:
    page: int | None
    pages: int | None
    hits: list[SearchHit]

    @classmethod
    def parse(cls, answer: dict) -> "SearchPage":
        hits = []
        for group in answer.get("results") or []:
            torrents = group.get("torrents") if isinstance(group.get("torrents"), list) else [group]
            for t in torrents:
                hits.append(SearchHit(
                    t.get("torrentId"), group.get("groupId"), group.get("groupName"),
                    group.get("groupYear"), group.get("category"), group.get("tags") or [],
                    t.get("format"), t.get("encoding"), t.get("size"), t.get("seeders"),
                    t.get("leechers"), t.get("snatches"), t.get("time") or t.get("groupTime")))
        return cls(answer.get("currentPage"), answer.get("pages"), hits)


def parse_file_list(value: Any) -> list[SiteFile]:
    """Gazelle's file list: ``path{{{size}}}`` entries joined by ``|||``."""
    files = []
    for entry in filter(None, str(value or "").split("|||")):
        path, _, size = entry.rpartition("{{{")
        size = size.rstrip("}")
        files.append(SiteFile(path, int(size) if size.isdigit() else None))
    return files


_AUTH_WORDS = re.compile(r"credential|api key|apikey|token|log ?in|authori[sz]|limited to api key",
                         re.IGNORECASE)
# RED (WhatCD sections/ajax/torrent.php): "bad id parameter" / "bad hash parameter";
# OPS: "could not find torrent" (sections/torrents/download.php).
_NOT_FOUND_WORDS = re.compile(r"not found|bad (id|hash|group) parameter|no such|does not exist|"
                              r"could not find", re.IGNORECASE)
# OPS answers a lookup of an unknown id or hash with HTTP 200 "bad parameters"
# (OPSnet/Gazelle sections/ajax/torrent.php, torrentgroup.php). mktint never sends both id
# and hash (the other cause), so on a lookup it means "not found".
LOOKUP_ACTIONS = ("torrent", "torrentgroup", "download")


class GazelleClient(ServiceClient):
    """One Gazelle site. ``flavour`` is ``red`` or ``ops`` (from the config)."""

    # A fixed multipart boundary makes recorded uploads byte-stable (tests set it);
    # None means a random boundary per upload.
    multipart_boundary: str | None = None

    def __init__(self, config, credentials):
        self.site = Site.of(config)
        self.flavour_info = self.site.flavour
        self.rate = self.flavour_info.rate  # the base client builds the limiter from this
        super().__init__(config, credentials)

    # -- identity ---------------------------------------------------------------------------

    @property
    def flavour(self) -> str:
        return self.flavour_info.name

    @property
    def source(self) -> str:
        return self.site.source

    @property
    def path_limit(self) -> int:
        return self.site.path_limit

    def auth_headers(self) -> dict[str, str]:
        return self._auth_header(self.require_secret("API_KEY"))

    def _auth_header(self, key: str) -> dict[str, str]:
        redact.register(key)
        return {"Authorization": f"{self.flavour_info.auth_scheme}{key}"}

    def torrent_url(self, torrent_id: int, group_id: int | None = None) -> str:
        if group_id:
            return f"{self.base_url}torrents.php?id={group_id}&torrentid={torrent_id}"
        return f"{self.base_url}torrents.php?torrentid={torrent_id}"

    # -- the envelope ----------------------------------------------------------------------

    def call(self, action: str, *, method: str = "GET", params: dict | None = None,
             data: Any = None, headers: dict[str, str] | None = None,
             auth: dict[str, str] | None = None, retry_safe: bool | None = None) -> Any:
        """One ``ajax.php`` request; returns the unescaped ``response`` of a success."""
        query = {"action": action, **(params or {})}
        response = self.request(method, AJAX, params=query, data=data,
                                headers={**(headers or {}), **(auth or {})},
                                authenticate=auth is None, retry_safe=retry_safe)
        return self.parse_envelope(response, action)

    def parse_envelope(self, response, action: str) -> Any:
        try:
            body = json_body(response, self.name)
        finally:
            response.close()
        if not isinstance(body, dict) or "status" not in body:
            raise ProtocolError(f"{self.name}: {action}: answer has no status envelope "
                                f"(HTTP {response.status_code})", service=self.name)
        if body["status"] == "success":
            return unescape(body.get("response"))
        raise self._failure(response.status_code, unescape(str(body.get("error") or "unknown error")),
                            action, response.headers.get("Retry-After"))

    def _failure(self, status: int, error: str, action: str, retry_after: str | None) -> MktintError:
        message = f"{self.name}: {action}: {error}"
        if status == 429 or "rate limit" in error.lower():
            # OPS answers with HTTP 200 and no Retry-After: wait a whole window.
            wait = parse_retry_after(retry_after) or self.rate.period
            if self.limiter:
                self.limiter.block_for(wait)
            return RateLimited(message, retry_after=wait, service=self.name)
        if status in (401, 403) or _AUTH_WORDS.search(error):
            return AuthError(message, service=self.name,
                             hint=f"check the API key (it needs the Torrents scope for upload and "
                                  f"download): mktint auth login {self.name}")
        if "already exists" in error.lower():
            return Conflict(message, service=self.name)
        if (status == 404 or _NOT_FOUND_WORDS.search(error)
                or (action in LOOKUP_ACTIONS and error.strip().lower() == "bad parameters")):
            return NotFound(message, service=self.name)
        return OperationFailed(message, service=self.name)

    # -- reads -----------------------------------------------------------------------------

    def index(self) -> dict:
        """``action=index``: username, id, passkey, userstats (ratio, requiredratio, ...)."""
        return self._index(None)

    def _index(self, auth: dict[str, str] | None) -> dict:
        result = self.call("index", auth=auth)
        if not isinstance(result, dict) or "username" not in result:
            raise ProtocolError(f"{self.name}: index answer has no username", service=self.name)
        for secret in ("passkey", "authkey"):
            redact.register(result.get(secret))
        return result

    def fetch_passkey(self) -> str:
        """Read the passkey from ``index`` (one request) and store it as secret PASSKEY."""
        return self.remember_passkey(self.index())

    def remember_passkey(self, index: dict) -> str:
        """Store the passkey of an ``index`` answer (only when it changed); return it."""
        passkey = index.get("passkey")
        if not passkey:
            raise ProtocolError(f"{self.name}: index answer has no passkey", service=self.name)
        redact.register(passkey)
        if self.secret("PASSKEY") != passkey:
            self.credentials.store(self.name, "PASSKEY", passkey)
        return passkey

    def confirm_credential(self, secret_name: str, value: str) -> str | None:
        """Check a credential once, before `mktint auth login` stores it."""
        if secret_name == "PASSKEY":
            return None  # no API call checks a passkey; it is only stored
        info = self._index(self._auth_header(value))
        stats = info.get("userstats") or {}
        return f"{info['username']} ({stats['class']})" if stats.get("class") else info["username"]

    def end_session(self) -> None:
        """API keys are stateless: there is no session to end."""

    def search(self, query: str, *, category: str | None = None, page: int | None = None,
               **filters: Any) -> SearchPage:
        """``action=browse``: one page of hits, one per torrent.

        ``category`` is a name from :data:`CATEGORIES`; other keyword filters are sent as
        Gazelle's advanced-search fields (``artistname=...``, ``year=...``, ...).
        """
        params: dict[str, Any] = {"searchstr": query}
        if category:
            # The browse filter uses the 1-based ids the site reports as categoryId.
            params[f"filter_cat[{category_id(category) + 1}]"] = 1
        if page:
            params["page"] = page
        params.update({k: v for k, v in filters.items() if v is not None})
        return SearchPage.parse(self.call("browse", params=params) or {})

    def group(self, group_id: int) -> SiteGroup:
        """``action=torrentgroup``: the group and its torrents."""
        return SiteGroup.parse(self.call("torrentgroup", params={"id": group_id}) or {})

    def torrent(self, id: int | None = None, hash: str | None = None) -> SiteTorrent:
        """``action=torrent`` by id or infohash."""
        if (id is None) == (hash is None):
            raise UsageError("give a torrent id or an infohash, not both")
        params = {"id": id} if id is not None else {"hash": normalize_infohash(hash)}
        answer = self.call("torrent", params=params) or {}
        return SiteTorrent.parse(answer.get("torrent") or {}, answer.get("group") or {})

    def find_by_infohash(self, infohash: str) -> SiteTorrent | None:
        """The site's torrent with this infohash, or None."""
        try:
            return self.torrent(hash=infohash)
        except NotFound:
            return None

    def download(self, torrent_id: int) -> bytes:
        """The site's .torrent file (with the user's passkey in its announce URL)."""
        response = self.request("GET", AJAX, params={"action": "download", "id": torrent_id})
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type == "application/json" or response.content[:1] == b"{":
            self.parse_envelope(response, "download")
            raise ProtocolError(f"{self.name}: download answered JSON, not a torrent",
                                service=self.name)
        if response.status_code != 200 or response.content[:1] != b"d":
            raise ProtocolError(f"{self.name}: download answered HTTP {response.status_code} "
                                f"with {content_type or 'no content type'}, not a .torrent",
                                service=self.name)
        return response.content

    # -- upload ----------------------------------------------------------------------------

    def upload(self, form: list[tuple[str, str]], torrent: bytes, filename: str, *,
               progress: Callable[[int, int], None] | None = None) -> UploadAnswer:
        """POST ``action=upload`` once, never retried; returns the success answer.

        ``form`` holds the text fields (false booleans already left out); the body streams
        through a ``MultipartEncoder``; ``progress(sent, total)`` is called as it goes.
        The caller (``mktint.workflows.gazelle_upload``) decides what a transport failure
        means — the request may have reached the site.
        """
        from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

        fields = [*form, ("file_input", (filename, torrent, TORRENT_MIME))]
        encoder = MultipartEncoder(fields=fields, boundary=self.multipart_boundary)
        callback = (lambda m: progress(m.bytes_read, m.len)) if progress else None
        monitor = MultipartEncoderMonitor(encoder, callback)
        result = self.call("upload", method="POST", data=monitor,
                           headers={"Content-Type": monitor.content_type}, retry_safe=False)
        if not isinstance(result, dict):
            raise ProtocolError(f"{self.name}: upload answered success without details",
                                service=self.name)
        return UploadAnswer.parse(result)


_HEX40 = re.compile(r"^[0-9A-Fa-f]{40}$")


def normalize_infohash(value: str) -> str:
    """A v1 infohash as Gazelle wants it: 40 hex digits, upper case."""
    value = value.strip()
    if not _HEX40.match(value):
        raise UsageError(f"{value!r} is not an infohash", hint="an infohash is 40 hex digits")
    return value.upper()
