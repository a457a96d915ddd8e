"""Authentication, the cached session cookie and the server's WebAPI version.

Rules (REFERENCE.md §1):
- A request is sent first with whatever session we have (cached cookie, API key, or
  nothing — servers that bypass auth for localhost answer it). A 403 means the session is
  missing or expired: log in once and resend; a second 403 is an AuthError.
- A login is sent once and never retried: five failures ban the IP for an hour. Across
  runs too: after a rejected password, later runs refuse to try the *same* password again
  (a salted HMAC of it is kept, 0600, never the password) until `mktint auth login`
  confirms a password or another one is configured — a cron job cannot ban the IP.
- Logins to one service are one at a time across processes (a ``flock`` on
  ``<state>/qbittorrent/<service>.login.lock`` around check → record → send → result):
  a run that waited first takes the session the other one cached, or sees its rejection
  and sends nothing. The attempt is recorded *before* it is sent; if it cannot be
  recorded (a full or read-only disk) nothing is sent (issue 21). The record is dropped
  only when the answer says the password was accepted or not checked, or the POST
  provably never reached the server (refused, connect timeout, TLS failure); a lost
  answer (a dropped connection, a read timeout, Ctrl-C) keeps it, and the next run
  refuses to send that password blind (`mktint auth login --force` is the way past).
- A 401 is the Host-header/CSRF check (it runs before anything else), never an expired
  session: no re-login. On auth/login a 401 is a rejected password only from 5.2 — and
  only if an unauthenticated ``app/webapiVersion`` is then answered 403 (needs login),
  not 401 (Host/CSRF again; src/webui/webapplication.cpp processRequest). A Host/CSRF
  rejection is never remembered as a rejected password.
- No Referer or Origin header is ever sent.
- The cookie jar is cached per service in the state directory (mode 0600) and reused by
  the next run; ``end_session`` logs out and drops it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import secrets
from pathlib import Path
from typing import Iterator

import requests

from mktint.core import locks, paths, redact
from mktint.core.errors import (AuthError, NotFound, NotSent, OperationFailed, ProtocolError,
                                 TemporaryError)
from mktint.core.service import ServiceClient
from mktint.services.qbittorrent import cookies, vocab
from mktint.services.qbittorrent.vocab import API

log = logging.getLogger("mktint.qbittorrent")

HOST_REJECTED = ("qBittorrent refused the request's Host or Origin header (HTTP 401 to {endpoint}); "
                 "the password was not checked")
CSRF_HINT = ("qBittorrent rejected the request's Host or Origin header. If the WebUI runs in "
             "Docker with a remapped port or behind a reverse proxy, use the URL and port the "
             "WebUI itself listens on, or enable its reverse-proxy support / disable "
             "'Host header validation' in the WebUI options")
BAN_HINT = ("qBittorrent bans an IP for an hour (default) after 5 failed logins; wait, or "
            "restart qBittorrent. mktint never retries a failed login")


def succeeded(response: requests.Response) -> bool:
    """Any 2xx: from 5.2 an action whose controller sets no result answers 204 with no body
    (src/webui/webapplication.cpp; editTracker on 5.3.0), and a status line may carry no
    reason phrase."""
    return 200 <= response.status_code < 300


class _Rejected(AuthError):
    """qBittorrent judged the user name or password wrong."""


class QBittorrentSession(ServiceClient):
    rate = None  # a local WebUI; no published limit

    def __init__(self, config, credentials):
        super().__init__(config, credentials)
        self._webapi: vocab.Version | None = None
        self._cookies_loaded = False
        self._cookies_seen: str | None = None  # the cookie cache as this process last read it
        self._logged_in = False  # a login was made by this process

    # -- credentials -----------------------------------------------------------------------

    @property
    def username(self) -> str:
        return self.config.get("username") or "admin"

    def _api_key(self) -> str | None:
        return self.secret("API_KEY")

    def auth_headers(self) -> dict[str, str]:
        key = self._api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    # -- cookie cache ----------------------------------------------------------------------

    def _load_cookies(self) -> None:
        if self._cookies_loaded:
            return
        self._cookies_loaded = True
        self._cookies_seen = cookies.read_text(self.name)
        for c in cookies.parse(self._cookies_seen, self.base_url):
            self.session.cookies.set(c["name"], c["value"], domain=c.get("domain") or "",
                                     path=c.get("path") or "/")

    def _save_cookies(self) -> None:
        try:
            self._cookies_seen = cookies.write(self.name, self.base_url, [
                {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
                for c in self.session.cookies])
        except OSError as e:  # the next run logs in again; a good login never gets anyone banned
            log.warning("%s: could not cache the session in %s: %s", self.name,
                        cookies.cache_path(self.name), e.strerror or e)

    def _cookies_changed(self) -> bool:
        """Whether another run cached a new session since this one read the cache; if so
        it is taken."""
        text = cookies.read_text(self.name)
        if text is None or text == self._cookies_seen:
            return False
        self._cookies_loaded = False
        self.session.cookies.clear()
        self._load_cookies()
        return len(self.session.cookies) > 0

    def _drop_cookies(self) -> None:
        self.session.cookies.clear()
        cookies.drop(self.name)

    # -- remembered login failures ---------------------------------------------------------

    @property
    def failed_login_path(self) -> Path:
        return paths.state_dir() / "qbittorrent" / f"{self.name}.failed-login.json"

    def _fingerprint(self, password: str, salt: str) -> str:
        message = f"{self.base_url}\0{self.username}\0{password}".encode()
        return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()

    def _failed_before(self, password: str | None = None) -> str | None:
        """Why ``password`` (None: whichever was recorded) must not be sent again
        ("rejected" or "unfinished"), or None."""
        try:
            marker = json.loads(self.failed_login_path.read_text())
            if password is None or hmac.compare_digest(marker["fingerprint"],
                                                       self._fingerprint(password, marker["salt"])):
                return "unfinished" if marker.get("result") == "sent" else "rejected"
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        return None

    def _write_marker(self, password: str, result: str) -> None:
        salt = secrets.token_hex(16)
        paths.ensure_private_dir(self.failed_login_path.parent)
        paths.atomic_write(self.failed_login_path,
                           json.dumps({"salt": salt, "fingerprint": self._fingerprint(password, salt),
                                       "result": result}),
                           mode=0o600)

    def _record_attempt(self, password: str) -> None:
        """Written before auth/login is sent; a run that dies mid-login leaves it behind, and
        the next run does not send that password blind. Unwritable: nothing is sent."""
        try:
            self._write_marker(password, "sent")
        except OSError as e:
            raise OperationFailed(
                f"{self.name}: not logging in: cannot record the login attempt in "
                f"{self.failed_login_path.parent}: {e.strerror or e}", service=self.name,
                hint="free space in (or fix the rights of) mktint's state folder; every login is "
                     "recorded before it is sent so that repeated or parallel runs cannot get the IP "
                     "banned") from None

    def _remember_failure(self, password: str) -> None:
        try:
            self._write_marker(password, "rejected")
        except OSError:
            pass  # the attempt recorded before sending still blocks this password

    def _forget_failure(self) -> None:
        try:
            self.failed_login_path.unlink()
        except FileNotFoundError:
            pass

    # -- login -----------------------------------------------------------------------------

    @property
    def login_lock_path(self) -> Path:
        return paths.state_dir() / "qbittorrent" / f"{self.name}.login.lock"

    @contextlib.contextmanager
    def _login_lock(self) -> Iterator[None]:
        """One login to this service at a time, across processes."""
        with contextlib.ExitStack() as stack:
            try:
                paths.ensure_private_dir(self.login_lock_path.parent)
                stack.enter_context(locks.held(self.login_lock_path))
            except OSError as e:
                raise OperationFailed(f"{self.name}: not logging in: cannot open the login lock "
                                      f"{self.login_lock_path}: {e.strerror or e}", service=self.name,
                                      hint="check mktint's state folder (space and rights)") from None
            yield

    def _refuse_if_failed_before(self, password: str, hint: str | None = None) -> None:
        reason = self._failed_before(password)
        if reason is None:
            return
        what = ("qBittorrent rejected this password last time" if reason == "rejected" else
                "a login with this password did not finish last time (its result is unknown)")
        raise AuthError(f"{self.name}: not logging in: {what}", service=self.name,
                        hint=hint or f"store the right password with `mktint auth login {self.name}` "
                                     "(it is checked once); repeated failed logins get the IP banned "
                                     "for an hour")

    def _login(self, password: str, *, adopt: bool = False) -> None:
        """One POST auth/login under the login lock, recorded before it is sent. Never
        retried; failures raise AuthError. A password rejected before is not sent
        (``forget_rejected_secret`` lifts that). With ``adopt``, a session another run
        cached meanwhile is taken instead."""
        with self._login_lock():
            if adopt and self._cookies_changed():
                return
            self._refuse_if_failed_before(password)
            self._record_attempt(password)
            self._send_login(password)

    def _send_login(self, password: str) -> None:
        """Send auth/login: logged in, or _Rejected (the password), or another error (an
        answer that says nothing about the password)."""
        self.session.cookies.clear()
        try:
            response = self.request("POST", API + "auth/login",
                                    data={"username": self.username, "password": password},
                                    authenticate=False, retry_safe=False)
        except NotSent:
            self._forget_failure()  # the server saw nothing: the password was not counted
            raise
        body = response.text.strip()
        if response.status_code == 204 or (response.status_code == 200 and body == "Ok."):
            self._logged_in = True
            self._forget_failure()
            self._save_cookies()
            return
        if response.status_code == 401 and self._host_rejected():
            self._forget_failure()  # the Host/CSRF check runs before the password is read
            raise AuthError(f"{self.name}: " + HOST_REJECTED.format(endpoint="auth/login"),
                            service=self.name, hint=CSRF_HINT)
        if response.status_code == 401 or (response.status_code == 200 and body == "Fails."):
            self._remember_failure(password)
            raise _Rejected(f"{self.name}: qBittorrent rejected the user name or password",
                            service=self.name,
                            hint=f"check `username` in [services.{self.name}] and store the right "
                                 f"password with `mktint auth login {self.name}`; "
                                 "5 failed logins get the IP banned for an hour")
        if response.status_code == 403:
            # A banned IP is refused before the password is read
            # (src/webui/api/authcontroller.cpp loginAction, isBanned()).
            self._forget_failure()
            raise AuthError(f"{self.name}: this IP is banned by qBittorrent after too many failed logins",
                            service=self.name, hint=BAN_HINT)
        if response.status_code >= 500:  # a proxy in front of a restarting server, say
            raise TemporaryError(f"{self.name}: qBittorrent answered HTTP {response.status_code} "
                                 "to auth/login", service=self.name,
                                 hint="the login's result is unknown, so later runs will not send "
                                      "this password again; when qBittorrent is back, run "
                                      f"`mktint auth login {self.name} --force`")
        raise self._unexpected(response, "auth/login")

    def _host_rejected(self) -> bool:
        """After a 401 to auth/login: is it the Host/CSRF check rather than the password?
        An unauthenticated app/webapiVersion answers 401 (the same check) or 403 (login needed)."""
        probe = self.request("GET", API + "app/webapiVersion", authenticate=False)
        probe.close()
        return probe.status_code == 401

    def _relogin(self) -> None:
        if self._api_key():
            raise AuthError(f"{self.name}: qBittorrent rejected the API key",
                            service=self.name,
                            hint="API keys need qBittorrent 5.2+; check the key in the WebUI "
                                 f"options and store it with `mktint auth login {self.name} --secret API_KEY`")
        if self._logged_in:
            # One login per run: a second one could turn a server problem into a login loop.
            raise AuthError(f"{self.name}: qBittorrent answered 403 again after this run's login",
                            service=self.name, hint="the session may have been dropped (server restart, "
                                                    "session limit); run the command again")
        self._login(self.require_secret("PASSWORD"), adopt=True)

    # -- the one way to call the API -------------------------------------------------------

    def call(self, method: str, endpoint: str, **kwargs) -> requests.Response:
        """Send ``api/v2/<endpoint>``; log in once on 403; map 401/404/409/5xx to errors.

        Returns 2xx responses and the 4xx ones the caller must interpret (400, 404, 409, 415).
        """
        self._load_cookies()
        response = self.request(method, API + endpoint, **kwargs)
        if response.status_code == 403:
            response.close()
            self._relogin()
            response = self.request(method, API + endpoint, **kwargs)
            if response.status_code == 403:
                raise AuthError(f"{self.name}: qBittorrent still answers 403 after a fresh login",
                                service=self.name, hint="check the WebUI user's rights and IP bans")
        if response.status_code == 401:
            raise AuthError(f"{self.name}: " + HOST_REJECTED.format(endpoint=endpoint),
                            service=self.name, hint=CSRF_HINT)
        if response.status_code >= 500:
            raise TemporaryError(f"{self.name}: qBittorrent answered HTTP {response.status_code} "
                                 f"to {endpoint}", service=self.name, hint="try again later")
        return response

    def _unexpected(self, response: requests.Response, endpoint: str) -> ProtocolError:
        text = redact.redact(response.text.strip()[:200])
        return ProtocolError(f"{self.name}: unexpected answer to {endpoint}: HTTP "
                             f"{response.status_code} {text!r}", service=self.name)

    def checked(self, method: str, endpoint: str, *, missing: str | None = None,
                missing_status: int = 404, missing_hint: str | None = None,
                **kwargs) -> requests.Response:
        """``call``, and the answer must be a 2xx. With ``missing``, the status the endpoint
        uses for "no such thing" (404; 409 for RSS items) is a NotFound saying so."""
        response = self.call(method, endpoint, **kwargs)
        if missing is not None and response.status_code == missing_status:
            raise NotFound(f"{self.name}: {missing}", service=self.name, hint=missing_hint)
        if not succeeded(response):
            raise self._unexpected(response, endpoint)
        return response

    def text(self, endpoint: str, params=None) -> str:
        return self.checked("GET", endpoint, params=params).text

    def json(self, endpoint: str, params=None, *, missing: str | None = None):
        from mktint.core.http import json_body

        return json_body(self.checked("GET", endpoint, params=params, missing=missing), self.name)

    def post(self, endpoint: str, data=None, files=None) -> requests.Response:
        response = self.call("POST", endpoint, data=data, files=files)
        if not succeeded(response):
            raise self._unexpected(response, endpoint)
        return response

    # -- versions --------------------------------------------------------------------------

    @property
    def webapi_version(self) -> vocab.Version:
        """The server's WebAPI version as a tuple of ints, read once per client."""
        if self._webapi is None:
            text = self.text("app/webapiVersion")
            try:
                self._webapi = vocab.parse_version(text)
            except ValueError:
                raise ProtocolError(f"{self.name}: unreadable WebAPI version {text[:40]!r}",
                                    service=self.name) from None
        return self._webapi

    # -- what `mktint auth` calls ----------------------------------------------------------

    def confirm_credential(self, secret_name: str, value: str) -> str | None:
        """Check ``value`` against the server once; returns 'user@version'."""
        redact.register(value)
        if secret_name == "API_KEY":
            response = self.request("GET", API + "app/version", authenticate=False,
                                    headers={"Authorization": f"Bearer {value}"})
            if response.status_code in (401, 403):
                raise AuthError(f"{self.name}: qBittorrent rejected the API key", service=self.name,
                                hint="API keys need qBittorrent 5.2+")
            if response.status_code != 200:
                raise self._unexpected(response, "app/version")
            return f"API key on qBittorrent {response.text.strip()}"
        self._refuse_if_failed_before(value, hint="give the right one, or --force to send this one "
                                                  "anyway (5 failed logins get the IP banned for an hour)")
        self._login(value)
        return f"{self.username} on qBittorrent {self.text('app/version').strip()}"

    def rejected_secret_note(self, secret_name: str) -> str | None:
        reason = self._failed_before() if secret_name == "PASSWORD" else None
        if reason == "unfinished":
            return "the last login got no answer (qBittorrent may have counted it as a failure)"
        return "qBittorrent rejected the password tried last time" if reason else None

    def forget_rejected_secret(self, secret_name: str) -> None:
        if secret_name == "PASSWORD":
            with self._login_lock():
                self._forget_failure()

    def end_session(self) -> None:
        """Log out on the server (when a session cookie is cached) and drop the cache."""
        self._load_cookies()
        try:
            if len(self.session.cookies) and not self._api_key():
                self.request("POST", API + "auth/logout", retry_safe=False).close()
        finally:  # an unreachable server must not keep the cookie on disk
            self._drop_cookies()
