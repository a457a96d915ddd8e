"""The base HTTP client every service client extends.

One ``requests.Session`` per client (connection pooling, cookie jar), an honest
User-Agent, connect and read timeouts on every request, a deadline on the whole request,
a per-site rate limiter that every request — redirects included — passes through, retries
only where they are safe, a ``--debug`` trace with secrets masked, and the one place where
transport failures become mktint errors.

Time is bounded three ways. Each socket read waits at most the read timeout; the whole
request — every byte of the answer, however slowly it trickles in, plus retries and
redirects — ends by its deadline (``deadline`` per service, default ``DEADLINE``); and no
wait for a rate limit lasts longer than ``MAX_WAIT``: a server asking for more (a huge
``Retry-After``, now or stored by an earlier run) ends the request at once with
:class:`RateLimited` naming the time it asked for. Every wait longer than
``NOTICE_AFTER`` seconds is announced through the ``mktint.notice`` logger, which the CLI
shows on stderr (services never print).

Retry rules: idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) and requests the caller
marks ``retry_safe=True`` are retried on a reset connection, a connect timeout, 502/503/504
and 429 (waiting ``Retry-After``), with exponential backoff and jitter, at most
``MAX_ATTEMPTS`` times and within the deadline. A refused connection or an unknown host
fails at once (nothing is listening; waiting will not change that), and neither uses a
rate-limit slot. A failed TLS handshake (a wrong scheme, an untrusted certificate) is a
configuration error: never retried. When no attempt reached the service, the error says so
(:class:`~mktint.core.errors.NotSent`): a login's caller then knows the password was not
seen. A read timeout is not retried: the server has the request and is busy.
Anything else — an upload, a login — is sent once.

Credentials (``auth_headers()``, cookies, an ``Authorization`` or ``Cookie`` header) are
never carried to another host or over a redirect from https to http; an authenticated
request redirected from https to http is refused.
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
from mktint.core import deadline as deadlines, redact
from mktint.core.config import base_url as normal_base_url
from mktint.core.errors import (ProtocolError, RateLimited, TemporaryError, Timeout, TlsFailed,
                                 Unreachable)
from mktint.core.ratelimit import Rate, RateLimiter, WaitTooLong

USER_AGENT = f"mktint/{__version__} (+{PROJECT_URL})"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
DEADLINE = 60.0  # seconds one request may take in all, from its first byte sent
MAX_WAIT = 90.0  # the longest wait for a rate limit (ours, or a server's Retry-After)
NOTICE_AFTER = 2.0  # waits longer than this are announced on stderr
MAX_BODY = 128 * 1024 * 1024  # bytes of a decoded answer; more is refused, not read
MAX_ATTEMPTS = 3
MAX_REDIRECTS = 5
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
NOT_SENT = frozenset({"refused", "connect_timeout", "tls"})  # failures before any byte of a request

trace = logging.getLogger("mktint.http")
notices = logging.getLogger("mktint.notice")


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN: no answer
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0.0, when.timestamp() - time.time())


def clock_time(epoch: float) -> str:
    """A wall-clock time for messages: UTC, to the second."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
    except (OverflowError, OSError, ValueError):
        return "a time too far ahead to show"


class HttpClient:
    """Subclasses set ``rate`` (or ``None``) and may override :meth:`auth_headers`."""

    rate: Rate | None = None

    def __init__(self, service: str, base_url: str, *, timeout: float | None = READ_TIMEOUT,
                 verify_tls: bool | str = True, connect_timeout: float = CONNECT_TIMEOUT,
                 max_attempts: int = MAX_ATTEMPTS, deadline: float | None = DEADLINE,
                 max_wait: float = MAX_WAIT, max_body: int = MAX_BODY):
        self.service = service
        self.base_url = normal_base_url(base_url)
        self.timeout = (connect_timeout, timeout or READ_TIMEOUT)
        self.verify_tls = verify_tls
        self.max_attempts = max_attempts
        self.deadline = deadline or DEADLINE
        self.max_wait = max_wait
        self.max_body = max_body
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        deadlines.mount(self.session)
        self.limiter = RateLimiter(site_key(self.base_url), self.rate) if self.rate else None

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
                authenticate: bool = True) -> requests.Response:
        """Send one request (following redirects, retrying where safe); the body is read."""
        method = method.upper()
        retryable = method in IDEMPOTENT if retry_safe is None else retry_safe
        url = self.url(path)
        all_headers = dict(headers or {})
        if authenticate:
            all_headers.update(self.auth_headers())
        ends: float | None = None  # the deadline, set when the first attempt may be sent
        attempt = 0
        reached = False  # whether any attempt reached the service
        while True:
            attempt += 1
            try:
                self._acquire(None if ends is None else ends - time.monotonic())
                if ends is None:
                    ends = time.monotonic() + self.deadline
                with deadlines.within(ends):
                    response = self._send_following_redirects(
                        method, url, params=params, data=data, files=files, json=json,
                        headers=all_headers, follow=follow_redirects,
                        timeout=timeout or self.timeout)
            except requests.RequestException as e:
                failure = _classify(e)
                reached = reached or failure not in NOT_SENT or getattr(e, "after_redirect", False)
                if failure == "tls":
                    raise TlsFailed(
                        f"{self.service}: the TLS connection to {self._public_url(url)} failed: "
                        f"{_reason(e)}", service=self.service,
                        hint="check the URL's scheme (http or https) and the server's certificate; "
                             f"for a self-signed one set `verify_tls` in [services.{self.service}] "
                             "to its CA bundle path") from None
                if ends is not None and time.monotonic() >= ends:
                    raise self._timeout_error(url, deadline=True) from None
                if failure == "timeout":  # the server accepted the request and did not answer
                    raise self._timeout_error(url) from None
                wait = self._backoff(attempt)
                if (failure in ("reset", "connect_timeout") and retryable
                        and attempt < self.max_attempts and self._room(ends, wait)):
                    trace.debug("%s: connection failed (%s); retry %d in %.1fs",
                                self.service, _reason(e), attempt, wait)
                    self._sleep(wait, f"the connection failed ({_reason(e)}); retrying")
                    continue
                if failure == "other":
                    raise TemporaryError(f"{self.service}: request failed: {_reason(e)}",
                                         service=self.service) from None
                if failure == "reset":
                    raise TemporaryError(
                        f"{self.service} broke off the connection ({_reason(e)}) at "
                        f"{self._public_url(url)}", service=self.service,
                        hint="the service may be restarting or overloaded; try again later"
                    ) from None
                raise (TemporaryError if reached else Unreachable)(
                    f"cannot reach {self.service} at {self._public_url(url)}: {_reason(e)}",
                    service=self.service,
                    hint="check that the service is running and the URL in the config is right",
                ) from None

            reached = True
            if response.status_code not in RETRY_STATUSES:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code == 429 and self.limiter and retry_after:
                self.limiter.block_for(retry_after)
            wait = retry_after if retry_after is not None else self._backoff(attempt)
            # A wait the server asked for (Retry-After) is bounded by max_wait, not by the
            # deadline, which then counts only the time spent on the network.
            asked = retry_after is not None and wait <= self.max_wait
            if retryable and attempt < self.max_attempts and (asked or self._room(ends, wait)):
                trace.debug("%s: HTTP %d; retry %d in %.1fs", self.service,
                            response.status_code, attempt, wait)
                response.close()
                self._sleep(wait, f"it answered HTTP {response.status_code}; retrying")
                if asked:
                    ends += wait
                continue
            if response.status_code == 429:
                raise self._rate_limited(retry_after)
            return response  # 502/503/504 with no retry left: the caller reads the body

    def _acquire(self, left: float | None) -> None:
        """Take a rate-limit slot: wait (announced) up to ``max_wait`` and the ``left``
        seconds of the deadline, else fail at once."""
        if not self.limiter:
            return
        longest = self.max_wait if left is None else min(self.max_wait, left)
        try:
            waited = self.limiter.acquire(
                max_wait=max(0.0, longest),
                on_wait=lambda seconds, blocked: self._announce(
                    seconds, "it asked mktint to slow down (Retry-After)" if blocked
                    else f"its rate limit is {self.rate.limit} requests per {self.rate.period:g} s"))
        except WaitTooLong as e:
            if e.blocked:
                raise self._rate_limited(e.wait) from None
            raise RateLimited(
                f"{self.service}: the next request within its rate limit "
                f"({self.rate.limit} per {self.rate.period:g} s) is allowed in {e.wait:.0f} s, "
                f"longer than this command may wait ({max(0.0, longest):.0f} s)",
                retry_after=e.wait, service=self.service) from None
        if waited:
            trace.debug("%s: rate limit, waited %.2fs", self.service, waited)

    def _rate_limited(self, retry_after: float | None) -> RateLimited:
        if not retry_after:
            return RateLimited(f"{self.service} is rate limiting requests",
                               service=self.service)
        return RateLimited(
            f"{self.service} asked mktint not to send requests before "
            f"{clock_time(time.time() + retry_after)} (in {_duration(retry_after)})",
            retry_after=retry_after, service=self.service,
            hint="try again after that time; mktint waits at most "
                 f"{self.max_wait:.0f} s for a rate limit")

    def _sleep(self, seconds: float, why: str) -> None:
        self._announce(seconds, why)
        time.sleep(seconds)

    def _announce(self, seconds: float, why: str) -> None:
        if seconds > NOTICE_AFTER:
            notices.info("waiting %.0f s for %s: %s", seconds, self.service, why)

    def _send_following_redirects(self, method, url, *, params, headers, follow, **kwargs):
        """Send, then follow redirects by hand so that each hop passes the limiter."""
        for hop in range(MAX_REDIRECTS + 1):
            if hop:
                self._acquire(deadlines.left())
            # The first hop adds ``params``; a Location already carries its whole query.
            try:
                response = self._send_once(method, url, params=params if hop == 0 else None,
                                           headers=headers, **kwargs)
            except requests.RequestException as e:
                e.after_redirect = hop > 0  # an earlier hop reached the service
                raise
            if not (follow and response.is_redirect):
                return response
            location = urljoin(response.url, response.headers["Location"])
            here, there = urlsplit(url), urlsplit(location)
            downgrade = here.scheme == "https" and there.scheme != "https"
            if downgrade and (self._carries_credentials(headers) or here.password):
                response.close()
                raise ProtocolError(
                    f"{self.service} redirected an authenticated request from https to "
                    f"{self._public_url(location)}; not sending credentials in clear text",
                    service=self.service,
                    hint="check the URL in the config (https) and the server's redirects")
            if downgrade or there.netloc != here.netloc:
                # Never carry credentials to another host or over plain http.
                headers = {k: v for k, v in headers.items()
                           if k.lower() not in CREDENTIAL_HEADERS | self._auth_header_names()}
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

    def _carries_credentials(self, headers: dict[str, str]) -> bool:
        names = {k.lower() for k in headers}
        return bool(names & (CREDENTIAL_HEADERS | self._auth_header_names())) or bool(
            len(self.session.cookies))

    def _auth_header_names(self) -> set[str]:
        try:
            return {k.lower() for k in self.auth_headers()}
        except Exception:  # a missing secret: nothing of it can be in the headers
            return set()

    def _send_once(self, method, url, *, params, data, files, json, headers, timeout):
        started = time.monotonic()
        request = requests.Request(method, url, params=params, data=data, files=files,
                                   json=json, headers=headers)
        prepared = self.session.prepare_request(request)
        if trace.isEnabledFor(logging.DEBUG):
            trace.debug("→ %s %s %s", method, redact.redact(prepared.url),
                        redact.redact_headers(prepared.headers))
        reached = True
        try:
            response = self.session.send(prepared, timeout=_fit(timeout),
                                         verify=self.verify_tls, allow_redirects=False,
                                         stream=True)
            self._read_body(response)
        except requests.RequestException as e:
            reached = _classify(e) not in NOT_SENT
            raise
        finally:
            if self.limiter:
                self.limiter.finished(reached=reached)
        if trace.isEnabledFor(logging.DEBUG):
            trace.debug("← %d %s (%.3fs) %s", response.status_code, response.reason,
                        time.monotonic() - started, redact.redact_headers(response.headers))
        return response

    def _read_body(self, response: requests.Response) -> None:
        """Read the (decoded) body, at most ``max_body`` bytes: a gzip bomb or an endless
        answer is refused, not read into memory."""
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > self.max_body:
                response.close()
                raise ProtocolError(
                    f"{self.service} sent an answer larger than {self.max_body // 2**20} MiB "
                    f"({self._public_url(response.url)}); not reading it",
                    service=self.service,
                    hint="the server or a proxy in front of it is misbehaving")
            chunks.append(chunk)
        response._content = b"".join(chunks)

    # -- helpers ---------------------------------------------------------------------------

    def _timeout_error(self, url: str, *, deadline: bool = False) -> Timeout:
        if deadline:
            return Timeout(
                f"{self.service} did not answer in time: the request took more than its "
                f"{self.deadline:g} s deadline ({self._public_url(url)})",
                service=self.service,
                hint="the service is slow or overloaded; try again later or raise `deadline` "
                     f"in [services.{self.service}]")
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

    def _room(self, ends: float | None, wait: float) -> bool:
        """Is there time for a wait and another try?"""
        return wait <= self.max_wait and ends is not None and time.monotonic() + wait < ends

    def close(self) -> None:
        self.session.close()


def site_key(url: str) -> str:
    """What a rate limit belongs to: the site (scheme and host), not a service's name, so
    two names for one site share one budget."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = parts.port if parts.port not in (None, default) else None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _fit(timeout: float | tuple[float, float]) -> tuple[float, float]:
    """Connect and read timeouts, neither longer than what is left of the deadline."""
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    left = deadlines.left()
    if left is None:
        return connect, read
    left = max(0.001, left)
    return min(connect, left), min(read, left)


def _causes(error: BaseException):
    """``error`` and what it wraps (urllib3 keeps causes in ``reason`` and ``args``)."""
    import urllib3.exceptions as u3

    cause: Any = error
    for _ in range(10):
        if cause is None:
            return
        yield cause
        if isinstance(cause, u3.MaxRetryError):
            cause = cause.reason
        else:
            cause = next((a for a in getattr(cause, "args", ()) if isinstance(a, BaseException)),
                         cause.__cause__)


def _classify(error: Exception) -> str:
    """tls (the handshake failed), refused (nothing listening, unknown host),
    connect_timeout, reset, timeout or other."""
    import urllib3.exceptions as u3

    if isinstance(error, requests.exceptions.SSLError):  # a ConnectionError: before "reset"
        return "tls"
    if isinstance(error, requests.ConnectTimeout):
        return "connect_timeout"
    if isinstance(error, requests.ReadTimeout):
        return "timeout"
    for cause in _causes(error):
        if isinstance(cause, (u3.NewConnectionError, ConnectionRefusedError)):
            return "refused"
        if isinstance(cause, u3.ReadTimeoutError):
            return "timeout"
    if isinstance(error, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return "reset"
    return "other"


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _reason(error: Exception) -> str:
    """A short cause for a transport error, never urllib3's object reprs."""
    text = str(error)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "Connection reset", "Remote end closed", "Temporary failure in name resolution",
                   "No route to host", "certificate verify failed", "wrong version number"):
        if marker in text:
            return marker.lower()
    if "IncompleteRead" in text:
        return "the answer was cut short"
    innermost = list(_causes(error))[-1]
    if isinstance(innermost, OSError) and innermost.strerror:
        return innermost.strerror.lower()
    return type(innermost).__name__


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
