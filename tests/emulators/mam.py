"""A MyAnonamouse emulator: ``/jsonLoad.php`` and ``/json/dynamicSeedbox.php``.

MAM publishes no server code; this follows REFERENCE.md §4 and the two maintained clients
that talk to these endpoints, each behaviour citing where it comes from:

- t-mart/mousehole — ``src/backend/external-api/mam.ts`` (the dynamicSeedbox call and how it
  reads the rotated ``mam_id`` from ``Set-Cookie``), ``src/backend/contact.ts`` (keeps
  ``rotatedCookie ?? cookie`` after every answer, whatever its status),
  ``docs/getting-your-cookie.md`` ("MAM rotates the cookie value each API call, so any other
  client sharing this cookie will be invalidated"), ``docs/mam-errors.md`` and
  ``tests/lib/mam-test-server.ts`` (dynamicSeedbox statuses and messages);
- Prowlarr/Prowlarr — ``src/NzbDrone.Core/Indexers/Definitions/MyAnonamouse.cs`` (stores
  "the updated mam_id value received in the response" after each answer with a 30-day
  lifetime; a non-200 answer or one that is not JSON means the session is gone and clears
  the cookie).

Behaviour:

- **Rotation.** Every answer to a live ``mam_id`` carries ``Set-Cookie: mam_id=<new>`` and the
  value just used stops working (mousehole's getting-your-cookie.md; Prowlarr's
  ``CookiesUpdater``). A request with a value that was live once and has been rotated away
  is *stale*: it is counted in ``server.stale`` and answered with HTTP 403, as MAM answers
  a dead session. ``server.mam_id`` is always the one live value.
- ``/jsonLoad.php`` returns the user's stats; sizes are human strings ("1.234 TiB") and,
  with ``with_bytes=True``, also ``uploaded_bytes``/``downloaded_bytes``. A cookie MAM does
  not know is answered, by ``reject``: ``"redirect"`` (302 to ``/login.php?returnto=...``),
  ``"403"`` (HTTP 403), or ``"html"`` (HTTP 200 ``text/html``, the login page itself —
  Prowlarr's parser treats a non-JSON content type as a lost session).
- ``/json/dynamicSeedbox.php`` (on t.myanonamouse.net in real life) registers the caller's
  IP: ``{"Success": true, "msg": "Completed", "ip", "ASN", "AS"}``; the same IP again is
  ``"No change"``; a change less than an hour after the last one is HTTP 429
  ``"Last change too recent"``; an unknown cookie is HTTP 403 ``"Invalid session"``; a
  session created without "Allow Session to set Dynamic Seedbox" (``seedbox_allowed=False``)
  is HTTP 403 ``"Incorrect session type - not allowed this function"`` (mousehole
  docs/mam-errors.md, tests/lib/mam-test-server.ts). Every answer carries the IP/ASN/AS
  (mam.ts: "MAM returns the host IP/ASN/AS on every response (even 429/403)").
- No public source says which ``Content-Type`` MAM gives its JSON; ``json_type`` picks it
  (PHP's default would be ``text/html``).
- ``/tor/upload.php`` is the manual web form: GET only; a POST is recorded (tests assert
  that nothing is ever submitted) and refused.

Usage: ``with mam_server() as mam: mam.url, mam.seedbox_url, mam.mam_id, mam.requests,
mam.stale, mam.issued``.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import secrets
import threading
import time
from http.cookies import SimpleCookie
from typing import Iterator
from urllib.parse import urlsplit

from tests.support.httpserver import QuietHandler, serve

VALID_MAM_ID = "mam-id-valid-0123456789abcdef"
SEEDBOX_INTERVAL = 3600.0
COOKIE_LIFETIME = 30 * 24 * 3600  # Prowlarr keeps a rotated mam_id for 30 days
HOST = {"ASN": 64500, "AS": "Example AS"}

USER = {
    "uid": 123456, "username": "mouse", "classname": "Power User", "ratio": 3.52,
    "uploaded": "1.234 TiB", "downloaded": "359.1 GiB", "seedbonus": 98765.4,
    "connectable": "yes", "country_code": "nl", "vip_until": None,
}


class MamHandler(QuietHandler):
    def cookie(self) -> str | None:
        jar = SimpleCookie(self.headers.get("Cookie", ""))
        return jar["mam_id"].value if "mam_id" in jar else None

    def session(self) -> str:
        """``"live"``, ``"stale"`` (rotated away) or ``"unknown"``; rotates a live cookie.

        Checking and rotating are one step under a lock, as on the real site: of two
        requests sent with the same value, only the first finds it live.
        """
        server = self.server
        cookie = self.cookie()
        with server.lock:
            server.requests.append((self.command, urlsplit(self.path).path, cookie))
            if cookie is not None and cookie == server.mam_id:
                server.mam_id = f"mam-id-rotated-{len(server.issued):04d}-{secrets.token_hex(8)}"
                server.issued.append(server.mam_id)
                self.rotated = server.mam_id
                return "live"
            if cookie in server.issued:
                server.stale += 1
                return "stale"
            return "unknown"

    def send_body(self, status, body, content_type="application/json", headers=None) -> None:
        if content_type == "application/json":
            content_type = self.server.json_type
        rotated = getattr(self, "rotated", None)
        if rotated:
            # mousehole mam.ts reads it with getSetCookie(); Prowlarr keeps it for 30 days.
            expires = email.utils.formatdate(time.time() + COOKIE_LIFETIME, usegmt=True)
            headers = {**(headers or {}), "Set-Cookie": (
                f"mam_id={rotated}; expires={expires}; Max-Age={COOKIE_LIFETIME}; path=/; HttpOnly")}
        super().send_body(status, body, content_type, headers)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/jsonLoad.php":
            return self.json_load(self.session())
        if path == "/json/dynamicSeedbox.php":
            return self.seedbox(self.session())
        self.server.requests.append(("GET", path, self.cookie()))
        if path == "/tor/upload.php":
            return self.send_body(200, "<html>upload form</html>", "text/html")
        self.send_body(404, "<html>not found</html>", "text/html")

    def do_POST(self) -> None:
        self.read_body()
        self.server.requests.append(("POST", urlsplit(self.path).path, self.cookie()))
        self.send_body(405, "<html>not allowed</html>", "text/html")

    def json_load(self, session: str) -> None:
        if session == "stale" or (session == "unknown" and self.server.reject == "403"):
            # ASSUMED status and body: the sources say only that a rotated-away cookie no
            # longer works and that any answer other than 200 means the session is gone
            # (Prowlarr's MyAnonamouse.cs); mktint must treat every such answer as auth.
            return self.send_body(403, json.dumps({"error": "Forbidden"}))
        if session == "unknown" and self.server.reject == "html":
            return self.send_body(200, "<!DOCTYPE html><html><head><title>Login</title></head>"
                                       "<body><form action=\"/takelogin.php\"></form></body></html>",
                                  "text/html; charset=utf-8")
        if session == "unknown":
            return self.send_body(302, "", "text/html",
                                  {"Location": "/login.php?returnto=%2FjsonLoad.php"})
        user = dict(self.server.user)
        if self.server.with_bytes:
            user["uploaded_bytes"] = 1356797348987
            user["downloaded_bytes"] = 385581321011
        self.send_body(200, json.dumps(user))

    def seedbox(self, session: str) -> None:
        ip = self.client_address[0]
        host = {"ip": ip, **HOST}
        if session != "live":
            return self.send_body(403, json.dumps({"Success": False, "msg": "Invalid session", **host}))
        if not self.server.seedbox_allowed:
            return self.send_body(403, json.dumps({
                "Success": False, "msg": "Incorrect session type - not allowed this function", **host}))
        now = time.time()
        if ip == self.server.seedbox_ip:
            return self.send_body(200, json.dumps({"Success": True, "msg": "No change", **host}))
        last = self.server.last_change
        if last is not None and now - last < SEEDBOX_INTERVAL:
            headers = {"Retry-After": str(self.server.retry_after)} if self.server.retry_after else None
            return self.send_body(429, json.dumps({"Success": False, "msg": "Last change too recent",
                                                   **host}), headers=headers)
        self.server.seedbox_ip, self.server.last_change = ip, now
        self.send_body(200, json.dumps({"Success": True, "msg": "Completed", **host}))


@contextlib.contextmanager
def mam_server(*, mam_id: str = VALID_MAM_ID, reject: str = "redirect", with_bytes: bool = False,
               user: dict | None = None, seedbox_ip: str | None = None,
               last_change: float | None = None, retry_after: int | None = None,
               seedbox_allowed: bool = True, json_type: str = "application/json") -> Iterator:
    """Run the emulator; the yielded server has ``.url``, ``.seedbox_url``, ``.mam_id`` (the
    live cookie), ``.issued`` (every value ever live, first included), ``.stale`` (requests
    sent with a rotated-away value) and ``.requests`` (method, path, cookie)."""
    with serve(MamHandler, mam_id=mam_id, issued=[mam_id], stale=0, lock=threading.Lock(),
               reject=reject, with_bytes=with_bytes, user=user or USER, seedbox_ip=seedbox_ip,
               last_change=last_change, retry_after=retry_after,
               seedbox_allowed=seedbox_allowed, json_type=json_type, requests=[]) as server:
        server.seedbox_url = server.url + "/json/dynamicSeedbox.php"
        yield server
