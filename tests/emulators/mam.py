"""A MyAnonamouse emulator: ``/jsonLoad.php`` and ``/json/dynamicSeedbox.php``.

Written from REFERENCE.md §4 and what public MAM clients handle:

- The session is the ``mam_id`` cookie. A missing or unknown cookie on ``/jsonLoad.php``
  is answered with a 302 to ``/login.php?returnto=...`` (``reject="redirect"``, the
  default) or with HTTP 403 (``reject="403"``).
- ``/jsonLoad.php`` returns the user's stats; sizes are human strings ("1.234 TiB") and,
  with ``with_bytes=True``, also ``uploaded_bytes``/``downloaded_bytes``.
- ``/json/dynamicSeedbox.php`` (on t.myanonamouse.net in real life) registers the caller's
  IP: ``{"Success": true, "msg": "Completed", "ip", "ASN", "AS"}``; the same IP again is
  ``"No change"``; a change less than an hour after the last one is HTTP 429
  ``{"Success": false, "msg": "Last change too recent"}``; a missing or unknown cookie is
  HTTP 403 ``{"Success": false, "msg": "Invalid session"}``.
- ``/tor/upload.php`` is the manual web form: GET only; a POST is recorded (tests assert
  that nothing is ever submitted) and refused.

Usage: ``with mam_server() as mam: mam.url, mam.seedbox_url, mam.mam_id, mam.requests``.
"""

from __future__ import annotations

import contextlib
import json
import time
from http.cookies import SimpleCookie
from typing import Iterator
from urllib.parse import urlsplit

from tests.support.httpserver import QuietHandler, serve

VALID_MAM_ID = "mam-id-valid-0123456789abcdef"
SEEDBOX_INTERVAL = 3600.0

USER = {
    "uid": 123456, "username": "mouse", "classname": "Power User", "ratio": 3.52,
    "uploaded": "1.234 TiB", "downloaded": "359.1 GiB", "seedbonus": 98765.4,
    "connectable": "yes", "country_code": "nl", "vip_until": None,
}


class MamHandler(QuietHandler):
    def cookie(self) -> str | None:
        jar = SimpleCookie(self.headers.get("Cookie", ""))
        return jar["mam_id"].value if "mam_id" in jar else None

    def authorised(self) -> bool:
        return self.cookie() == self.server.mam_id

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.requests.append(("GET", path, self.cookie()))
        if path == "/jsonLoad.php":
            return self.json_load()
        if path == "/json/dynamicSeedbox.php":
            return self.seedbox()
        if path == "/tor/upload.php":
            return self.send_body(200, "<html>upload form</html>", "text/html")
        self.send_body(404, "<html>not found</html>", "text/html")

    def do_POST(self) -> None:
        self.read_body()
        self.server.requests.append(("POST", urlsplit(self.path).path, self.cookie()))
        self.send_body(405, "<html>not allowed</html>", "text/html")

    def json_load(self) -> None:
        if not self.authorised():
            if self.server.reject == "403":
                return self.send_body(403, json.dumps({"error": "Forbidden"}))
            return self.send_body(302, "", "text/html",
                                  {"Location": "/login.php?returnto=%2FjsonLoad.php"})
        user = dict(self.server.user)
        if self.server.with_bytes:
            user["uploaded_bytes"] = 1356797348987
            user["downloaded_bytes"] = 385581321011
        self.send_body(200, json.dumps(user))

    def seedbox(self) -> None:
        if not self.authorised():
            return self.send_body(403, json.dumps({"Success": False, "msg": "Invalid session"}))
        ip = self.client_address[0]
        now = time.time()
        if ip == self.server.seedbox_ip:
            return self.send_body(200, json.dumps({"Success": True, "msg": "No change", "ip": ip,
                                                   "ASN": 64500, "AS": "Example AS"}))
        last = self.server.last_change
        if last is not None and now - last < SEEDBOX_INTERVAL:
            headers = {"Retry-After": str(self.server.retry_after)} if self.server.retry_after else None
            return self.send_body(429, json.dumps({"Success": False, "msg": "Last change too recent"}),
                                  headers=headers)
        self.server.seedbox_ip, self.server.last_change = ip, now
        self.send_body(200, json.dumps({"Success": True, "msg": "Completed", "ip": ip,
                                        "ASN": 64500, "AS": "Example AS"}))


@contextlib.contextmanager
def mam_server(*, mam_id: str = VALID_MAM_ID, reject: str = "redirect", with_bytes: bool = False,
               user: dict | None = None, seedbox_ip: str | None = None,
               last_change: float | None = None, retry_after: int | None = None) -> Iterator:
    """Run the emulator; the yielded server has ``.url``, ``.seedbox_url``, ``.mam_id`` and
    ``.requests`` (method, path, cookie) of everything it was sent."""
    with serve(MamHandler, mam_id=mam_id, reject=reject, with_bytes=with_bytes,
               user=user or USER, seedbox_ip=seedbox_ip, last_change=last_change,
               retry_after=retry_after, requests=[]) as server:
        server.seedbox_url = server.url + "/json/dynamicSeedbox.php"
        yield server
