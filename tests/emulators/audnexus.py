"""An Audnexus emulator, written from the server's source (laxamentumtech/audnexus).

Each behaviour cites the file it comes from:

- Routes ``GET /books/{asin}``, ``/books/{asin}/chapters``, ``/authors/{asin}``,
  ``/authors?name=`` and (``search_supported=True``) ``/books/search?q=``
  (src/config/routes/**). Without search, ``/books/search`` is a 404 like any unknown
  route (fastify's default, legacy shape).
- Validation (src/helpers/routes/RouteCommonHelper.ts, src/config/types.ts, messages in
  src/static/messages.ts): every failure is **400 BAD_REQUEST** — "Bad ASIN", "Invalid
  region. Valid regions are: …", "Invalid search parameters" for an author name under 2
  characters. The server defines a 422 ValidationError (src/helpers/errors/ApiErrors.ts)
  but no route throws it.
- Errors (src/server.ts ``setErrorHandler``): ``{"error": {"code", "message", "details"}}``
  with the code from ``details.code`` or the error class. Books
  (src/helpers/books/audible/ApiHelper.ts): an item whose content type is not
  MultiPartBook/SinglePartBook is 400 CONTENT_TYPE_MISMATCH ("Item is a podcast, not a
  book", or the Audible type: "Item is a Periodical, not a book"), for chapters too
  (ChapterHelper.ts ``validateContentType``) and for an author ASIN that is a book
  (authors/audible/ScrapeHelper.ts); a product Audible no longer sells is 404
  PRODUCT_DELISTED ("Item is 'NOT_AVAILABLE_FOR_PURCHASE' in region 'us' …"); anything
  else Audible has no data for — an unknown ASIN included — is 404 REGION_UNAVAILABLE
  ("Item not available in region 'us' for ASIN: …"). Missing chapters are a plain Error
  with status 404 (routes/books/chapters/show.ts), which fastify sends in its own shape
  ``{"statusCode", "error", "message"}``. ``error_style="legacy"`` answers every error in
  that older shape, as older servers do.
- Rate limit (src/server.ts registers @fastify/rate-limit with ``max: MAX_REQUESTS || 100``
  and ``timeWindow: '1 minute'``, keyed by client IP; fastify/fastify-rate-limit
  index.js and store/LocalStore.js): a fixed window that starts at a client's first
  request; every request counts, refused ones included, and is checked before any
  validation; answers carry ``x-ratelimit-limit``, ``-remaining`` and ``-reset`` (seconds
  left in the window); past the limit, 429 RATE_LIMIT_EXCEEDED "Rate limit reached. Please
  try again later." with ``retry-after`` = the seconds left, rounded up.

Usage::

    with audnexus_emulator(search_supported=False) as emu:
        emu.url, emu.log, emu.books, emu.throttle(1, retry_after=2)
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
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
PERIODICAL = "B0PERIODIC"
DELISTED = "B0DELISTED"
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

# ASIN -> Audible content_delivery_type of items that are not books (ApiHelper.ts).
NOT_BOOKS = {PODCAST: "PodcastParent", PERIODICAL: "Periodical"}

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
    rate_limit: int = 100  # requests per window per client IP (server.ts: MAX_REQUESTS || 100)
    rate_period: float = 60.0  # the window, in seconds (server.ts: timeWindow '1 minute')
    clock: object = time.monotonic  # tests may run the window on a fake clock
    delay: float = 0.0  # seconds to wait before answering (to make callers overlap)
    books: dict = field(default_factory=lambda: copy.deepcopy(BOOKS))
    chapters: dict = field(default_factory=lambda: copy.deepcopy(CHAPTERS))
    authors: dict = field(default_factory=lambda: copy.deepcopy(AUTHORS))
    log: list = field(default_factory=list)  # {"method", "path", "query", "user_agent"}
    url: str = ""
    _forced_429: list = field(default_factory=list)  # retry-after values to answer next
    _windows: dict = field(default_factory=dict)  # client IP -> [window start, count]
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
            # server.ts: a 429 always has the current shape and this message.
            return self._error(429, "RATE_LIMIT_EXCEEDED", "Rate limit reached. Please try again later.",
                               headers={"retry-after": str(limited)}, style="current")
        segments = [s for s in parts.path.split("/") if s]
        if segments[:2] == ["books", "search"] and len(segments) == 2:
            return self._search_books(query)
        if len(segments) == 2 and segments[0] == "books":
            return self._book(segments[1], query)
        if len(segments) == 3 and segments[0] == "books" and segments[2] == "chapters":
            return self._chapters(segments[1], query)
        if segments == ["authors"]:
            return self._search_authors(query)
        if len(segments) == 2 and segments[0] == "authors":
            return self._author(segments[1], query)
        return self._route_not_found(self.path)

    # -- limits and errors ----------------------------------------------------------------

    def _rate_limit(self) -> int | None:
        """Retry-after seconds when this request is over the limit, else None (LocalStore.js)."""
        state = self.state
        if state._forced_429:
            self._limit_headers = {}
            return state._forced_429.pop(0)
        now = state.clock()
        window = state._windows.get(self.client_address[0])
        if window is None or window[0] + state.rate_period <= now:
            window = state._windows[self.client_address[0]] = [now, 0]
        window[1] += 1  # refused requests count too
        reset = math.ceil(window[0] + state.rate_period - now)
        self._limit_headers = {"x-ratelimit-limit": str(state.rate_limit),
                               "x-ratelimit-remaining": str(max(0, state.rate_limit - window[1])),
                               "x-ratelimit-reset": str(reset)}
        return reset if window[1] > state.rate_limit else None

    def _headers(self) -> dict[str, str]:
        return getattr(self, "_limit_headers", {})

    def _json(self, status: int, body, headers: dict | None = None) -> None:
        self.send_body(status, json.dumps(body), headers={**self._headers(), **(headers or {})})

    def _error(self, status: int, code: str, message: str, *, headers=None, style=None,
               details=None) -> None:
        if (style or self.state.error_style) == "current":
            body = {"error": {"code": code, "message": message, "details": details}}
        else:
            reason = {400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}.get(status, "Error")
            body = {"statusCode": status, "error": reason, "message": message}
        self._json(status, body, headers)

    def _route_not_found(self, path: str) -> None:
        # fastify's default for an unknown route (legacy shape).
        self._json(404, {"statusCode": 404, "error": "Not Found",
                         "message": f"Route GET:{path} not found"})

    def _query(self, asin: str | None, query: dict) -> str | None:
        """The region after RouteCommonHelper's checks (ASIN, then the query), else None."""
        if asin is not None and not ASIN.match(asin.strip()):
            self._error(400, "BAD_REQUEST", "Bad ASIN")
            return None
        if "name" in query and len(query["name"]) < 2:
            self._error(400, "BAD_REQUEST", "Invalid search parameters")
            return None
        region = query.get("region", "us")
        if region not in REGIONS:
            self._error(400, "BAD_REQUEST",
                        "Invalid region. Valid regions are: " + ", ".join(REGIONS))
            return None
        return region

    def _not_a(self, asin: str, actual: str, requested: str) -> None:
        self._error(400, "CONTENT_TYPE_MISMATCH", f"Item is a {actual}, not a {requested}. ASIN: {asin}",
                    details={"asin": asin, "requestedType": requested, "actualType": actual})

    def _unavailable(self, asin: str, region: str) -> None:
        self._error(404, "REGION_UNAVAILABLE", f"Item not available in region '{region}' for ASIN: {asin}",
                    details={"asin": asin, "code": "REGION_UNAVAILABLE"})

    # -- routes ---------------------------------------------------------------------------

    def _book(self, asin: str, query: dict) -> None:
        region = self._query(asin, query)
        if region is None:
            return
        if asin in NOT_BOOKS:
            kind = NOT_BOOKS[asin]
            return self._not_a(asin, "podcast" if kind == "PodcastParent" else kind, "book")
        if asin == DELISTED:
            return self._error(
                404, "PRODUCT_DELISTED",
                f"Item is 'NOT_AVAILABLE_FOR_PURCHASE' in region '{region}' for ASIN: {asin}",
                details={"asin": asin, "code": "PRODUCT_DELISTED",
                         "productState": "NOT_AVAILABLE_FOR_PURCHASE"})
        book = self.state.books.get(asin)
        if book is None or (asin == US_ONLY and region != "us"):
            return self._unavailable(asin, region)
        self._json(200, {**book, "region": region})

    def _author(self, asin: str, query: dict) -> None:
        region = self._query(asin, query)
        if region is None:
            return
        if asin in self.state.books:
            return self._not_a(asin, "book", "author")
        author = self.state.authors.get(asin)
        if author is None:
            return self._unavailable(asin, region)
        self._json(200, {**author, "region": region})

    def _chapters(self, asin: str, query: dict) -> None:
        region = self._query(asin, query)
        if region is None:
            return
        if asin in NOT_BOOKS:
            return self._not_a(asin, NOT_BOOKS[asin], "book")
        chapters = self.state.chapters.get(asin)
        if chapters is None:
            return self._json(404, {"statusCode": 404, "error": "Not Found",
                                    "message": f"{asin} has no chapters"})
        self._json(200, {**chapters, "region": region})

    def _search_authors(self, query: dict) -> None:
        region = self._query(None, query)
        if region is None:
            return
        name = query.get("name", "").strip()
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
