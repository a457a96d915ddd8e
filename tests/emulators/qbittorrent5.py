"""A qBittorrent WebUI emulator for the versions no Debian package ships: 5.2.x and ``next``.

Real 4.5.2, 5.1.0 and 5.3.0 run in the suite (tests/support/qbittorrent.py); this emulator
covers only what they cannot show. Each behaviour is read from qBittorrent's source
(github.com/qbittorrent/qBittorrent; tag ``release-5.2.3`` for "5.2", ``master`` for "next")
and checked against what real 5.3.0 answers where the two agree:

- versions: ``app/webapiVersion`` 2.15.1 on 5.2.x (src/webui/webapplication.h API_VERSION),
  2.16.1 / v5.3.0alpha1 on the master read for "next" (src/base/version.h.in);
- login (src/webui/api/authcontroller.cpp, WebAPI_Changelog.md 2.14.0): success 204 with
  the cookie ``QBT_SID_<listening port>`` (HttpOnly, ``SameSite=Lax``, with an expiry:
  src/webui/webapplication.cpp sessionStart), a bad password 401 ``Unauthorized``, 403
  once banned (5 failures); API keys (``Authorization: Bearer``; auth/* answer 403 with one);
- every 2xx status line without a reason phrase; an action whose controller sets no
  result at all answers 204 (``editTracker``; src/webui/webapplication.cpp: a null
  result), the others 200 with an empty body (``setResult(QString())``; seen on 5.3.0);
- errors (src/webui/api/apicontroller.cpp): unknown endpoint 404 ``Endpoint does not
  exist``, a missing parameter 400 ``Missing required parameters: X``; the Host/Origin
  check first of all, 401 (src/webui/webapplication.cpp processRequest);
- ``torrents/add`` (torrentscontroller.cpp addAction): JSON counts, 409 text/plain
  ``Conflict`` when every torrent failed; a new torrent starts in ``checkingResumeData``;
  ``stop``/``start`` (``pause``/``resume`` are unknown endpoints); an unknown filter lists
  everything; ``editTracker`` wants ``url`` and answers 204;
- the torrent creator (torrentcreatorcontroller.cpp): the task ID is a UUID, a task goes
  Queued → Running → Finished (or Failed, with ``errorMessage``, when the source path does
  not exist) one step per ``status`` call (GET or POST), so tests need no timing;
  ``torrentFile`` of an unfinished task is 409, an unknown task 404, more than
  ``max_tasks`` unfinished-or-undeleted tasks 409; ``timeAdded`` is a date string on 5.2
  and a Unix time on next (WebAPI_Changelog.md 2.16.0, #24210). Only v1 torrents are built
  (real piece hashes); a v2/hybrid task fails with a message saying so. Profile ``5.0.2``
  exists only for the 5.0.0–5.0.2 bug no package ships: ``info.source`` is taken from the
  ``comment`` parameter (login and answers as before 5.2: ``Ok.``/``Fails.``, ``SID``);
- the search engine (searchcontroller.cpp): ``search/plugins`` from ``Qbt5State.plugins``,
  ``search/start`` (409 beyond 5 jobs), ``search/results`` handing out
  ``results_per_poll`` new results per call with ``status`` Running until every result of
  ``search_results`` was handed out, then Stopped; ``search/stop``/``delete`` (404 for an
  unknown job) and ``search/downloadTorrent``.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import hashlib
import json
import secrets
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from mktint.services.qbittorrent.metainfo import BadTorrent, torrent_id
from tests.emulators import bencode
from tests.support.httpserver import QuietHandler

PROFILES = {
    "5.0.2": {"app": "v5.0.2", "webapi": "2.11.2", "modern": False},  # comment written as source
    "5.2": {"app": "v5.2.3", "webapi": "2.15.1", "modern": True},
    "next": {"app": "v5.3.0alpha1", "webapi": "2.16.1", "modern": True},
}
FILTERS = {"all", "downloading", "seeding", "completed", "stopped", "running", "active",
           "inactive", "stalled", "stalled_uploading", "stalled_downloading", "checking",
           "moving", "errored"}
BAN_AFTER = 5


class Qbt5State:
    def __init__(self, version: str = "5.2", *, username="admin", password="adminadmin",
                 api_key: str | None = None, bypass_localhost: bool = False,
                 listen_port: int | None = None):
        self.profile = PROFILES[version]
        self.version = version
        self.username, self.password, self.api_key = username, password, api_key
        self.bypass_localhost = bypass_localhost
        self.listen_port = listen_port  # the port the "WebUI" believes it listens on
        self.sessions: set[str] = set()
        self.failed_logins = 0
        self.torrents: dict[str, dict] = {}
        self.tasks: dict[str, dict] = {}
        self.max_tasks = 4
        self.plugins: list[dict] = []
        self.search_results: list[dict] = []
        self.results_per_poll = 2
        self.jobs: dict[int, dict] = {}
        self.deleted_jobs: list[int] = []
        self.downloads: list[dict] = []
        self.requests: list[tuple[str, str, dict, dict]] = []  # method, endpoint, params, headers
        self.lock = threading.Lock()

    @property
    def modern(self) -> bool:
        """5.2 and later: 204s, 401 for a bad password, QBT_SID_<port>, JSON add answers."""
        return self.profile["modern"]

    def endpoints(self, name: str) -> list[str]:
        return [e for _, e, _, _ in self.requests if e == name]


class Qbt5Handler(QuietHandler):
    @property
    def state(self) -> Qbt5State:
        return self.server.qbt

    @property
    def port(self) -> int:
        return self.state.listen_port or self.server.server_address[1]

    @property
    def cookie_name(self) -> str:
        return f"QBT_SID_{self.port}" if self.state.modern else "SID"

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _params(self, method: str) -> tuple[dict, list[tuple[str, bytes]]]:
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        files = []
        if method == "POST":
            body = self.read_body()
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("multipart/form-data"):
                msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    f"Content-Type: {ctype}\r\n\r\n".encode() + body)
                for part in msg.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    data = part.get_payload(decode=True)
                    if part.get_filename():
                        files.append((name, data))
                    else:
                        params[name] = data.decode()
            else:
                params.update({k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
        return params, files

    def send_response(self, code, message=None):
        # 5.2+ sends no reason phrase on a 2xx status line (seen on 5.3.0: "HTTP/1.1 204 ").
        if self.state.modern and 200 <= code < 300:
            message = ""
        super().send_response(code, message)

    def _text(self, status: int, text: str = "", headers=None):
        self.send_body(status, text, "text/plain; charset=UTF-8", headers)

    def _require(self, params, *names) -> bool:
        """apicontroller.cpp requireParams: 400 naming what is missing."""
        missing = [n for n in names if n not in params]
        if missing:
            self._text(400, "Missing required parameters: " + ", ".join(missing))
        return not missing

    def _json(self, value, status: int = 200):
        self.send_body(status, json.dumps(value))

    def _handle(self, method: str) -> None:
        state = self.state
        endpoint = urlsplit(self.path).path.removeprefix("/api/v2/")
        params, files = self._params(method)
        with state.lock:
            state.requests.append((method, endpoint, params, dict(self.headers)))
        # Host header validation and CSRF (REFERENCE.md §1).
        host = self.headers.get("Host", "")
        if ":" in host and int(host.rsplit(":", 1)[1]) != self.port:
            return self._text(401, "Unauthorized")
        origin = self.headers.get("Origin") or self.headers.get("Referer")
        if origin and urlsplit(origin).netloc != host:
            return self._text(401, "Unauthorized")
        bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if endpoint == "auth/login":
            return self._login(params, bearer)
        if state.modern and state.api_key and bearer == state.api_key:
            if endpoint.startswith("auth/"):
                return self._text(403, "Forbidden")
        elif not (state.bypass_localhost or self._session() in state.sessions):
            return self._text(403, "Forbidden")
        handler = ROUTES.get(endpoint)
        if handler is None:
            return self._text(404, "Endpoint does not exist" if state.modern else "Not Found")
        wanted_method, function = handler
        if wanted_method == "POST" and method != "POST":
            return self._text(405, "Method Not Allowed")
        function(self, params, files)

    def _session(self) -> str | None:
        for item in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = item.strip().partition("=")
            if name == self.cookie_name:
                return value
        return None

    def _login(self, params, bearer) -> None:
        state = self.state
        if bearer and state.modern:
            return self._text(403, "Forbidden")
        if state.failed_logins >= BAN_AFTER:
            return self._text(403, "Your IP address has been banned after too many failed authentication attempts.")
        if params.get("username") == state.username and params.get("password") == state.password:
            sid = secrets.token_urlsafe(24)
            state.sessions.add(sid)
            if state.modern:
                expires = email.utils.formatdate(time.time() + 3600, usegmt=True)
                cookie = {"Set-Cookie": f"{self.cookie_name}={sid}; HttpOnly; SameSite=Lax; "
                                        f"expires={expires}; path=/"}
                return self._text(204, "", cookie)
            cookie = {"Set-Cookie": f"{self.cookie_name}={sid}; HttpOnly; SameSite=Strict; path=/"}
            return self._text(200, "Ok.", cookie)
        state.failed_logins += 1
        if state.modern:
            return self._text(401, "Unauthorized")
        return self._text(200, "Fails.")

    # -- endpoints -------------------------------------------------------------------------

    def logout(self, params, files):
        self.state.sessions.discard(self._session())
        self._text(200)

    def webapi_version(self, params, files):
        self._text(200, self.state.profile["webapi"])

    def app_version(self, params, files):
        self._text(200, self.state.profile["app"])

    def build_info(self, params, files):
        self._json({"qt": "6.7.2", "libtorrent": "2.0.10.0", "boost": "1.86.0",
                    "openssl": "3.3.2", "zlib": "1.3.1", "bitness": 64})

    def info(self, params, files):
        rows = list(self.state.torrents.values())
        answer = json.loads(json.dumps(rows))  # as they are now; checks finish after this call
        for t in rows:
            if t["state"] == "checkingResumeData":
                t["state"] = t.pop("settle")
        rows = answer
        flt = params.get("filter", "all")
        if flt in ("stopped",):
            rows = [t for t in rows if t["state"].startswith("stopped")]
        elif flt in ("running",):
            rows = [t for t in rows if not t["state"].startswith("stopped")]
        elif flt in FILTERS - {"all"}:
            rows = [t for t in rows if t.get("filter_tag") == flt]
        # an unknown filter name: every torrent, as qBittorrent does
        if "hashes" in params:
            wanted = set(params["hashes"].split("|"))
            rows = [t for t in rows if t["hash"] in wanted]
        if "category" in params:
            rows = [t for t in rows if t["category"] == params["category"]]
        self._json(rows)

    def add(self, params, files):
        stopped = params.get("stopped") == "true"
        ok, failed, ids = 0, 0, []
        for _, data in files:
            try:
                infohash, name = torrent_id(data)
            except BadTorrent:
                failed += 1
                continue
            if infohash in self.state.torrents:
                failed += 1
                continue
            self.state.torrents[infohash] = {
                "hash": infohash, "name": name,
                # a new torrent is checkingResumeData first (seen on 5.1.0 and 5.3.0), stopped or not
                "state": "checkingResumeData",
                "settle": "stoppedDL" if stopped else "stalledUP",  # its state after the check
                "progress": 0 if stopped else 1, "size": 1, "category": params.get("category", ""),
                "tags": params.get("tags", "").replace(",", ", "), "save_path": params.get("savepath", "/downloads"),
                "added_on": 1700000000, "completion_on": -1, "ratio": 0, "upspeed": 0, "dlspeed": 0,
                "tracker": "", "trackers": ["https://tracker.example/passkey-old/announce"],
                "seed_mode": params.get("seedMode") == "true" or params.get("skip_checking") == "true"}
            ok += 1
            ids.append(infohash)
        if self.state.modern:
            if not ok:  # torrentscontroller.cpp addAction: APIError(Conflict) with no message
                return self._text(409, "Conflict")
            return self._json({"success_count": ok, "failure_count": failed, "pending_count": 0,
                               "added_torrent_ids": ids})
        self._text(200, "Ok." if ok else "Fails.")

    def _set_state(self, params, stopped: bool):
        for h in params.get("hashes", "").split("|"):
            if h in self.state.torrents:
                t = self.state.torrents[h]
                t["state"] = ("stoppedUP" if stopped else "stalledUP") if t["progress"] == 1 else \
                    ("stoppedDL" if stopped else "stalledDL")
        self._text(200)

    def stop(self, params, files):
        self._set_state(params, True)

    def start(self, params, files):
        self._set_state(params, False)

    def delete(self, params, files):
        if "hashes" not in params or "deleteFiles" not in params:
            return self._text(400, "Bad Request")
        for h in params["hashes"].split("|"):
            self.state.torrents.pop(h, None)
        self._text(200)

    def trackers(self, params, files):
        t = self.state.torrents.get(params.get("hash"))
        if t is None:
            return self._text(404, "Torrent hash was not found")
        rows = [{"url": u, "status": 0, "tier": -1, "num_peers": 0, "num_seeds": 0, "num_leeches": 0,
                 "msg": ""} for u in ("** [DHT] **", "** [PeX] **", "** [LSD] **")]
        rows += [{"url": u, "status": 1, "tier": 0, "num_peers": 0, "num_seeds": 0, "num_leeches": 0,
                  "msg": ""} for u in t["trackers"]]
        self._json(rows)

    def edit_tracker(self, params, files):
        t = self.state.torrents.get(params.get("hash"))
        if t is None:
            return self._text(404, "Torrent hash was not found")
        key = "url" if self.state.modern else "origUrl"  # renamed in WebAPI 2.15 (5.2)
        if not self._require(params, "hash", key):
            return
        old = params[key]
        if old not in t["trackers"] or params.get("newUrl") in t["trackers"]:
            return self._text(409, "Conflict")
        t["trackers"] = [params["newUrl"] if u == old else u for u in t["trackers"]]
        self._text(204 if self.state.modern else 200)  # 5.2+: no result set → 204

    # -- torrent creator (5.0+) ------------------------------------------------------------

    def creator_add(self, params, files):
        state = self.state
        if not params.get("sourcePath"):
            return self._text(400, "Bad Request")
        if len(state.tasks) >= state.max_tasks:
            return self._text(409, "Too many active tasks")
        task_id = str(uuid.uuid4())
        state.tasks[task_id] = {"params": params, "status": "Queued", "error": "", "torrent": None}
        self._json({"taskID": task_id})

    def _task(self, params):
        task = self.state.tasks.get(params.get("taskID", ""))
        if task is None:
            self._text(404, "Not Found")
        return task

    def creator_status(self, params, files):
        wanted = params.get("taskID")
        if wanted and wanted not in self.state.tasks:
            return self._text(404, "Not Found")
        rows = []
        for task_id, task in self.state.tasks.items():
            if wanted and task_id != wanted:
                continue
            if task["status"] == "Queued":
                task["status"] = "Running"
            elif task["status"] == "Running":
                self._build(task)
            p = task["params"]
            rows.append({"taskID": task_id, "sourcePath": p["sourcePath"], "status": task["status"],
                         "errorMessage": task["error"], "format": p.get("format", "hybrid"),
                         "private": p.get("private") == "true", "comment": p.get("comment", ""),
                         "source": p.get("source", ""), "progress": 100 if task["torrent"] else 0,
                         # a date string up to 5.2, a Unix time from WebAPI 2.16.0 (#24210)
                         "timeAdded": 1730973600 if self.state.version == "next" else "Thu Nov 7 10:00:00 2024"})
        self._json(rows)

    def _build(self, task) -> None:
        p = task["params"]
        root = Path(p["sourcePath"])
        if not root.exists():
            task["status"], task["error"] = "Failed", f"Path not found: {root}"
            return
        if p.get("format", "hybrid") != "v1":
            task["status"], task["error"] = "Failed", "this emulator builds v1 torrents only"
            return
        piece = int(p.get("pieceSize") or 0) or 262144
        paths = sorted(f for f in root.rglob("*") if f.is_file()) if root.is_dir() else [root]
        blob = b"".join(f.read_bytes() for f in paths)
        info = {"name": root.name, "piece length": piece,
                "pieces": b"".join(hashlib.sha1(blob[i:i + piece]).digest()
                                   for i in range(0, len(blob), piece))}
        if root.is_dir():
            info["files"] = [{"length": f.stat().st_size, "path": list(f.relative_to(root).parts)}
                             for f in paths]
        else:
            info["length"] = len(blob)
        if p.get("private") == "true":
            info["private"] = 1
        buggy = self.state.profile["app"] in ("v5.0.0", "v5.0.1", "v5.0.2")
        source = p.get("comment") if buggy else p.get("source")
        if source:
            info["source"] = source
        top = {"info": info, "created by": f"qBittorrent {self.state.profile['app']}",
               "creation date": 1730973600}
        trackers = [u for u in p.get("trackers", "").split("|") if u]
        if trackers:
            top["announce"] = trackers[0]
            if len(trackers) > 1:
                top["announce-list"] = [[u] for u in trackers]
        seeds = [u for u in p.get("urlSeeds", "").split("|") if u]
        if seeds:
            top["url-list"] = seeds
        if p.get("comment"):
            top["comment"] = p["comment"]
        task["torrent"], task["status"] = bencode.encode(top), "Finished"

    def creator_file(self, params, files):
        task = self._task(params)
        if task is None:
            return
        if task["status"] != "Finished":
            return self._text(409, "Conflict")
        self.send_body(200, task["torrent"], "application/x-bittorrent")

    def creator_delete(self, params, files):
        if self._task(params) is None:
            return
        del self.state.tasks[params["taskID"]]
        self._text(200)

    # -- search ----------------------------------------------------------------------------

    def search_plugins(self, params, files):
        self._json(self.state.plugins)

    def search_start(self, params, files):
        state = self.state
        if not params.get("pattern") or "plugins" not in params or "category" not in params:
            return self._text(400, "Bad Request")
        if len(state.jobs) >= 5:
            return self._text(409, "Unable to create more than 5 concurrent searches.")
        job = max([0, *state.jobs, *state.deleted_jobs]) + 1
        state.jobs[job] = {"params": params, "given": 0, "status": "Running"}
        self._json({"id": job})

    def _job(self, params):
        try:
            job = self.state.jobs.get(int(params.get("id", "")))
        except ValueError:
            job = None
        if job is None:
            self._text(404, "Not Found")
        return job

    def search_results(self, params, files):
        job = self._job(params)
        if job is None:
            return
        offset = int(params.get("offset", 0))
        if job["status"] == "Running":
            job["given"] = min(len(self.state.search_results), job["given"] + self.state.results_per_poll)
            if job["given"] == len(self.state.search_results):
                job["status"] = "Stopped"
        self._json({"results": self.state.search_results[offset:job["given"]], "status": job["status"],
                    "total": job["given"]})

    def search_stop(self, params, files):
        job = self._job(params)
        if job is not None:
            job["status"] = "Stopped"
            self._text(200)

    def search_delete(self, params, files):
        if self._job(params) is not None:
            job = int(params["id"])
            del self.state.jobs[job]
            self.state.deleted_jobs.append(job)
            self._text(200)

    def search_download(self, params, files):
        if not params.get("torrentUrl") or not params.get("pluginName"):
            return self._text(400, "Bad Request")
        self.state.downloads.append(params)
        self._text(200)


ROUTES = {
    "auth/logout": ("POST", Qbt5Handler.logout),
    "app/webapiVersion": ("GET", Qbt5Handler.webapi_version),
    "app/version": ("GET", Qbt5Handler.app_version),
    "app/buildInfo": ("GET", Qbt5Handler.build_info),
    "torrents/info": ("GET", Qbt5Handler.info),
    "torrents/add": ("POST", Qbt5Handler.add),
    "torrents/stop": ("POST", Qbt5Handler.stop),
    "torrents/start": ("POST", Qbt5Handler.start),
    "torrents/delete": ("POST", Qbt5Handler.delete),
    "torrents/trackers": ("GET", Qbt5Handler.trackers),
    "torrents/editTracker": ("POST", Qbt5Handler.edit_tracker),
    "search/plugins": ("GET", Qbt5Handler.search_plugins),
    "search/start": ("POST", Qbt5Handler.search_start),
    "search/results": ("GET", Qbt5Handler.search_results),
    "search/stop": ("POST", Qbt5Handler.search_stop),
    "search/delete": ("POST", Qbt5Handler.search_delete),
    "search/downloadTorrent": ("POST", Qbt5Handler.search_download),
    "torrentcreator/addTask": ("POST", Qbt5Handler.creator_add),
    "torrentcreator/status": ("GET", Qbt5Handler.creator_status),  # GET or POST (seen on 5.3.0)
    "torrentcreator/torrentFile": ("POST", Qbt5Handler.creator_file),
    "torrentcreator/deleteTask": ("POST", Qbt5Handler.creator_delete),
}
