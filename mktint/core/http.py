"""The base HTTP client every service client extends.

One ``requests.Session`` per client (connection pooling, cookie jar), an honest
User-Agent, connect and read timeouts on every request, a per-service rate limiter that
every request — redirects included — passes through, retries only where they are safe,
a ``--debug`` trace with secrets masked, and the one place where transport failures
become mktint errors.

Retry rules: idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) and requests the caller
marks ``retry_safe=True`` are retried on connection errors, 502/503/504 and 429 (waiting
``Retry-After``), with exponential backoff and jitter, at most ``MAX_ATTEMPTS`` times and
``MAX_RETRY_WAIT`` seconds in all. Anything else — an upload, a login — is sent once.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from mktint import PROJECT_URL, __version__
from mktint.core import redact
from mktint.core.errors import ProtocolError, RateLimited, TemporaryError, Timeout
from mktint.core.ratelimit import Rate, RateLimiter

USER_AGENT = f"mktint/{__version__} (+{PROJECT_URL})"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
MAX_ATTEMPTS = 3
MAX_RETRY_WAIT = 60.0
MAX_REDIRECTS = 5
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

trace = logging.getLogger("mktint.http")


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """Subclasses set ``rate`` (or ``None``) and may override :meth:`auth_headers`."""

    rate: Rate | None = None

    def __init__(self, service: str, base_url: str, *, timeout: float = READ_TIMEOUT,
                 verify_tls: bool | str = True, connect_timeout: float = CONNECT_TIMEOUT,
                 max_attempts: int = MAX_ATTEMPTS, max_retry_wait: float = MAX_RETRY_WAIT):
        self.service = service
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = (connect_timeout, timeout)
        self.verify_tls = verify_tls
        self.max_attempts = max_attempts
        self.max_retry_wait = max_retry_wait
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.limiter = RateLimiter(f"{service}", self.rate) if self.rate else None

    # -- hooks for subclasses ------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request (resolved lazily, per request)."""
        return {}

    # -- the one way to send a request ---------------------------------------------------

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/")) if "://" not in path else path

    def request(self, method: str, path: str, *, params: Any = None, data: Any = None,
                files: Any = None, json: Any = None, headers: dict[str, str] | None = None,
                retry_safe: bool | None = None, follow_redirects: bool = True,
                timeout: float | tuple[float, float] | None = None,
                authenticate: bool = True, stream: bool = False) -> requests.Response:
        method = method.upper()
        retryable = method in IDEMPOTENT if retry_safe is None else retry_safe
        url = self.url(path)
        all_headers = dict(headers or {})
        if authenticate:
            all_headers.update(self.auth_headers())
        deadline = time.monotonic() + self.max_retry_wait
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send_following_redirects(
                    method, url, params=params, data=data, files=files, json=json,
                    headers=all_headers, follow=follow_redirects,
                    timeout=timeout or self.timeout, stream=stream)
            except requests.ConnectionError as e:  # ConnectTimeout included
                wait = self._backoff(attempt)
                if retryable and attempt < self.max_attempts and self._room(deadline, wait):
                    trace.debug("%s: connection failed (%s); retry %d in %.1fs",
                                self.service, _reason(e), attempt, wait)
                    time.sleep(wait)
                    continue
                raise TemporaryError(
                    f"cannot reach {self.service} at {self._public_url(url)}: {_reason(e)}",
                    service=self.service,
                    hint="check that the service is running and the URL in the config is right",
                ) from None
            except requests.Timeout:  # the server accepted the request and did not answer
                raise self._timeout_error(url) from None
            except requests.RequestException as e:
                raise TemporaryError(f"{self.service}: request failed: {redact.redact(e)}",
                                     service=self.service) from None

            if response.status_code not in RETRY_STATUSES:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code == 429 and self.limiter and retry_after:
                self.limiter.block_for(retry_after)
            wait = retry_after if retry_after is not None else self._backoff(attempt)
            if retryable and attempt < self.max_attempts and self._room(deadline, wait):
                trace.debug("%s: HTTP %d; retry %d in %.1fs", self.service,
                            response.status_code, attempt, wait)
                response.close()
                time.sleep(wait)
                continue
            if response.status_code == 429:
                raise RateLimited(
                    f"{self.service} is rate limiting requests"
                    + (f"; retry in {retry_after:.0f} s" if retry_after else ""),
                    retry_after=retry_after, service=self.service)
            return response  # 502/503/504 with no retry left: the caller reads the body

    def _send_following_redirects(self, method, url, *, headers, follow, **kwargs):
        """Send, then follow redirects by hand so that each hop passes the limiter."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send_once(method, url, headers=headers, **kwargs)
            if not (follow and response.is_redirect):
                return response
            location = urljoin(url, response.headers["Location"])
            if urlsplit(location).netloc != urlsplit(url).netloc:
                # Never carry credentials to another host.
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method = "GET"
                kwargs.update(data=None, files=None, json=None)
            elif method not in IDEMPOTENT:
                raise ProtocolError(
                    f"{self.service} redirected a {method} to {self._public_url(location)}; "
                    "not resending the body", service=self.service)
            response.close()
            url = location
        raise ProtocolError(f"{self.service}: too many redirects", service=self.service)

    def _send_once(self, method, url, *, params, data, files, json, headers, timeout, stream):
        if self.limiter:
            waited = self.limiter.acquire()
            if waited:
                trace.debug("%s: rate limit, waited %.2fs", self.service, waited)
        started = time.monotonic()
        request = requests.Request(method, url, params=params, data=data, files=files,
                                   json=json, headers=headers)
        prepared = self.session.prepare_request(request)
        if trace.isEnabledFor(logging.DEBUG):
            trace.debug("→ %s %s %s", method, redact.redact(prepared.url),
                        redact.redact_headers(prepared.headers))
        try:
            response = self.session.send(prepared, timeout=timeout, verify=self.verify_tls,
                                         allow_redirects=False, stream=stream)
        finally:
            if self.limiter:
                self.limiter.finished()
        if trace.isEnabledFor(logging.DEBUG):
            trace.debug("← %d %s (%.3fs) %s", response.status_code, response.reason,
                        time.monotonic() - started, redact.redact_headers(response.headers))
        return response

    # -- helpers ---------------------------------------------------------------------------

    def _timeout_error(self, url: str) -> Timeout:
        return Timeout(f"{self.service} did not answer in time ({self._public_url(url)})",
                       service=self.service,
                       hint="the service may be overloaded; try again later or raise `timeout` "
                            f"in [services.{self.service}]")

    def _public_url(self, url: str) -> str:
        parts = urlsplit(url)
        return redact.redact(f"{parts.scheme}://{parts.netloc}{parts.path}")

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(8.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random())

    @staticmethod
    def _room(deadline: float, wait: float) -> bool:
        return time.monotonic() + wait <= deadline

    def close(self) -> None:
        self.session.close()


def _reason(error: Exception) -> str:
    """A short cause for a transport error, without urllib3's object reprs."""
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "Connection reset", "Remote end closed", "Temporary failure in name resolution",
                   "No route to host", "certificate verify failed"):
        if marker in text:
            return marker.lower()
    return redact.redact(text.split(": ")[-1][:200])


def json_body(response: requests.Response, service: str) -> Any:
    """The response's JSON, or a clear error naming what came back instead."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "unknown content").split(";")[0]
        error_type = TemporaryError if response.status_code >= 500 else ProtocolError
        raise error_type(
            f"{service} answered HTTP {response.status_code} with {kind}, not JSON",
            service=service,
            hint="the service may be down or behind a proxy error page; try again later",
        ) from None
