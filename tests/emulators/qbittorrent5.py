"""A qBittorrent 5.0 / 5.2 WebUI emulator, written from REFERENCE.md §1 (no 5.x server here).

What it reproduces: ``app/webapiVersion`` 2.11.2 (5.0) or 2.15.1 (5.2); login answers
(5.0: 200 ``Ok.``/``Fails.``; 5.2: 204 / 401), the session cookie (``SID`` on 5.0,
``QBT_SID_<port>`` on 5.2), 403 for a missing session, the ban after 5 failed logins (403),
API keys (``Authorization: Bearer``, 5.2 only; auth/* answer 403 with one), the localhost
bypass, Host/Origin checks (401), ``stop``/``start`` (``pause``/``resume`` are 404),
the ``stopped`` add flag and filter names (an unknown filter lists everything, as the real
server does), the JSON answer of ``torrents/add`` on 5.2 (409 when all fail) and
``editTracker``'s ``url`` (5.2) vs ``origUrl`` (5.0).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import secrets
import threading
from urllib.parse import parse_qs, urlsplit

from mktint.services.qbittorrent.metainfo import BadTorrent, torrent_id
from tests.support.httpserver import QuietHandler

PROFILES = {
    "5.0": {"app": "v5.0.4", "webapi": "2.11.2"},
    "5.2": {"app": "v5.2.1", "webapi": "2.15.1"},
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
        self.requests: list[tuple[str, str, dict, dict]] = []  # method, endpoint, params, headers
        self.lock = threading.Lock()

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
        return f"QBT_SID_{self.port}" if self.state.version == "5.2" else "SID"

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

    def _text(self, status: int, text: str = "", headers=None):
        self.send_body(status, text, "text/plain; charset=UTF-8", headers)

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
        if state.version == "5.2" and state.api_key and bearer == state.api_key:
            if endpoint.startswith("auth/"):
                return self._text(403, "Forbidden")
        elif not (state.bypass_localhost or self._session() in state.sessions):
            return self._text(403, "Forbidden")
        handler = ROUTES.get(endpoint)
        if handler is None:
            return self._text(404, "Not Found")
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
        if bearer and state.version == "5.2":
            return self._text(403, "Forbidden")
        if state.failed_logins >= BAN_AFTER:
            return self._text(403, "Your IP address has been banned after too many failed authentication attempts.")
        if params.get("username") == state.username and params.get("password") == state.password:
            sid = secrets.token_urlsafe(24)
            state.sessions.add(sid)
            cookie = {"Set-Cookie": f"{self.cookie_name}={sid}; HttpOnly; SameSite=Strict; path=/"}
            if state.version == "5.2":
                return self._text(204, "", cookie)
            return self._text(200, "Ok.", cookie)
        state.failed_logins += 1
        if state.version == "5.2":
            return self._text(401, "")
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
                "hash": infohash, "name": name, "state": "stoppedDL" if stopped else "stalledUP",
                "progress": 0 if stopped else 1, "size": 1, "category": params.get("category", ""),
                "tags": params.get("tags", "").replace(",", ", "), "save_path": params.get("savepath", "/downloads"),
                "added_on": 1700000000, "completion_on": -1, "ratio": 0, "upspeed": 0, "dlspeed": 0,
                "tracker": "", "trackers": ["https://tracker.example/passkey-old/announce"],
                "seed_mode": params.get("seedMode") == "true" or params.get("skip_checking") == "true"}
            ok += 1
            ids.append(infohash)
        if self.state.version == "5.2":
            answer = {"success_count": ok, "failure_count": failed, "pending_count": 0,
                      "added_torrent_ids": ids}
            return self._json(answer, 200 if ok else 409)
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
        old = params.get("url") if self.state.version == "5.2" else params.get("origUrl")
        if old not in t["trackers"] or params.get("newUrl") in t["trackers"]:
            return self._text(409, "Conflict")
        t["trackers"] = [params["newUrl"] if u == old else u for u in t["trackers"]]
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
}
