"""Audnexus: public audiobook metadata (books, chapters, authors), cached on disk.

Protocol notes (REFERENCE.md §3; laxamentumtech/audnexus): no credentials; ``region`` is
one of ten Audible regions; ASINs and regions are checked here before anything is sent;
errors come in two envelopes (``{"error": {"code", "message", "details"}}`` and
``{"statusCode", "error", "message"}``): 400 BAD_REQUEST and CONTENT_TYPE_MISMATCH, 404
REGION_UNAVAILABLE (also what an unknown ASIN gets), PRODUCT_DELISTED and plain 404s.

The server allows 100 requests per minute per IP (src/server.ts: @fastify/rate-limit,
``max: MAX_REQUESTS || 100``, ``timeWindow: '1 minute'``) and answers 429 with
``retry-after``. mktint sends at most 90 a minute, shared by every mktint process, which
leaves room for other programs on the same address; a 429 is waited out (every process
waits) for up to one window.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from mktint.core.asin import validate_asin
from mktint.core.cache import Cache
from mktint.core.errors import NotFound, OperationFailed, ProtocolError, TemporaryError, UsageError
from mktint.core.http import json_body
from mktint.core.ratelimit import Rate
from mktint.core.service import ServiceClient
from mktint.services.audnexus_model import (REGIONS, Author, Book, Chapters, normalise_author,
                                            normalise_book, normalise_chapters)

__all__ = ["AudnexusClient", "Author", "Book", "Chapters", "REGIONS", "parse_error", "validate_region"]

DEFAULT_CACHE_HOURS = 24.0
SERVER_WINDOW = 60.0  # seconds: the server counts requests per minute


def validate_region(region: str) -> str:
    """The lower-cased region, or a usage error (exit 2) — never sent to a server."""
    value = str(region).strip().lower()
    if value not in REGIONS:
        raise UsageError(f"{region!r} is not an Audible region",
                         hint="choose one of: " + ", ".join(REGIONS))
    return value


def parse_error(response) -> tuple[str | None, str | None]:
    """``(code, message)`` from either Audnexus error envelope (None where absent)."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):  # current: {"error": {"code", "message", "details"}}
        return _str(error.get("code")), _str(error.get("message"))
    # legacy: {"statusCode", "error": "Not Found", "message"}
    return _str(error), _str(body.get("message"))


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class AudnexusClient(ServiceClient):
    rate = Rate(90, SERVER_WINDOW)  # the server allows 100 (see the module text)

    def __init__(self, config, credentials):
        super().__init__(config, credentials)
        self.max_wait = max(self.max_wait, SERVER_WINDOW + 5.0)  # a retry-after lasts at most one window
        hours = config.get("cache_hours", DEFAULT_CACHE_HOURS)
        self.cache = Cache("audnexus", float(hours) * 3600.0)

    # -- the contract other commands use ---------------------------------------------------

    def region_for(self, region: str | None) -> str:
        """``region``, else the service's configured region, validated."""
        return validate_region(region if region is not None else self.config.get("region", "us"))

    def book_raw(self, asin: str, region: str | None = None, refresh: bool = False) -> dict:
        asin, region = validate_asin(asin), self.region_for(region)
        return self._cached_get(f"books/{asin}", {"region": region}, refresh,
                                what=f"book {asin}", region=region)

    def book(self, asin: str, region: str | None = None, refresh: bool = False) -> Book:
        region = self.region_for(region)
        return normalise_book(self.book_raw(asin, region, refresh), region)

    def chapters_raw(self, asin: str, region: str | None = None, refresh: bool = False) -> dict:
        asin, region = validate_asin(asin), self.region_for(region)
        return self._cached_get(
            f"books/{asin}/chapters", {"region": region}, refresh, what=f"chapters for {asin}",
            region=region, not_found_hint="new releases often have no chapter data yet; "
                                          "try again in a few days")

    def chapters(self, asin: str, region: str | None = None, refresh: bool = False) -> Chapters:
        region = self.region_for(region)
        return normalise_chapters(self.chapters_raw(asin, region, refresh), region)

    def author_raw(self, asin: str, region: str | None = None, refresh: bool = False) -> dict:
        asin, region = validate_asin(asin), self.region_for(region)
        return self._cached_get(f"authors/{asin}", {"region": region}, refresh,
                                what=f"author {asin}", region=region)

    def author(self, asin: str, region: str | None = None, refresh: bool = False) -> Author:
        region = self.region_for(region)
        return normalise_author(self.author_raw(asin, region, refresh), region)

    def search_authors_raw(self, name: str, region: str | None = None,
                           refresh: bool = False) -> list:
        name = " ".join(str(name).split())
        if len(name) < 2:
            raise UsageError("an author search needs at least 2 characters")
        region = self.region_for(region)
        return self._cached_get("authors", {"name": name, "region": region}, refresh,
                                what=f"authors named {name!r}", region=region)

    def search_authors(self, name: str, region: str | None = None,
                       refresh: bool = False) -> list[dict]:
        """Up to 25 ``{"asin", "name"}``."""
        return [{"asin": a.get("asin"), "name": a.get("name")}
                for a in self.search_authors_raw(name, region, refresh) if isinstance(a, dict)]

    def search_books_raw(self, query: str, region: str | None = None,
                         refresh: bool = False) -> list:
        query = " ".join(str(query).split())
        if not query:
            raise UsageError("a book search needs some words to look for")
        region = self.region_for(region)
        return self._cached_get("books/search", {"q": query, "region": region}, refresh,
                                what=f"books matching {query!r}", region=region, search=True)

    def search_books(self, query: str, region: str | None = None,
                     refresh: bool = False) -> list[Book]:
        """Up to 10 books (newer servers only: older ones say plainly they cannot)."""
        region = self.region_for(region)
        return [normalise_book(b, region)
                for b in self.search_books_raw(query, region, refresh) if isinstance(b, dict)]

    def end_session(self) -> None:
        """Audnexus has no sessions."""

    # -- transport -------------------------------------------------------------------------

    def _cached_get(self, path: str, params: dict, refresh: bool, **context) -> Any:
        key = f"{self.base_url}{path}?{urlencode(sorted(params.items()))}"
        return self.cache.fetch(key, lambda: self._get(path, params, **context), refresh=refresh)

    def _get(self, path: str, params: dict, *, what: str, region: str,
             not_found_hint: str | None = None, search: bool = False) -> Any:
        response = self.request("GET", path, params=params)
        if response.status_code == 200:
            body = json_body(response, self.name)
            expected = list if search or path == "authors" else dict
            if not isinstance(body, expected):
                raise ProtocolError(f"{self.name} answered {what} with a JSON "
                                    f"{type(body).__name__}, not an "
                                    f"{'array' if expected is list else 'object'}",
                                    service=self.name)
            return body
        code, message = parse_error(response)
        status = response.status_code
        details = {"status": status, "server_code": code, "server_message": message}
        server_says = f" ({message})" if message else ""
        if search and (status == 404 or (status == 400 and message == "Bad ASIN")):
            # Older servers have no /books/search: it is a 404, or taken for an ASIN.
            raise OperationFailed(
                f"book search is not supported by this server ({self.base_url.rstrip('/')})",
                service=self.name, details=details,
                hint="newer Audnexus servers have /books/search; look the book up on Audible "
                     "and use its ASIN with `mktint book show`")
        if status == 404:
            if code == "REGION_UNAVAILABLE":
                raise NotFound(f"{what} is not available in region {region}{server_says}",
                               service=self.name, details=details,
                               hint="check the ASIN (the server answers an unknown one this way "
                                    "too), or try another --region")
            if code == "PRODUCT_DELISTED":
                raise NotFound(f"{what} is no longer sold in region {region}{server_says}",
                               service=self.name, details=details,
                               hint="Audible delisted it there; try another --region")
            raise NotFound(f"{self.name} has no {what} in region {region}{server_says}",
                           service=self.name, details=details,
                           hint=not_found_hint or "check the ASIN, or try another --region")
        if status >= 500:
            raise TemporaryError(f"{self.name} failed with HTTP {status}{server_says}",
                                 service=self.name, details=details,
                                 hint="the service may be down; try again later")
        if code == "CONTENT_TYPE_MISMATCH":
            raise OperationFailed(f"{self.name} has no {what}: the ASIN is another kind of item"
                                  f"{server_says}", service=self.name, details=details,
                                  hint="Audnexus serves audiobooks and their authors only; "
                                       "podcasts, periodicals and other Audible items have no "
                                       "metadata there")
        raise OperationFailed(f"{self.name} refused the request for {what}: HTTP {status}"
                              f"{server_says}", service=self.name, details=details)
