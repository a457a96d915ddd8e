"""MyAnonamouse: account status (``/jsonLoad.php``) and the dynamic-seedbox endpoint.

MAM has no upload API and its rules forbid automating the site beyond its JSON endpoints,
so this client speaks to those two only. Authentication is the ``mam_id`` session cookie
(secret ``MAM_ID``, created in the site's security preferences).

The cookie rotates: every answer carries ``Set-Cookie: mam_id=<new>`` and the value just
sent stops working (t-mart/mousehole, docs/getting-your-cookie.md; Prowlarr's MyAnonamouse
indexer). Each request therefore runs inside ``Credentials.rotating``: a lock shared by
every mktint process is held from reading the cookie until the new one is stored, and the
request is sent once (a retry would carry a value the lost answer may have replaced).
The new value is registered with the redactor before anything else sees it.

A rejected cookie shows up as HTTP 401/403, as a redirect to the login page, or as the
login page itself (HTTP 200, HTML). Redirects are never followed, so a login page is never
mistaken for data and the cookie never travels anywhere else.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from dataclasses import asdict, dataclass
from http.cookies import CookieError, SimpleCookie
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

from mktint.core import redact
from mktint.core.errors import AuthError, ProtocolError, RateLimited
from mktint.core.http import HttpClient, json_body
from mktint.core.ratelimit import Rate
from mktint.core.service import ServiceClient

COOKIE = "mam_id"
COOKIE_HINT = ("create a new session in MAM's Preferences → Security (it must allow this IP or "
               "ASN), then store it: mktint auth login {service} --secret MAM_ID")
SEEDBOX_HINT = ("the session must allow this: in MAM's Preferences → Security, create a session "
                "with \"Allow Session to set Dynamic Seedbox\" = Yes (it cannot be changed on an "
                "existing one), then store it: mktint auth login {service} --secret MAM_ID")
SEEDBOX_WAIT = 3600.0  # MAM allows one seedbox IP change per hour

_SIZE = re.compile(r"^\s*([\d.,]+)\s*([KMGTPE]?i?B)?\s*$", re.IGNORECASE | re.ASCII)
_FACTORS = {"": 1, "B": 1}
for _i, _prefix in enumerate("KMGTPE", start=1):
    _FACTORS[f"{_prefix}IB"] = 1024 ** _i
    _FACTORS[f"{_prefix}B"] = 1000 ** _i


def parse_mam_size(value: Any) -> int | None:
    """Bytes from MAM's sizes: ``"1.234 TiB"``, ``"512 MiB"``, ``"0 B"`` or a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value) if math.isfinite(value) else None
    match = _SIZE.match(str(value))
    if not match:
        return None
    try:
        number = float(match.group(1).replace(",", ""))
    except ValueError:
        return None
    size = number * _FACTORS[(match.group(2) or "").upper()]
    return round(size) if math.isfinite(size) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None  # "Inf", "---": no meaningful ratio


@dataclass
class MamStatus:
    username: str
    uid: int | None
    user_class: str | None
    ratio: float | None
    ratio_raw: Any
    uploaded: int | None
    uploaded_raw: Any
    downloaded: int | None
    downloaded_raw: Any
    seedbonus: float | None

    @classmethod
    def from_json(cls, data: dict) -> "MamStatus":
        def size(name: str) -> int | None:
            exact = data.get(f"{name}_bytes")
            return parse_mam_size(exact) if exact is not None else parse_mam_size(data.get(name))

        uid = data.get("uid")
        return cls(
            username=str(data.get("username") or ""),
            uid=int(uid) if str(uid or "").isdigit() else None,
            user_class=data.get("classname") or data.get("class"),
            ratio=_number(data.get("ratio")), ratio_raw=data.get("ratio"),
            uploaded=size("uploaded"), uploaded_raw=data.get("uploaded"),
            downloaded=size("downloaded"), downloaded_raw=data.get("downloaded"),
            seedbonus=_number(data.get("seedbonus")),
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SeedboxResult:
    ip: str | None
    changed: bool
    message: str
    asn: Any = None
    as_name: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class MamClient(ServiceClient):
    # Be polite: MAM publishes no limit for its JSON endpoints; a person never needs more.
    rate = Rate(10, 60.0)

    def __init__(self, config, credentials):
        super().__init__(config, credentials)
        # The cookie is sent by _send alone: never kept in the session's jar, never sent twice.
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._stored: dict[str, str] = {}  # confirmed cookie -> where its replacement went

    # -- the account ------------------------------------------------------------------------

    def load(self, cookie: str | None = None) -> dict:
        """The raw ``/jsonLoad.php`` answer (with ``cookie`` instead of the stored one, if given)."""
        response = self._send(self, "/jsonLoad.php", cookie)
        self._check_auth(response)
        data = json_body(response, self.name)
        if response.status_code != 200 or not isinstance(data, dict) or "username" not in data:
            raise ProtocolError(f"{self.name}: jsonLoad answered HTTP {response.status_code}: "
                                f"{_message(data)}", service=self.name)
        return data

    def status(self) -> MamStatus:
        return MamStatus.from_json(self.load())

    def confirm_credential(self, secret_name: str, value: str) -> str | None:
        """One jsonLoad call with the given cookie. A PASSKEY cannot be checked: None.

        MAM replaces the cookie in its answer; the replacement is stored at once (the given
        value no longer works), and :meth:`store_credential` reports where it went.
        """
        if secret_name != "MAM_ID":
            return None
        redact.register(value)
        status = MamStatus.from_json(self.load(value))
        return f"{status.username} ({status.user_class})" if status.user_class else status.username

    def store_credential(self, secret_name: str, value: str) -> str:
        if secret_name == "MAM_ID" and value in self._stored:
            return self._stored[value]
        return super().store_credential(secret_name, value)

    def end_session(self) -> None:
        """mam_id sessions are managed on the site (Preferences → Security); nothing to end."""

    # -- the seedbox IP ------------------------------------------------------------------------

    def register_seedbox(self) -> SeedboxResult:
        """Register this machine's IP as the seedbox address (one change per hour at most)."""
        url = self.config.get("seedbox_url")
        endpoint = _SeedboxEndpoint(self, url)
        try:
            response = self._send(endpoint, url)
        except RateLimited as e:
            wait = e.retry_after or SEEDBOX_WAIT
            raise RateLimited(
                f"{self.name}: last seedbox IP change too recent; MAM allows one change per hour"
                + (f" — retry in {wait:.0f} s" if e.retry_after else " — retry within an hour"),
                retry_after=wait, service=self.name,
                hint="the registered IP stays as it is until then") from None
        finally:
            endpoint.close()
        self._check_auth(response, hint=SEEDBOX_HINT)
        data = json_body(response, self.name)
        if not isinstance(data, dict) or not data.get("Success"):
            raise ProtocolError(f"{self.name}: seedbox registration failed: {_message(data)}",
                                service=self.name)
        message = str(data.get("msg") or "")
        return SeedboxResult(ip=data.get("ip"), changed=message.lower() != "no change", message=message,
                             asn=data.get("ASN"), as_name=data.get("AS"))

    # -- helpers ---------------------------------------------------------------------------------

    def _send(self, client: HttpClient, path: str, cookie: str | None = None):
        """GET ``path`` with the stored cookie (or ``cookie``), and store the one MAM gives back.

        Sent once, whatever the answer: a retry would carry the value that the lost or
        refused answer may already have replaced.
        """
        with self.credentials.rotating(self.name, "MAM_ID") as held:
            sent = cookie or held.value
            given = []  # seen by a hook: the base client raises on some answers (429)

            def remember(response, *args, **kwargs):
                given.append(rotated_cookie(response))

            client.session.hooks["response"].append(remember)
            try:
                return client.request("GET", path, headers={"Cookie": f"{COOKIE}={sent}"},
                                      authenticate=False, follow_redirects=False, retry_safe=False)
            finally:
                client.session.hooks["response"].remove(remember)
                new = next((value for value in reversed(given) if value), None)
                if new and new != sent:
                    where = held.replace(sent, new)
                    if cookie:
                        self._stored[cookie] = where

    def _check_auth(self, response, hint: str = COOKIE_HINT) -> None:
        hint = hint.format(service=self.name)
        if response.is_redirect:
            location = response.headers.get("Location", "")
            if "login" in location.lower():
                raise AuthError(f"{self.name} rejected the mam_id cookie (redirected to the login page)",
                                service=self.name, hint=hint)
            raise ProtocolError(f"{self.name}: unexpected redirect to {urlsplit(location).path or location}",
                                service=self.name)
        if response.status_code in (401, 403):
            try:
                detail = _message(response.json())
            except ValueError:
                detail = f"HTTP {response.status_code}"
            raise AuthError(f"{self.name} rejected the mam_id cookie: {detail}", service=self.name, hint=hint)
        if response.status_code == 200 and _is_page(response):
            # A dead session may be answered with the login page itself (Prowlarr's indexer
            # treats a non-JSON answer as a lost session too).
            raise AuthError(f"{self.name} rejected the mam_id cookie (answered with an HTML page, "
                            "not JSON: the login page)", service=self.name, hint=hint)


def _is_page(response) -> bool:
    """An HTML page instead of JSON. JSON labelled ``text/html`` (PHP's default) is data."""
    try:
        response.json()
        return False
    except ValueError:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return content_type == "text/html" or response.text.lstrip()[:1] == "<"


def rotated_cookie(response) -> str | None:
    """The new ``mam_id`` set by ``response``, or None (none set, or the cookie deleted)."""
    raw_headers = getattr(response.raw, "headers", None)
    values = (raw_headers.getlist("Set-Cookie") if hasattr(raw_headers, "getlist")
              else [response.headers.get("Set-Cookie") or ""])
    found = None
    for header in values:
        jar = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        morsel = jar.get(COOKIE)
        if morsel is None:
            continue
        found = morsel.value if morsel.value and not _expired(morsel) else None
    if found:
        redact.register(found)
    return found


def _expired(morsel) -> bool:
    """A Set-Cookie that deletes the cookie (``Max-Age`` ≤ 0 or ``Expires`` in the past)."""
    max_age = morsel["max-age"]
    if max_age:
        try:
            return int(max_age) <= 0
        except ValueError:
            return False
    if morsel["expires"]:
        try:
            return email.utils.parsedate_to_datetime(morsel["expires"]).timestamp() <= time.time()
        except (TypeError, ValueError):
            return False
    return False


class _SeedboxEndpoint(HttpClient):
    """The seedbox host (t.myanonamouse.net) as its own client: its hourly 429 must not block
    the rate limiter of the main site, and it is asked once per command."""

    rate = None

    def __init__(self, parent: MamClient, url: str):
        super().__init__(parent.name, url, timeout=parent.timeout[1], deadline=parent.deadline,
                         verify_tls=parent.verify_tls)
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))


def _message(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("msg", "error", "message"):
            if data.get(key):
                return redact.redact(str(data[key]))
    return redact.redact(str(data))[:200]
