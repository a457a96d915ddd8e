"""MyAnonamouse: account status (``/jsonLoad.php``) and the dynamic-seedbox endpoint.

MAM has no upload API and its rules forbid automating the site beyond its JSON endpoints,
so this client speaks to those two only. Authentication is the ``mam_id`` session cookie
(secret ``MAM_ID``, created in the site's security preferences). A rejected cookie shows
up as HTTP 401/403 or as a redirect to the login page; redirects are never followed, so a
login page is never mistaken for data and the cookie never travels anywhere else.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

from mktint.core import redact
from mktint.core.errors import AuthError, ProtocolError, RateLimited
from mktint.core.http import HttpClient, json_body
from mktint.core.ratelimit import Rate
from mktint.core.service import ServiceClient

COOKIE_HINT = ("create a new session in MAM's Preferences → Security (it must allow this IP or "
               "ASN), then store it: mktint auth login {service} --secret MAM_ID")
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
        # The cookie is sent by auth_headers alone: never stored from answers, never sent twice.
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def auth_headers(self) -> dict[str, str]:
        return {"Cookie": f"mam_id={self.require_secret('MAM_ID')}"}

    # -- the account ------------------------------------------------------------------------

    def load(self, cookie: str | None = None) -> dict:
        """The raw ``/jsonLoad.php`` answer (with ``cookie`` instead of the stored one, if given)."""
        headers = {"Cookie": f"mam_id={cookie}"} if cookie else None
        response = self.request("GET", "/jsonLoad.php", headers=headers, authenticate=cookie is None,
                                follow_redirects=False)
        self._check_auth(response)
        data = json_body(response, self.name)
        if response.status_code != 200 or not isinstance(data, dict) or "username" not in data:
            raise ProtocolError(f"{self.name}: jsonLoad answered HTTP {response.status_code}: "
                                f"{_message(data)}", service=self.name)
        return data

    def status(self) -> MamStatus:
        return MamStatus.from_json(self.load())

    def confirm_credential(self, secret_name: str, value: str) -> str | None:
        """One jsonLoad call with the given cookie. A PASSKEY cannot be checked: None."""
        if secret_name != "MAM_ID":
            return None
        redact.register(value)
        status = MamStatus.from_json(self.load(value))
        return f"{status.username} ({status.user_class})" if status.user_class else status.username

    def end_session(self) -> None:
        """mam_id sessions are managed on the site (Preferences → Security); nothing to end."""

    # -- torrents ------------------------------------------------------------------------------

    # -- the seedbox IP ------------------------------------------------------------------------

    def register_seedbox(self) -> SeedboxResult:
        """Register this machine's IP as the seedbox address (one change per hour at most)."""
        url = self.config.get("seedbox_url")
        endpoint = _SeedboxEndpoint(self, url)
        try:
            # Sent once: the call changes state, and a retry would only meet the hourly limit.
            response = endpoint.request("GET", url, follow_redirects=False, retry_safe=False)
        except RateLimited as e:
            wait = e.retry_after or SEEDBOX_WAIT
            raise RateLimited(
                f"{self.name}: last seedbox IP change too recent; MAM allows one change per hour"
                + (f" — retry in {wait:.0f} s" if e.retry_after else " — retry within an hour"),
                retry_after=wait, service=self.name,
                hint="the registered IP stays as it is until then") from None
        finally:
            endpoint.close()
        self._check_auth(response)
        data = json_body(response, self.name)
        if not isinstance(data, dict) or not data.get("Success"):
            raise ProtocolError(f"{self.name}: seedbox registration failed: {_message(data)}",
                                service=self.name)
        message = str(data.get("msg") or "")
        return SeedboxResult(ip=data.get("ip"), changed=message.lower() != "no change", message=message,
                             asn=data.get("ASN"), as_name=data.get("AS"))

    # -- helpers ---------------------------------------------------------------------------------

    def _check_auth(self, response) -> None:
        hint = COOKIE_HINT.format(service=self.name)
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


class _SeedboxEndpoint(HttpClient):
    """The seedbox host (t.myanonamouse.net) as its own client: its hourly 429 must not block
    the rate limiter of the main site, and it is asked once per command."""

    rate = None

    def __init__(self, parent: MamClient, url: str):
        super().__init__(parent.name, url, timeout=parent.timeout[1], verify_tls=parent.verify_tls)
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._parent = parent

    def auth_headers(self) -> dict[str, str]:
        return self._parent.auth_headers()


def _message(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("msg", "error", "message"):
            if data.get(key):
                return redact.redact(str(data[key]))
    return redact.redact(str(data))[:200]
