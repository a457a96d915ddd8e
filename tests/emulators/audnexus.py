"""An Audnexus emulator, written from REFERENCE.md §3 and the server's route code.

Routes: ``GET /books/{asin}``, ``/books/{asin}/chapters``, ``/authors/{asin}``,
``/authors?name=`` and (``search_supported=True``) ``/books/search?q=``. It checks ASINs
(400 "Bad ASIN") and regions (400 invalid region) like the server, answers 404 for
unknown books, missing chapters and region-locked titles, 400 CONTENT_TYPE_MISMATCH for a
podcast, 422 VALIDATION_ERROR for a one-letter author name, and counts requests per
minute (``x-ratelimit-*`` headers; 429 RATE_LIMIT_EXCEEDED with ``retry-after`` past the
limit). ``error_style`` picks the envelope of most errors: ``"current"``
(``{"error": {"code", "message", "details"}}``) or ``"legacy"``
(``{"statusCode", "error", "message"}``); missing chapters always use the legacy shape,
as the real server does for some 404s. Without search, ``/books/search`` is a 404 like
any unknown route on the server.

Usage::

    with audnexus_emulator(search_supported=False) as emu:
        emu.url, emu.log, emu.books, emu.throttle(1, retry_after=2)
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

from tests.support.httpserver import QuietHandler, serve

REGIONS = ("au", "ca", "de", "es", "fr", "in", "it", "jp", "us", "uk")
ASIN = re.compile(r"^(B[0-9A-Z]{9}|\d{9}[0-9X])$")

HAIL_MARY = "B08G9PRS1K"
EXPANSE_NOVELLA = "B00N1K4YUS"
NEW_RELEASE = "B0NEWBOOK1"
SPARSE = "B0SPARSE01"
PODCAST = "B0PODCAST1"
US_ONLY = "B0USONLY01"
WEIR = "B00G0WYW92"
COREY = "B004AQ9C9W"


def _person(name, asin=None):
    return {"asin": asin, "name": name} if asin else {"name": name}


BOOKS: dict[str, dict] = {
    HAIL_MARY: {
        "asin": HAIL_MARY,
        "authors": [_person("Andy Weir", WEIR)],
        "narrators": [_person("Ray Porter")],
        "title": "Project Hail Mary",
        "description": "Ryland Grace is the sole survivor on a desperate, last-chance mission...",
        "summary": "<p><b>Winner of the 2022 Audie Award for Audiobook of the Year</b></p>"
                   "<p>Ryland Grace is the sole survivor on a desperate, last-chance "
                   "mission&#8212;and if he fails, humanity and the Earth itself will "
                   "perish.</p><p>Except that right now, he doesn&rsquo;t know that.</p>",
        "publisherName": "Audible Studios",
        "releaseDate": "2021-05-04T00:00:00.000Z",
        "copyright": 2021,
        "isbn": "9781603935470",
        "language": "english",
        "formatType": "unabridged",
        "literatureType": "fiction",
        "genres": [
            {"asin": "18580606011", "name": "Science Fiction & Fantasy", "type": "genre"},
            {"asin": "18580628011", "name": "Science Fiction", "type": "tag"},
            {"asin": "18580629011", "name": "Hard Science Fiction", "type": "tag"},
        ],
        "image": "https://m.media-amazon.com/images/I/91vS2L5YfEL.jpg",
        "rating": "4.8",
        "runtimeLengthMin": 970,
        "region": "us",
        "isAdult": False,
    },
    EXPANSE_NOVELLA: {
        "asin": EXPANSE_NOVELLA,
        "authors": [_person("James S. A. Corey", COREY)],
        "narrators": [_person("Jefferson Mays"), _person("Jefferson Mays")],
        "title": "Gods of Risk",
        "subtitle": "An Expanse Novella",
        "summary": "<p>Set between <i>Caliban&#39;s War</i> &amp; <i>Abaddon&#39;s Gate</i>"
                   "&hellip;</p>\n<ul><li>Mars</li><li>Bobbie&nbsp;Draper</li></ul>",
        "publisherName": "Hachette Audio",
        "releaseDate": "2012-09-18T00:00:00.000Z",
        "language": "english",
        "formatType": "unabridged",
        "genres": [{"asin": "18580606011", "name": "Science Fiction & Fantasy", "type": "genre"}],
        "seriesPrimary": {"asin": "B00M0BW4QA", "name": "The Expanse", "position": "2.5"},
        "seriesSecondary": {"name": "Expanse Novellas", "position": ""},
        "rating": "4.5",
        "runtimeLengthMin": "78",
        "region": "us",
        "isAdult": False,
    },
    NEW_RELEASE: {
        "asin": NEW_RELEASE,
        "authors": [_person("New Author")],
        "narrators": [],
        "title": "A Brand New Book",
        "summary": "Coming soon.",
        "publisherName": "Podium Audio",
        "releaseDate": "2026-12-01T00:00:00.000Z",
        "language": "english",
        "formatType": "unabridged",
        "genres": [],
        "rating": "0",
        "runtimeLengthMin": 600,
        "region": "us",
        "isAdult": False,
    },
    SPARSE: {"asin": SPARSE, "title": "Sparse", "seriesPrimary": {"position": "1"}},
    US_ONLY: {
        "asin": US_ONLY, "title": "Only in the US", "authors": [_person("Someone")],
        "language": "english", "region": "us", "runtimeLengthMin": 60,
    },
}

CHAPTERS: dict[str, dict] = {
    HAIL_MARY: {
        "asin": HAIL_MARY,
        "brandIntroDurationMs": 2043,
        "brandOutroDurationMs": 5061,
        "chapters": [
            {"lengthMs": 20815, "startOffsetMs": 0, "startOffsetSec": 0, "title": "Opening Credits"},
            {"lengthMs": 1562398, "startOffsetMs": 20815, "startOffsetSec": 21, "title": "Chapter 1"},
            {"lengthMs": 3600000, "startOffsetMs": 1583213, "startOffsetSec": 1583, "title": "Chapter 2"},
        ],
        "isAccurate": True,
        "region": "us",
        "runtimeLengthMs": 5183213,
        "runtimeLengthSec": 5183,
    },
}

AUTHORS: dict[str, dict] = {
    WEIR: {
        "asin": WEIR,
        "name": "Andy Weir",
        "description": "<p>ANDY WEIR built a career as a software engineer&hellip;</p>",
        "genres": [{"asin": "18580606011", "name": "Science Fiction & Fantasy", "type": "genre"}],
        "image": "https://m.media-amazon.com/images/I/weir.jpg",
        "region": "us",
        "similar": [{"asin": COREY, "name": "James S. A. Corey"}],
    },
    COREY: {"asin": COREY, "name": "James S. A. Corey", "region": "us"},
}


@dataclass
class AudnexusState:
    search_supported: bool = True
    error_style: str = "current"  # or "legacy"
    rate_limit: int = 100  # requests per rate_period per client
    rate_period: float = 60.0
    delay: float = 0.0  # seconds to wait before answering (to make callers overlap)
    books: dict = field(default_factory=lambda: copy.deepcopy(BOOKS))
    chapters: dict = field(default_factory=lambda: copy.deepcopy(CHAPTERS))
    authors: dict = field(default_factory=lambda: copy.deepcopy(AUTHORS))
    log: list = field(default_factory=list)  # {"method", "path", "query", "user_agent"}
    url: str = ""
    _forced_429: list = field(default_factory=list)  # retry-after values to answer next
    _window: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle(self, count: int = 1, *, retry_after: int = 1) -> None:
        """Answer the next ``count`` requests with 429 and this ``retry-after``."""
        self._forced_429.extend([retry_after] * count)

    def requests_to(self, path: str) -> list[dict]:
        return [entry for entry in self.log if entry["path"] == path]


class AudnexusHandler(QuietHandler):
    server_version = "audnexus-emulator"

    @property
    def state(self) -> AudnexusState:
        return self.server.state

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        state = self.state
        with state._lock:
            state.log.append({"method": "GET", "path": parts.path, "query": query,
                              "user_agent": self.headers.get("User-Agent")})
            limited = self._rate_limit()
        if state.delay:
            time.sleep(state.delay)
        if limited is not None:
            return self._error(429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded",
                               headers={"retry-after": str(limited)}, style="current")
        segments = [s for s in parts.path.split("/") if s]
        if segments[:2] == ["books", "search"] and len(segments) == 2:
            return self._search_books(query)
        if len(segments) == 2 and segments[0] == "books":
            return self._item(segments[1], query, state.books, "book")
        if len(segments) == 3 and segments[0] == "books" and segments[2] == "chapters":
            return self._chapters(segments[1], query)
        if segments == ["authors"]:
            return self._search_authors(query)
        if len(segments) == 2 and segments[0] == "authors":
            return self._item(segments[1], query, state.authors, "author")
        return self._route_not_found(self.path)

    # -- limits and errors ----------------------------------------------------------------

    def _rate_limit(self) -> int | None:
        """Retry-after seconds when this request is over the limit, else None."""
        state = self.state
        if state._forced_429:
            return state._forced_429.pop(0)
        now = time.monotonic()
        state._window = [t for t in state._window if now - t < state.rate_period]
        if len(state._window) >= state.rate_limit:
            return max(1, int(state._window[0] + state.rate_period - now) + 1)
        state._window.append(now)
        self._remaining = state.rate_limit - len(state._window)
        return None

    def _headers(self) -> dict[str, str]:
        return {"x-ratelimit-limit": str(self.state.rate_limit),
                "x-ratelimit-remaining": str(getattr(self, "_remaining", 0)),
                "x-ratelimit-reset": str(int(self.state.rate_period))}

    def _json(self, status: int, body, headers: dict | None = None) -> None:
        self.send_body(status, json.dumps(body), headers={**self._headers(), **(headers or {})})

    def _error(self, status: int, code: str, message: str, *, headers=None, style=None,
               details=None) -> None:
        if (style or self.state.error_style) == "current":
            body = {"error": {"code": code, "message": message, "details": details}}
        else:
            reason = {400: "Bad Request", 404: "Not Found", 422: "Unprocessable Entity",
                      429: "Too Many Requests"}.get(status, "Error")
            body = {"statusCode": status, "error": reason, "message": message}
        self._json(status, body, headers)

    def _route_not_found(self, path: str) -> None:
        # fastify's default for an unknown route (legacy shape).
        self._json(404, {"statusCode": 404, "error": "Not Found",
                         "message": f"Route GET:{path} not found"})

    def _region(self, query: dict) -> str | None:
        region = query.get("region", "us")
        if region not in REGIONS:
            self._error(400, "BAD_REQUEST",
                        "Invalid region. Valid regions are: " + ", ".join(REGIONS))
            return None
        return region

    # -- routes ---------------------------------------------------------------------------

    def _item(self, asin: str, query: dict, table: dict, kind: str) -> None:
        if not ASIN.match(asin):
            return self._error(400, "BAD_REQUEST", "Bad ASIN")
        region = self._region(query)
        if region is None:
            return
        if kind == "book" and asin == PODCAST:
            return self._error(400, "CONTENT_TYPE_MISMATCH",
                               f"Item is a podcast, not a book. ASIN: {asin}")
        if asin == US_ONLY and region != "us":
            return self._error(404, "REGION_UNAVAILABLE",
                               f"Item not available in region '{region}' for ASIN: {asin}")
        item = table.get(asin)
        if item is None:
            return self._error(404, "NOT_FOUND", f"{kind.capitalize()} {asin} not found")
        self._json(200, {**item, "region": region})

    def _chapters(self, asin: str, query: dict) -> None:
        if not ASIN.match(asin):
            return self._error(400, "BAD_REQUEST", "Bad ASIN")
        region = self._region(query)
        if region is None:
            return
        chapters = self.state.chapters.get(asin)
        if chapters is None:
            return self._json(404, {"statusCode": 404, "error": "Not Found",
                                    "message": f"{asin} has no chapters"})
        self._json(200, {**chapters, "region": region})

    def _search_authors(self, query: dict) -> None:
        name = (query.get("name") or "").strip()
        if len(name) < 2:
            return self._error(422, "VALIDATION_ERROR",
                               "querystring/name must NOT have fewer than 2 characters")
        if self._region(query) is None:
            return
        found = [{"asin": a["asin"], "name": a["name"]} for a in self.state.authors.values()
                 if name.lower() in a["name"].lower()]
        self._json(200, found[:25])

    def _search_books(self, query: dict) -> None:
        if not self.state.search_supported:
            return self._route_not_found(self.path)
        q = (query.get("q") or "").strip()
        if not q:
            return self._json(400, {"error": "Bad Request", "message": "q is required"})
        region = query.get("region", "us")
        if region not in REGIONS:
            return self._json(400, {"error": "Bad Request", "message": f"Unknown region: {region}"})
        words = q.lower().split()

        def matches(book: dict) -> bool:
            text = " ".join([book.get("title", ""), book.get("subtitle", "")]
                            + [p["name"] for p in book.get("authors", [])]).lower()
            return all(word in text for word in words)

        self._json(200, [{**b, "region": region} for b in self.state.books.values() if matches(b)][:10])


@contextlib.contextmanager
def audnexus_emulator(**options) -> Iterator[AudnexusState]:
    """A running emulator; ``options`` set :class:`AudnexusState` fields."""
    state = AudnexusState(**options)
    with serve(AudnexusHandler, state=state) as server:
        state.url = server.url
        yield state
