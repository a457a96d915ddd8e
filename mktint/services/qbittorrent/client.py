"""Torrents, categories, tags and trackers of a qBittorrent WebUI, version-aware."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Iterable, Sequence

from mktint.core import redact
from mktint.core.errors import Conflict, NotFound, ProtocolError, UsageError
from mktint.core.http import json_body
from mktint.services.qbittorrent import metainfo, vocab
from mktint.services.qbittorrent.polling import Poll
from mktint.services.qbittorrent.session import QBittorrentSession, succeeded

PSEUDO_TRACKER_PREFIX = "** ["
TRACKER_STATUS = {0: "disabled", 1: "not_contacted", 2: "working", 3: "updating",
                  4: "not_working", 5: "error", 6: "unreachable"}
CONTENT_LAYOUTS = ("Original", "Subfolder", "NoSubfolder")
# contentLayout replaced root_folder in qBittorrent 4.3.2; the WebAPI version of that change
# (2.7.0) is from memory, not confirmed — older servers get both names.
LEGACY_ROOT_FOLDER_BEFORE = (2, 7, 0)
POLL_FIRST, POLL_MAX = 0.01, 0.5
# Hash arguments (issue 24): a torrent ID is 40 hex digits (the v1 infohash, or the v2 one
# cut to 40); a person may type any unique prefix of at least MIN_PREFIX digits, as with git.
ID_LENGTH, V2_LENGTH, MIN_PREFIX = 40, 64, 6
HASH_HINT = f"give the torrent's hash or a unique prefix of it (at least {MIN_PREFIX} hex digits)"
# torrents/info keys a prefix is matched against: the ID and both infohashes
# (src/webui/api/serialize/serialize_torrent.h: KEY_TORRENT_ID "hash", "infohash_v1", "infohash_v2").
HASH_KEYS = ("hash", "infohash_v1", "infohash_v2")
SHOWN_CANDIDATES = 10


@dataclass
class AddResult:
    source: str            # file name, magnet or URL as given
    infohash: str | None   # qBittorrent's torrent ID, when known
    name: str | None
    status: str            # added | exists | failed | pending
    message: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _iso(epoch) -> str | None:
    if not epoch or epoch < 0:
        return None
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).isoformat()


def _tags(text) -> list[str]:
    if isinstance(text, list):
        return text
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def normalise(t: dict) -> dict:
    """One torrent of torrents/info in mktint's stable shape."""
    row = {
        "hash": t.get("hash"),
        "name": t.get("name"),
        "state": vocab.state_name(t.get("state", "")),
        "progress": t.get("progress"),
        "size": t.get("size"),
        "category": t.get("category") or "",
        "tags": _tags(t.get("tags")),
        "save_path": t.get("save_path"),
        "content_path": t.get("content_path"),
        "added_on": _iso(t.get("added_on")),
        "completed_on": _iso(t.get("completion_on")),
        "ratio": t.get("ratio"),
        "uploaded": t.get("uploaded"),
        "downloaded": t.get("downloaded"),
        "upspeed": t.get("upspeed"),
        "dlspeed": t.get("dlspeed"),
        "amount_left": t.get("amount_left"),
        "tracker": t.get("tracker") or "",
    }
    redact.register_url_secrets(row["tracker"])  # announce URLs carry passkeys
    return row


def _join(hashes: Iterable[str]) -> str:
    return "|".join(hashes)


class QBittorrentClient(QBittorrentSession):
    _listing: list[dict] | None = None  # torrents/info as first fetched to resolve a hash prefix

    # -- app -------------------------------------------------------------------------------

    def version_info(self) -> dict:
        build = None
        if self.webapi_version >= (2, 3):
            build = self.json("app/buildInfo")
        return {"app_version": self.text("app/version").strip(),
                "webapi_version": ".".join(map(str, self.webapi_version)),
                "build_info": build}

    def default_save_path(self) -> str:
        return self.text("app/defaultSavePath").strip()

    def free_space(self) -> int | None:
        data = self.json("sync/maindata", {"rid": 0})
        value = (data.get("server_state") or {}).get("free_space_on_disk")
        return int(value) if isinstance(value, (int, float)) else None

    def map_path(self, local_path) -> str:
        """A host path as the client sees it, by the longest matching `path_map` prefix."""
        path = PurePosixPath(str(local_path))
        best = None
        for host, inside in (self.config.get("path_map") or {}).items():
            prefix = PurePosixPath(host)
            if path == prefix or prefix in path.parents:
                if best is None or len(prefix.parts) > len(best[0].parts):
                    best = (prefix, PurePosixPath(inside))
        if best is None:
            return str(path)
        return str(best[1] / path.relative_to(best[0]))

    # -- torrents --------------------------------------------------------------------------

    def torrents(self, filter: str | None = None, category: str | None = None,
                 tag: str | None = None, hashes: Sequence[str] | None = None,
                 sort: str | None = None, reverse: bool = False,
                 limit: int | None = None) -> list[dict]:
        """torrents/info, normalised. An unknown filter raises UsageError before sending."""
        params: dict = {}
        if filter:
            vocab.check_filter(filter)
            params["filter"] = vocab.server_filter(filter, self.webapi_version)
        if category is not None:
            params["category"] = category
        if tag is not None:
            params["tag"] = tag
        if hashes is not None:
            if not hashes:
                return []
            params["hashes"] = _join(hashes)
        if sort:
            params["sort"] = vocab.check_sort(sort)
            params["reverse"] = "true" if reverse else "false"
        if limit is not None:
            params["limit"] = int(limit)
        data = self.json("torrents/info", params)
        if not isinstance(data, list):
            raise ProtocolError(f"{self.name}: torrents/info did not answer a list", service=self.name)
        return [normalise(t) for t in data]

    def torrent(self, infohash: str) -> dict:
        found = self.torrents(hashes=[infohash])
        if not found:
            raise NotFound(f"{self.name}: no torrent {infohash}", service=self.name)
        return found[0]

    def resolve_hashes(self, given: Sequence[str]) -> list[str]:
        """Torrent IDs for hashes as people type them (duplicates dropped, order kept).

        A 40-digit ID is used as it is. Anything else — a prefix of at least
        ``MIN_PREFIX`` digits, or a whole v2 infohash — is matched against the ID and
        both infohashes of every torrent, listed once per client (one torrents/info).
        No match is NotFound; more than one is a UsageError naming the candidates.
        """
        wanted = []
        for text in given:
            value = hash_arg(text)
            wanted.append(value if len(value) == ID_LENGTH else self._unique(value))
        return list(dict.fromkeys(wanted))

    def _unique(self, prefix: str) -> str:
        if self._listing is None:
            listing = self.json("torrents/info")
            if not isinstance(listing, list):
                raise ProtocolError(f"{self.name}: torrents/info did not answer a list", service=self.name)
            self._listing = listing
        matches = {t.get("hash"): t.get("name") or "" for t in self._listing
                   if any(str(t.get(key) or "").startswith(prefix) for key in HASH_KEYS)}
        if not matches:
            raise NotFound(f"{self.name}: no torrent {prefix}", service=self.name,
                           details={"missing": [prefix]})
        if len(matches) > 1:
            shown = sorted(matches.items())[:SHOWN_CANDIDATES]
            more = len(matches) - len(shown)
            raise UsageError(f"hash prefix {prefix} matches {len(matches)} torrents: "
                             + "; ".join(f"{h} {name}" for h, name in shown)
                             + (f"; and {more} more" if more else ""),
                             hint="give more digits of the hash",
                             details={"candidates": [{"hash": h, "name": n} for h, n in shown]})
        return next(iter(matches))

    def properties(self, infohash: str) -> dict:
        return self.json("torrents/properties", {"hash": infohash}, missing=f"no torrent {infohash}")

    def files(self, infohash: str) -> list[dict]:
        files = self.json("torrents/files", {"hash": infohash}, missing=f"no torrent {infohash}")
        return [{"name": f.get("name"), "size": f.get("size"), "progress": f.get("progress"),
                 "priority": f.get("priority")} for f in files]

    def trackers(self, infohash: str) -> list[dict]:
        rows = []
        for t in self.json("torrents/trackers", {"hash": infohash}, missing=f"no torrent {infohash}"):
            url = t.get("url", "")
            redact.register_url_secrets(url)  # announce URLs carry passkeys
            rows.append({"url": url, "tier": t.get("tier"),
                         "status": TRACKER_STATUS.get(t.get("status"), str(t.get("status"))),
                         "pseudo": url.startswith(PSEUDO_TRACKER_PREFIX),
                         "peers": t.get("num_peers"), "seeds": t.get("num_seeds"),
                         "leeches": t.get("num_leeches"), "message": t.get("msg") or ""})
        return rows

    # -- actions on torrents ---------------------------------------------------------------

    def _act(self, action: str, hashes: Sequence[str], **extra) -> None:
        if not hashes:
            return
        self.post(f"torrents/{vocab.endpoint(action, self.webapi_version)}",
                  data={"hashes": _join(hashes), **extra})

    def start(self, hashes: Sequence[str]) -> None:
        self._act("start", hashes)

    def stop(self, hashes: Sequence[str]) -> None:
        self._act("stop", hashes)

    def recheck(self, hashes: Sequence[str]) -> None:
        self._act("recheck", hashes)

    def reannounce(self, hashes: Sequence[str]) -> None:
        self._act("reannounce", hashes)

    def remove(self, hashes: Sequence[str], delete_files: bool = False) -> None:
        self._act("delete", hashes, deleteFiles="true" if delete_files else "false")

    def set_category(self, hashes: Sequence[str], category: str) -> None:
        if not hashes:
            return
        response = self.call("POST", "torrents/setCategory",
                             data={"hashes": _join(hashes), "category": category})
        if response.status_code == 409:
            raise NotFound(f"{self.name}: no category {category!r}", service=self.name,
                           hint=f"create it with `mktint qbit category add {category}`")
        if not succeeded(response):
            raise self._unexpected(response, "torrents/setCategory")

    def add_tags(self, hashes: Sequence[str], tags: Sequence[str]) -> None:
        self._act("addTags", hashes, tags=",".join(tags))

    def remove_tags(self, hashes: Sequence[str], tags: Sequence[str]) -> None:
        self._act("removeTags", hashes, tags=",".join(tags))

    def export(self, infohash: str) -> bytes:
        return self.checked("GET", "torrents/export", params={"hash": infohash},
                            missing=f"no torrent {infohash}").content

    def edit_tracker(self, infohash: str, old_url: str, new_url: str) -> None:
        # 5.2 renamed origUrl to url; older servers ignore the extra field.
        response = self.call("POST", "torrents/editTracker",
                             data={"hash": infohash, "origUrl": old_url, "url": old_url,
                                   "newUrl": new_url})
        if response.status_code == 409:
            raise Conflict(f"{self.name}: {infohash} has no tracker {old_url} or already has the new one",
                           service=self.name)
        if response.status_code == 404:
            raise NotFound(f"{self.name}: no torrent {infohash}", service=self.name)
        if not succeeded(response):  # 5.2+: 204
            raise self._unexpected(response, "torrents/editTracker")

    def replace_tracker(self, old_url: str, new_url: str, hashes: Sequence[str],
                        dry_run: bool = False) -> list[dict]:
        """Swap ``old_url`` for ``new_url`` wherever it is a tracker of the given torrents.

        Returns one ``{hash, name, replaced, message}`` row per torrent that has
        ``old_url``; a torrent that already has ``new_url`` too is left alone (qBittorrent
        refuses the edit) and reported with ``replaced: false``.
        """
        changed = []
        names = {t["hash"]: t["name"] for t in self.torrents(hashes=list(hashes))}
        for infohash in hashes:
            urls = [t["url"] for t in self.trackers(infohash)]
            if old_url not in urls:
                continue
            row = {"hash": infohash, "name": names.get(infohash), "replaced": False, "message": ""}
            if new_url in urls:
                row["message"] = "already has the new URL; left unchanged"
            elif not dry_run:
                self.edit_tracker(infohash, old_url, new_url)
                row["replaced"] = True
            changed.append(row)
        return changed

    # -- categories and tags ---------------------------------------------------------------

    def categories(self) -> dict:
        data = self.json("torrents/categories")
        return {name: {"name": name, "save_path": c.get("savePath", "")}
                for name, c in sorted(data.items())}

    def create_category(self, name: str, save_path: str = "") -> None:
        if not name.strip():  # the server's 400 "Category cannot be empty"
            raise UsageError("the category name is empty", hint="give a name, e.g. `audiobooks`")
        response = self.call("POST", "torrents/createCategory",
                             data={"category": name, "savePath": save_path})
        if response.status_code == 409:
            raise Conflict(f"{self.name}: category {name!r} exists or is not a valid name",
                           service=self.name)
        if not succeeded(response):
            raise self._unexpected(response, "torrents/createCategory")

    def edit_category(self, name: str, save_path: str) -> None:
        response = self.call("POST", "torrents/editCategory",
                             data={"category": name, "savePath": save_path})
        # 409 up to 5.1, 404 "Category does not exist" from 5.2 (src/webui/api/torrentscontroller.cpp)
        if response.status_code in (404, 409):
            raise NotFound(f"{self.name}: no category {name!r}", service=self.name,
                           hint="list them with `mktint qbit category list`")
        if not succeeded(response):
            raise self._unexpected(response, "torrents/editCategory")

    def remove_categories(self, names: Sequence[str]) -> None:
        self.post("torrents/removeCategories", data={"categories": "\n".join(names)})

    def tags(self) -> list[str]:
        return sorted(self.json("torrents/tags"))

    def create_tags(self, names: Sequence[str]) -> None:
        self.post("torrents/createTags", data={"tags": ",".join(names)})

    def delete_tags(self, names: Sequence[str]) -> None:
        self.post("torrents/deleteTags", data={"tags": ",".join(names)})

    # -- adding ----------------------------------------------------------------------------

    def add(self, files: Sequence[tuple[str, bytes]] = (), urls: Sequence[str] = (), *,
            save_path: str | None = None, category: str | None = None,
            tags: Sequence[str] = (), stopped: bool = False, skip_check: bool = False,
            content_layout: str | None = None, rename: str | None = None,
            wait: float = 10) -> list[AddResult]:
        """Add .torrent files (one multipart request) and magnet/HTTP links.

        ``save_path`` is a host path (``path_map`` is applied); ``category`` defaults to
        the service's ``category`` and ``tags`` are added to its ``tags``. Torrents
        already in the client are reported ``exists`` and not sent. Each sent torrent is
        polled by ID for up to ``wait`` seconds: ``added`` when seen, else ``failed``;
        with ``wait=0``, or for an HTTP link (ID unknown), it is ``pending``.
        """
        if content_layout is not None and content_layout not in CONTENT_LAYOUTS:
            raise UsageError(f"unknown content layout {content_layout!r}",
                             hint="choose one of: " + ", ".join(CONTENT_LAYOUTS))
        if rename and len(files) + len(urls) != 1:
            raise UsageError("--rename works with exactly one torrent")
        results: list[AddResult] = []
        to_send_files, to_send_urls = [], []
        for filename, data in files:
            try:
                infohash, name = metainfo.torrent_id(data)
            except metainfo.BadTorrent as e:
                results.append(AddResult(filename, None, None, "failed", f"{filename}: {e}"))
                continue
            results.append(AddResult(filename, infohash, name, "pending"))
            to_send_files.append((filename, data))
        for url in urls:
            infohash = metainfo.magnet_id(url) if url.startswith("magnet:") else None
            results.append(AddResult(url, infohash, None, "pending"))
            to_send_urls.append(url)
        known = [r.infohash for r in results if r.status == "pending" and r.infohash]
        if known:
            present = {t["hash"]: t for t in self.torrents(hashes=known)}
            for r in results:
                if r.status == "pending" and r.infohash in present:
                    r.status, r.name = "exists", present[r.infohash]["name"]
                    r.message = "already in the client"
            sent = {r.source for r in results if r.status == "pending"}
            to_send_files = [f for f in to_send_files if f[0] in sent]
            to_send_urls = [u for u in to_send_urls if u in sent]
        if not (to_send_files or to_send_urls):
            return results

        accepted, message = self._send_add(to_send_files, to_send_urls, save_path=save_path,
                                           category=category, tags=tags, stopped=stopped,
                                           skip_check=skip_check, content_layout=content_layout,
                                           rename=rename)
        waiting = [r for r in results if r.status == "pending"]
        if not accepted:
            for r in waiting:
                r.status, r.message = "failed", message
            return results
        self._wait_visible([r for r in waiting if r.infohash], wait)
        for r in waiting:
            if r.infohash is None:
                r.message = "sent; the client fetches the link itself"
        return results

    def _send_add(self, files, urls, *, save_path, category, tags, stopped, skip_check,
                  content_layout, rename) -> tuple[bool, str]:
        version = self.webapi_version
        category = self.config.get("category") if category is None else category
        all_tags = list(dict.fromkeys([*(self.config.get("tags") or []), *tags]))
        form: dict[str, str] = {}
        if urls:
            form["urls"] = "\n".join(urls)
        if save_path:
            form["savepath"] = self.map_path(save_path)
        if category:
            form["category"] = category
        if all_tags:
            form["tags"] = ",".join(all_tags)
        form["stopped" if version >= vocab.V5_0 else "paused"] = "true" if stopped else "false"
        if skip_check:  # the next release renamed it; both names are harmless
            form["skip_checking"] = "true"
            form["seedMode"] = "true"
        if content_layout:
            form["contentLayout"] = content_layout
            if version < LEGACY_ROOT_FOLDER_BEFORE and content_layout != "Original":
                form["root_folder"] = "true" if content_layout == "Subfolder" else "false"
        if rename:
            form["rename"] = rename
        parts = [("torrents", (filename.rsplit("/", 1)[-1], data, "application/x-bittorrent"))
                 for filename, data in files]
        response = self.call("POST", "torrents/add", data=form, files=parts or None, retry_safe=False)
        status, body = response.status_code, response.text.strip()
        if status == 415:
            return False, "qBittorrent says the torrent file is not valid"
        if status == 409:  # 5.2+: every torrent failed
            return False, "qBittorrent refused every torrent (already added or invalid)"
        if status == 400:
            return False, f"qBittorrent rejected the request: {body[:200]}"
        if status not in (200, 202):
            raise self._unexpected(response, "torrents/add")
        if version >= vocab.V5_2:
            answer = json_body(response, self.name) if body else {}
            if isinstance(answer, dict) and answer.get("success_count", 1) == 0 \
                    and answer.get("pending_count", 0) == 0:
                return False, "qBittorrent refused every torrent"
            return True, ""
        if body == "Fails.":
            return False, "qBittorrent refused the torrents (already added or invalid)"
        return True, ""

    def _wait_visible(self, pending: list[AddResult], wait: float) -> None:
        if not pending or wait <= 0:
            return
        poll = Poll(wait, POLL_FIRST, POLL_MAX)
        while True:
            seen = {t["hash"]: t for t in self.torrents(hashes=[r.infohash for r in pending])}
            for r in list(pending):
                if r.infohash in seen:
                    r.status, r.name = "added", seen[r.infohash]["name"]
                    pending.remove(r)
            if not pending or poll.expired:
                break
            poll.pause()
        for r in pending:
            r.status = "failed"
            r.message = f"accepted by the client but not listed after {wait:g} s"


def hash_arg(text: str) -> str:
    """A hash or hash prefix as typed, lower-cased; UsageError when it cannot be one."""
    value = text.strip().lower()
    if not value or len(value) > V2_LENGTH or any(c not in "0123456789abcdef" for c in value):
        raise UsageError(f"not a torrent hash: {text!r}", hint=HASH_HINT)
    if len(value) < MIN_PREFIX:
        raise UsageError(f"hash prefix {text!r} is too short", hint=HASH_HINT)
    return value
