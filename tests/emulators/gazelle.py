"""A Gazelle JSON API (RED and OPS flavours) on loopback, checked against the real source.

OPS behaviours come from OPSnet/Gazelle (files cited beside each rule); RED's code is not
public, so RED follows its ancestor WhatCD/Gazelle where the two differ, plus RED's own
documented API (Authorization header, HTTP status codes, ``dryrun``).

What it does like the real sites:

- authentication by the ``Authorization`` header only: RED the bare key, OPS ``token <key>``
  or the bare key; a key given as a form field or query parameter is ignored;
- envelopes: success ``{"status": "success", "response": ...}``; failure on RED
  ``{"status": "failure", "error": ...}`` with HTTP 400/401/404/429, on OPS the same with
  HTTP 200 and ``"response": []``;
- a sliding-window rate limit per key (RED 10 per 10 s → 429 with ``Retry-After``; OPS
  5 per 10 s → HTTP 200 "Rate limit exceeded"); rejected requests are counted in
  ``rate_limited``;
- every string field HTML-escaped (``&amp;``, ``&#039;``, ``&quot;``, ``&lt;``);
- actions index, browse, torrentgroup, torrent (id or upper-case hash), download, upload
  (multipart ``file_input``; Gazelle's validation messages and order; the file checker;
  the path rule; duplicates by infohash; ``private``/``source`` rewritten when missing or
  wrong, giving a new infohash);
- OPS: an unknown id or hash is HTTP 200 ``bad parameters`` (``sections/ajax/torrent.php``,
  ``torrentgroup.php``), an unknown download ``could not find torrent``
  (``sections/torrents/download.php``); its upload handler never reads ``dryrun``
  (``sections/upload/upload_handle.php``): a "dry run" to OPS is a real upload;
- fault switches: ``drop_next_upload = "stored"`` stores the torrent and closes the
  connection without an answer (``"lost"``: closes it without storing);
  ``hang_next_upload`` (seconds) stores it and answers only after that delay;
  ``html_next_upload`` stores it and answers HTTP 200 with an HTML page (a proxy or an
  error page instead of the API's JSON);
  ``throttle_next["action"] = n`` answers the next n requests of an action as rate limited.

Use ``with gazelle_emulator("red", api_key=..., passkey=...) as site:`` → ``site.url``,
``site.requests`` (every request with its time), ``site.uploads``, ``site.torrents``,
``site.rate_limited``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

from tests.emulators import bencode
from tests.support.httpserver import QuietHandler, serve

CATEGORY_NAMES = ["Music", "Applications", "E-Books", "Audiobooks", "E-Learning Videos",
                  "Comedy", "Comics"]
FORMATS = ("MP3", "FLAC", "AAC", "AC3", "DTS")
BITRATES = ("192", "APS (VBR)", "V2 (VBR)", "V1 (VBR)", "256", "APX (VBR)", "V0 (VBR)", "320",
            "Lossless", "24bit Lossless", "Other")
# Audio-category file extensions: OPSnet/Gazelle app/Util/FileChecker.php ($musicExtensions);
# RED: WhatCD/Gazelle classes/file_checker.class.php ($MusicExtensions).
OPS_EXTENSIONS = frozenset(
    "ac3 accurip azw3 chm cue djv djvu doc docx dts epub ffp flac gif htm html jpeg jpg json "
    "lit lrc log m3u m3u8 m4a m4b md5 mobi mp3 mp4 nfo pdf pls png rtf sfv txt toc yaml yml".split())
RED_EXTENSIONS = frozenset(
    "ac3 accurip azw3 chm cue djv djvu doc dts epub ffp flac gif htm html jpeg jpg lit log m3u "
    "m3u8 m4a m4b md5 mobi mp3 mp4 nfo pdf pls png rtf sfv txt".split())
COMICS_EXTENSIONS = frozenset("cbr cbz gif jpeg jpg pdf png".split())
# Both FileCheckers: "ahashare.com", ... and INCOMPLETE~ are "forbidden files".
KEYWORDS = ("ahashare.com", "demonoid.com", "demonoid.me", "djtunes.com", "h33t",
            "housexclusive.net", "limetorrents.com", "mixesdb.com", "mixfiend.blogstop",
            "mixtapetorrent.blogspot", "plixid.com", "reggaeme.com", "scc.nfo",
            "thepiratebay.org", "torrentday")
# FileChecker::checkName: PHP '/[\\:?<>*|"]/' is the PCRE class [\:?<>*|"] — the escaped
# colon, so a backslash itself passes although the message lists it.
FORBIDDEN_CHARACTER = re.compile(r'[:?<>*|"]')
FLAVOURS = {
    # WhatCD/Gazelle sections/upload/upload_handle.php: MAX_FILENAME_LENGTH 180; Audiobooks:
    # title 2–200, release_desc ≥ 10 when given, image 'link' (10–255 bytes) and an image
    # URL (classes/regex.php IMAGE_REGEX; a non-image URL is dropped silently).
    "red": {"limit": 10, "source": "RED", "path_limit": 180, "formats": FORMATS,
            "bitrates": BITRATES, "title_min": 2, "release_desc_min": 10,
            "extensions": RED_EXTENSIONS, "dryrun": True,
            "image": re.compile(r"^https?://\S+/\S+\.(jpg|jpeg|tif|tiff|png|gif|bmp)(\?\S*)?$", re.I),
            "announce": "https://flacsfor.me/{}/announce"},
    # OPSnet/Gazelle sections/upload/upload_handle.php (MAX_FILENAME_LENGTH 255, title
    # maxlength 200 with the Validator's default minimum 1, release_desc maxlength only),
    # lib/config.php (FORMAT, ENCODING, IMAGE_REGEXP), app/Util/Validator.php (strlen).
    "ops": {"limit": 5, "source": "OPS", "path_limit": 255,
            "formats": ("MP3", "FLAC", "Ogg Vorbis", "AAC", "AC3", "DTS"),
            "bitrates": ("Lossless", "24bit Lossless", "V0 (VBR)", "V1 (VBR)", "V2 (VBR)", "320",
                         "256", "192", "160", "128", "96", "64", "APS (VBR)", "APX (VBR)",
                         "q8.x (VBR)", "Other"),
            "title_min": 1, "release_desc_min": 0, "extensions": OPS_EXTENSIONS, "dryrun": False,
            "image": re.compile(r"\bhttps?://\S+\.(gif|png|webm|jpe?g|tiff?)(\?\S*)?\b", re.I),
            "announce": "https://home.opsfet.ch/{}/announce"},
}
PERIOD = 10.0
INFO_KEYS = {b"files", b"name", b"piece length", b"pieces", b"private", b"source", b"length"}


def escape(text: str) -> str:
    """PHP's htmlspecialchars with ENT_QUOTES, as Gazelle stores strings."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#039;"))


@dataclass
class Logged:
    time: float
    method: str
    action: str | None
    status: int
    error: str | None = None


@dataclass
class GazelleSite:
    flavour: str
    api_key: str
    passkey: str
    limit: int
    url: str = ""
    username: str = "tester"
    user_id: int = 4242
    userstats: dict = field(default_factory=lambda: {
        "uploaded": 123456789012, "downloaded": 2345678901, "ratio": 52.63, "requiredratio": 0.6,
        "class": "Power User"})
    requests: list[Logged] = field(default_factory=list)
    uploads: list[dict] = field(default_factory=list)  # the form of every stored upload
    groups: dict[int, dict] = field(default_factory=dict)
    torrents: dict[int, dict] = field(default_factory=dict)
    rate_limited: int = 0
    request_paths: list[str] = field(default_factory=list)  # every request's path and query
    last_upload_body: bytes = b""  # the raw multipart body of the last upload request
    drop_next_upload: str | None = None  # "stored": keep the torrent; "lost": do not
    hang_next_upload: float = 0.0
    html_next_upload: bool = False  # store the torrent, answer HTTP 200 with an HTML page
    throttle_next: dict[str, int] = field(default_factory=dict)  # action → forced limit answers
    lock: threading.Lock = field(default_factory=threading.Lock)
    window: deque = field(default_factory=deque)

    @property
    def spec(self) -> dict:
        return FLAVOURS[self.flavour]

    # -- state helpers ----------------------------------------------------------------------

    def admit(self, now: float) -> float | None:
        """Count a request in the sliding window, or return seconds until one is allowed."""
        with self.lock:
            while self.window and now - self.window[0] >= PERIOD:
                self.window.popleft()
            if len(self.window) >= self.limit:
                self.rate_limited += 1
                return PERIOD - (now - self.window[0])
            self.window.append(now)
            return None

    def add(self, raw: bytes, form: dict[str, str]) -> dict:
        """Store a torrent (raw info bytes kept, so the infohash is the uploader's)."""
        with self.lock:
            group_id = int(form["groupid"]) if form.get("groupid") else None
            if group_id not in self.groups:
                group_id = 100 + len(self.groups) + 1
                self.groups[group_id] = {
                    "id": group_id, "name": form.get("title", ""), "year": int(form.get("year") or 0),
                    "categoryId": int(form.get("type", 3)) + 1,
                    "wikiBody": form.get("album_desc", ""), "wikiImage": form.get("image", ""),
                    "tags": [t for t in form.get("tags", "").split(",") if t],
                    "time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                }
                new_group = True
            else:
                new_group = False
            torrent_id = 1000 + len(self.torrents) + 1
            info = bencode.decode(raw)
            info_dict = info
            if b"files" in info_dict:
                files = [("/".join(p.decode() for p in f[b"path"]), f[b"length"])
                         for f in info_dict[b"files"]]
            else:
                files = [(info_dict[b"name"].decode(), info_dict[b"length"])]
            self.torrents[torrent_id] = {
                "id": torrent_id, "group_id": group_id, "info": raw,
                "infohash": hashlib.sha1(raw).hexdigest().upper(),
                "format": form.get("format", ""),
                "encoding": form.get("other_bitrate") if form.get("bitrate") == "Other"
                else form.get("bitrate", ""),
                "description": form.get("release_desc", ""),
                "name": info_dict[b"name"].decode(), "files": files,
                "multi": b"files" in info_dict,
                "time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            }
            return {"torrent_id": torrent_id, "group_id": group_id, "new_group": new_group}

    def find_hash(self, infohash: str) -> dict | None:
        for torrent in self.torrents.values():
            if torrent["infohash"] == infohash:
                return torrent
        return None

    def site_torrent(self, torrent_id: int) -> bytes:
        """The .torrent the site hands out: its announce with the user's passkey."""
        announce = self.spec["announce"].format(self.passkey).encode()
        return (b"d8:announce" + bencode.encode(announce) + b"4:info"
                + self.torrents[torrent_id]["info"] + b"e")

    def seed(self, title: str, files: list[tuple[list[str], int]], *, year: int = 2020,
             tags: str = "fantasy,audiobook", fmt: str = "MP3", bitrate: str = "320") -> dict:
        """Put a torrent on the site directly (no request counted)."""
        data = bencode.make_torrent(title.replace("/", "_"), files, source=self.spec["source"])
        form = {"title": title, "year": str(year), "type": "3", "tags": tags, "format": fmt,
                "bitrate": bitrate, "album_desc": f"About {title}: a long description.",
                "release_desc": "Ripped & tagged <carefully>."}
        added = self.add(bencode.info_span(data), form)
        added["infohash"] = bencode.infohash(data)
        added["torrent"] = data
        return added

    # -- JSON shapes ------------------------------------------------------------------------

    def group_json(self, group: dict) -> dict:
        return {"id": group["id"], "name": escape(group["name"]), "year": group["year"],
                "categoryId": group["categoryId"],
                "categoryName": CATEGORY_NAMES[group["categoryId"] - 1],
                "wikiBody": escape(group["wikiBody"]), "wikiImage": group["wikiImage"],
                "tags": [escape(t) for t in group["tags"]], "time": group["time"],
                "recordLabel": "", "catalogueNumber": "", "releaseType": 0,
                "vanityHouse": False, "isBookmarked": False}

    def torrent_json(self, t: dict) -> dict:
        size = sum(length for _, length in t["files"])
        file_list = "|||".join(f"{escape(path)}{{{{{{{length}}}}}}}" for path, length in t["files"])
        return {"id": t["id"], "infoHash": t["infohash"], "media": "WEB", "format": t["format"],
                "encoding": escape(t["encoding"] or ""), "remastered": False, "scene": False,
                "hasLog": False, "hasCue": False, "logScore": 0, "fileCount": len(t["files"]),
                "size": size, "seeders": 1, "leechers": 0, "snatched": 0, "freeTorrent": False,
                "time": t["time"], "description": escape(t["description"]),
                "fileList": file_list, "filePath": escape(t["name"]) if t["multi"] else "",
                "userId": self.user_id, "username": self.username}


class Handler(QuietHandler):
    server: object

    @property
    def site(self) -> GazelleSite:
        return self.server.site

    def do_GET(self) -> None:
        self.handle_request("GET")

    def do_POST(self) -> None:
        self.handle_request("POST")

    # -- plumbing ---------------------------------------------------------------------------

    def handle_request(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        action = query.get("action")
        body = self.read_body() if method == "POST" else b""
        self._action = action
        with self.site.lock:
            self.site.request_paths.append(self.path)
            if action == "upload":
                self.site.last_upload_body = body
        if parts.path != "/ajax.php":
            return self.answer(404, "<html>Not found</html>", content_type="text/html")
        wait = self.site.admit(time.monotonic())
        if wait is not None:
            headers = {"Retry-After": str(max(1, int(wait + 0.999)))} if self.site.flavour == "red" else {}
            return self.fail(429, "Rate limit exceeded", headers)
        with self.site.lock:
            forced = self.site.throttle_next.get(action, 0)
            if forced:
                self.site.throttle_next[action] = forced - 1
                self.site.rate_limited += 1
        if forced:
            return self.fail(429, "Rate limit exceeded", {"Retry-After": "1"} if self.site.flavour == "red" else {})
        if not self.authorized():
            return self.fail(401, "bad credentials")
        handler = getattr(self, f"action_{action}", None)
        if handler is None:
            return self.fail(400, "bad action")
        if (action == "upload") != (method == "POST"):
            return self.fail(400, "bad method")
        handler(query, body)

    def authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if self.site.flavour == "ops" and header.startswith("token "):
            header = header[len("token "):]
        return header == self.site.api_key

    def answer(self, status: int, body, *, content_type: str = "application/json",
               headers: dict | None = None, error: str | None = None) -> None:
        with self.site.lock:
            self.site.requests.append(Logged(time.monotonic(), self.command, self._action, status, error))
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        try:
            self.send_body(status, body, content_type, headers)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self.close_connection = True

    def ok(self, response) -> None:
        self.answer(200, {"status": "success", "response": response})

    def fail(self, status: int, error: str, headers: dict | None = None) -> None:
        if self.site.flavour == "ops":
            self.answer(200, {"status": "failure", "response": [], "error": error}, error=error)
        else:
            self.answer(status, {"status": "failure", "error": error}, headers=headers, error=error)

    def _id(self, query: dict, name: str = "id") -> int | None:
        value = query.get(name, "")
        return int(value) if value.isdigit() else None

    # -- actions ----------------------------------------------------------------------------

    def action_index(self, query, body) -> None:
        # OPS: sections/ajax/info.php (no api_version); RED adds api_version.
        site = self.site
        answer = {"username": escape(site.username), "id": site.user_id,
                  "authkey": "authkey-0f0f0f0f", "passkey": site.passkey,
                  "notifications": {"messages": 0, "notifications": 0},
                  "userstats": dict(site.userstats)}
        if site.flavour == "red":
            answer["api_version"] = "2.0"
        self.ok(answer)

    def action_browse(self, query, body) -> None:
        words = query.get("searchstr", "").lower().split()
        categories = {int(m.group(1)) for k in query if (m := re.match(r"filter_cat\[(\d+)\]$", k))}
        results = []
        for t in self.site.torrents.values():
            group = self.site.groups[t["group_id"]]
            if categories and group["categoryId"] not in categories:
                continue
            if all(w in group["name"].lower() for w in words):
                results.append({
                    "groupId": group["id"], "groupName": escape(group["name"]),
                    "torrentId": t["id"], "tags": [escape(x) for x in group["tags"]],
                    "category": CATEGORY_NAMES[group["categoryId"] - 1],
                    "fileCount": len(t["files"]), "groupTime": t["time"],
                    "size": sum(length for _, length in t["files"]), "snatches": 0,
                    "seeders": 1, "leechers": 0, "isFreeleech": False,
                })
        self.ok({"currentPage": 1, "pages": 1, "results": results})

    def not_found(self, red_status: int, red_error: str, ops_error: str = "bad parameters") -> None:
        """An unknown id or hash. OPS: HTTP 200 "bad parameters" (sections/ajax/torrent.php,
        torrentgroup.php via lib/util.php json_error); RED (WhatCD sections/ajax/torrent.php):
        "bad id parameter" / "bad hash parameter", with RED's HTTP status."""
        if self.site.flavour == "ops":
            return self.fail(200, ops_error)
        return self.fail(red_status, red_error)

    def action_torrentgroup(self, query, body) -> None:
        group_id = self._id(query)
        if "hash" in query:
            found = self.site.find_hash(query["hash"])
            group_id = found["group_id"] if found else None
        group = self.site.groups.get(group_id)
        if group is None:
            return self.not_found(400 if group_id is None else 404,
                                  "bad hash parameter" if "hash" in query else "bad id parameter")
        torrents = [self.site.torrent_json(t) for t in self.site.torrents.values()
                    if t["group_id"] == group_id]
        self.ok({"group": self.site.group_json(group), "torrents": torrents})

    def action_torrent(self, query, body) -> None:
        if "id" in query and "hash" in query:
            return self.fail(400, "bad parameters")  # id and hash together: OPSnet/Gazelle sections/ajax/torrent.php
        if "hash" in query:
            # Gazelle stores hashes upper case and compares them as given.
            torrent = self.site.find_hash(query["hash"])
            if torrent is None:
                return self.not_found(404, "bad hash parameter")
        else:
            torrent = self.site.torrents.get(self._id(query))
            if torrent is None:
                return self.not_found(404, "bad id parameter")
        group = self.site.groups[torrent["group_id"]]
        self.ok({"group": self.site.group_json(group), "torrent": self.site.torrent_json(torrent)})

    def action_download(self, query, body) -> None:
        torrent_id = self._id(query)
        if torrent_id not in self.site.torrents:
            # OPS sections/torrents/download.php: json_or_error('could not find torrent') → 200.
            return self.not_found(404, "bad id parameter", "could not find torrent")
        self.answer(200, self.site.site_torrent(torrent_id), content_type="application/x-bittorrent",
                    headers={"Content-Disposition": f'attachment; filename="{torrent_id}.torrent"'})

    def action_upload(self, query, body) -> None:
        # The order of the checks follows sections/upload/upload_handle.php (OPS) /
        # WhatCD's: the form, the torrent file, private/source, v1 only, the folder name,
        # the duplicate, then every file (file checker and path length).
        form, files = parse_multipart(self.headers.get("Content-Type", ""), body)
        spec = self.site.spec
        error = self.validate(form)
        if error:
            return self.fail(400, error)
        data = files.get("file_input", b"")
        if not data:
            return self.fail(400, "No torrent file uploaded, or file is empty.")
        try:
            torrent = bencode.decode(data)
            info = torrent[b"info"]
            raw_info = bencode.info_span(data)
        except (ValueError, KeyError, TypeError, IndexError):
            return self.fail(400, "The torrent file is not a valid torrent.")
        v2 = b"meta version" in info or b"file tree" in info
        source = spec["source"]
        was_private = info.get(b"private") == 1
        had_source = info.get(b"source") == source.encode()
        unknown = set(info) - INFO_KEYS
        if not (was_private and had_source) or unknown:
            # The site rewrites the info dict: private and source set, unknown keys stripped.
            info = {k: v for k, v in info.items() if k in INFO_KEYS}
            info[b"private"] = 1
            info[b"source"] = source.encode()
            raw_info = bencode.encode(info)
        if v2:
            return self.fail(400, "This torrent is not a V1 torrent. V2 and Hybrid torrents are "
                                  "not supported here.")
        name = info.get(b"name", b"").decode("utf-8", "replace")
        # $DirName is the torrent's name for a multi-file torrent, '' for a single file;
        # each file's path is relative to it (a single file's is its name).
        dir_name = name if b"files" in info else ""
        paths = (["/".join(p.decode("utf-8", "replace") for p in f[b"path"]) for f in info[b"files"]]
                 if b"files" in info else [name])
        problem = check_name(dir_name)
        if problem:
            return self.fail(400, problem)
        infohash = hashlib.sha1(raw_info).hexdigest().upper()
        if self.site.find_hash(infohash):
            return self.fail(400, "The exact same torrent file already exists on the site!")
        category = CATEGORY_NAMES[int(form["type"])]
        too_long = []
        for path in paths:
            problem = check_file(category, path, spec["extensions"])
            if problem:
                return self.fail(400, problem)
            # mb_strlen($filename) + mb_strlen($DirName) + 1 > MAX_FILENAME_LENGTH
            if len(path) + len(dir_name) + 1 > spec["path_limit"]:
                too_long.append(f"{dir_name}/{path}")
        if too_long:
            return self.fail(400, "The torrent contained one or more files with too long a name: "
                             + ", ".join(too_long))
        if "dryrun" in form and spec["dryrun"]:
            return self.ok({"dryrun": True, "infohash": infohash, "private": was_private,
                            "source": had_source, "title": escape(form["title"]),
                            "category": category, "format": form["format"],
                            "bitrate": form["bitrate"],
                            "tags": [escape(t) for t in form["tags"].split(",")],
                            "fileCount": len(paths)})
        drop, self.site.drop_next_upload = self.site.drop_next_upload, None
        if drop != "lost":
            added = self.site.add(raw_info, form)
            with self.site.lock:
                self.site.uploads.append(form)
        if drop:
            with self.site.lock:
                self.site.requests.append(Logged(time.monotonic(), "POST", "upload", 0, "dropped"))
            self.close_connection = True
            return
        if self.site.hang_next_upload:
            delay, self.site.hang_next_upload = self.site.hang_next_upload, 0.0
            time.sleep(delay)
        if self.site.html_next_upload:
            self.site.html_next_upload = False
            return self.answer(200, "<html><body>Upload complete?</body></html>",
                               content_type="text/html")
        if self.site.flavour == "ops":
            self.ok({"groupId": added["group_id"], "torrentId": added["torrent_id"],
                     "private": was_private, "source": had_source, "warnings": []})
        else:
            self.ok({"private": was_private, "source": had_source,
                     "requestid": int(form["requestid"]) if form.get("requestid") else None,
                     "torrentid": added["torrent_id"], "groupid": added["group_id"],
                     "newgroup": added["new_group"]})

    def validate(self, form: dict[str, str]) -> str | None:
        """The form checks for an Audiobooks-like upload, lengths in bytes as PHP's strlen
        (app/Util/Validator.php; WhatCD classes/validate.class.php)."""
        spec = self.site.spec

        def size(name: str) -> int:
            return len(form.get(name, "").strip().encode())

        kind = form.get("type", "")
        if not kind.isdigit() or int(kind) >= len(CATEGORY_NAMES):
            return "Please select a valid category."
        if form.get("release_desc", "").strip() and size("release_desc") < spec["release_desc_min"]:
            return "The release description has a minimum length of 10 characters."
        image = form.get("image", "").strip()
        if image and not (re.match(r"^https?://[\w.-]+(:\d+)?/\S*$", image, re.I)
                          and 10 <= len(image.encode()) <= 255):
            return "The image URL you entered was invalid."
        if not 2 <= size("tags") <= 200:
            return "You must enter at least one tag. Maximum length is 200 characters."
        if not spec["title_min"] <= size("title") <= 200:
            return "Title must be between 2 and 200 characters." if spec["title_min"] == 2 \
                else "Title must be less than 200 characters."
        if "album_desc" in form and size("album_desc") < 10:
            return "The album description has a minimum length of 10 characters."
        if form.get("format") not in spec["formats"]:
            return "Please select a valid format."
        if form.get("bitrate") == "Other":
            if not 1 <= len(form.get("other_bitrate", "").strip().encode()) <= 9:
                return "You must enter the other bitrate (max length: 9 characters)."
        elif form.get("bitrate") not in spec["bitrates"]:
            return "You must choose a bitrate."
        if not form.get("year", "").isdigit():
            return "The year of the release must be entered."
        if image and not spec["image"].search(image) and self.site.flavour == "ops":
            # OPS refuses it (upload_handle.php, IMAGE_REGEXP); WhatCD drops it silently.
            return f"{escape(image)} does not look like a valid image url"
        return None


def check_name(name: str) -> str | None:
    """FileChecker::checkName (OPSnet app/Util/FileChecker.php; WhatCD file_checker.class.php)."""
    lowered = name.lower()
    if "incomplete~" in lowered or any(k in lowered for k in KEYWORDS):
        return f"The torrent contained one or more forbidden files ({escape(name)})"
    found = FORBIDDEN_CHARACTER.search(name)
    if found:
        return (f"One or more of the files or folders in the torrent has a name that contains "
                f"the forbidden character '{found.group()}'.")
    return None


def check_file(category: str, path: str, extensions: frozenset) -> str | None:
    """FileChecker::checkFile: the name, then the extension (pathinfo, lower-cased)."""
    problem = check_name(path)
    if problem:
        return problem
    last = path.rsplit("/", 1)[-1]
    extension = last.rsplit(".", 1)[1].lower() if "." in last else ""
    if category in ("Music", "Audiobooks", "Comedy", "E-Books"):
        allowed = extension in extensions
    elif category == "Comics":
        allowed = extension in COMICS_EXTENSIONS
    else:
        allowed = extension != "torrent"
    if not allowed:
        return f"The torrent contained one or more invalid files ({escape(path)})"
    return None


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    if not content_type.startswith("multipart/form-data"):
        return {}, {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    form, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = payload
        else:
            form[name] = payload.decode("utf-8")
    return form, files


@contextlib.contextmanager
def gazelle_emulator(flavour: str = "red", *, api_key: str | None = None,
                     passkey: str | None = None, limit: int | None = None) -> Iterator[GazelleSite]:
    """A running emulated site; ``limit`` overrides the flavour's requests per 10 s."""
    site = GazelleSite(flavour, api_key or f"{flavour}-api-key-0123456789abcdef",
                       passkey or "passkey-0123456789abcdef0123",
                       limit or FLAVOURS[flavour]["limit"])
    with serve(Handler, site=site) as server:
        site.url = server.url
        yield site
