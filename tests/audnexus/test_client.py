"""AudnexusClient against the emulator: errors, usage checks, 429, throttle, cache."""

import pytest

from mktint.core.errors import NotFound, OperationFailed, RateLimited, UsageError
from mktint.core.ratelimit import RateLimiter
from mktint.services.audnexus import AudnexusClient, parse_error
from tests.emulators.audnexus import (BOOKS, COREY, DELISTED, HAIL_MARY, NEW_RELEASE, PERIODICAL,
                                      PODCAST, US_ONLY, WEIR, audnexus_emulator)


def test_book_and_user_agent(emulator, make_client):
    client = make_client(emulator)
    book = client.book(f" {HAIL_MARY.lower()} ")  # trimmed and upper-cased before sending
    assert book.title == "Project Hail Mary"
    (entry,) = emulator.log
    assert entry["path"] == f"/books/{HAIL_MARY}" and entry["query"] == {"region": "us"}
    assert entry["user_agent"].startswith("mktint/") and "github.com/mktint" in entry["user_agent"]
    assert client.book_raw(HAIL_MARY) == {**BOOKS[HAIL_MARY], "region": "us"}


def test_region_from_config_and_argument(emulator, make_client):
    client = make_client(emulator, region="uk")
    client.book(HAIL_MARY)
    client.book(HAIL_MARY, region="DE")
    assert [e["query"]["region"] for e in emulator.log] == ["uk", "de"]


@pytest.mark.parametrize("call", [
    lambda c: c.book("not-an-asin"),
    lambda c: c.book("B08G9PRS1"),  # 9 characters after the B
    lambda c: c.book(HAIL_MARY, region="xx"),
    lambda c: c.chapters("bad"),
    lambda c: c.author("bad"),
    lambda c: c.search_authors("a"),
    lambda c: c.search_authors("  "),
    lambda c: c.search_books("   "),
    lambda c: c.search_books("dune", region="mars"),
])
def test_usage_errors_are_never_sent(emulator, make_client, call):
    client = make_client(emulator)
    with pytest.raises(UsageError) as error:
        call(client)
    assert error.value.exit_code == 2
    assert emulator.log == []


@pytest.mark.parametrize("style", ["current", "legacy"])
def test_not_found_in_both_envelopes(make_client, style):
    with audnexus_emulator(error_style=style) as emu:
        client = make_client(emu)
        with pytest.raises(NotFound) as error:
            client.book("B0MISSING1")
    assert error.value.exit_code == 5
    # The server answers an ASIN Audible does not know as "not available in this region".
    assert "B0MISSING1" in error.value.message and "region us" in error.value.message
    assert "(Item not available in region 'us' for ASIN: B0MISSING1)" in error.value.message
    assert "check the ASIN" in error.value.hint
    assert error.value.details["status"] == 404


def test_no_chapters_yet_is_not_found_with_a_hint(emulator, make_client):
    with pytest.raises(NotFound) as error:
        make_client(emulator).chapters(NEW_RELEASE)
    assert "no chapters for B0NEWBOOK1" in error.value.message
    assert "new releases" in error.value.hint


def test_region_unavailable_and_delisted(emulator, make_client):
    client = make_client(emulator)
    with pytest.raises(NotFound, match="not available in region uk"):
        client.book(US_ONLY, region="uk")
    with pytest.raises(NotFound) as error:
        client.book(DELISTED)
    assert error.value.exit_code == 5
    assert error.value.message == (
        "book B0DELISTED is no longer sold in region us "
        "(Item is 'NOT_AVAILABLE_FOR_PURCHASE' in region 'us' for ASIN: B0DELISTED)")
    assert error.value.details["server_code"] == "PRODUCT_DELISTED"
    assert "delisted" in error.value.hint


@pytest.mark.parametrize("call, actual", [
    (lambda c: c.book(PODCAST), "Item is a podcast, not a book"),
    (lambda c: c.book(PERIODICAL), "Item is a Periodical, not a book"),
    (lambda c: c.chapters(PODCAST), "Item is a PodcastParent, not a book"),
    (lambda c: c.author(HAIL_MARY), "Item is a book, not a author"),
])
def test_every_other_kind_of_item_is_a_content_type_mismatch(emulator, make_client, call, actual):
    with pytest.raises(OperationFailed) as error:
        call(make_client(emulator))
    assert error.value.exit_code == 1
    assert "the ASIN is another kind of item" in error.value.message and actual in error.value.message
    assert error.value.details == {"status": 400, "server_code": "CONTENT_TYPE_MISMATCH",
                                   "server_message": error.value.details["server_message"]}
    assert "audiobooks and their authors only" in error.value.hint


def test_the_server_validates_with_400_bad_request_never_422(emulator):
    """What the emulator answers to what mktint never sends (it checks locally)."""
    import requests

    for path, message in [("/books/B0BAD", "Bad ASIN"),
                          (f"/books/{HAIL_MARY}?region=zz", "Invalid region. Valid regions are: "
                           "au, ca, de, es, fr, in, it, jp, us, uk"),
                          ("/authors?name=a", "Invalid search parameters")]:
        response = requests.get(emulator.url + path, timeout=5)
        assert response.status_code == 400
        assert response.json() == {"error": {"code": "BAD_REQUEST", "message": message, "details": None}}


def test_chapters_author_and_author_search(emulator, make_client):
    client = make_client(emulator)
    chapters = client.chapters(HAIL_MARY)
    assert len(chapters.chapters) == 3 and chapters.is_accurate
    assert client.author(WEIR).similar == [{"asin": COREY, "name": "James S. A. Corey"}]
    assert client.search_authors("weir") == [{"asin": WEIR, "name": "Andy Weir"}]
    assert emulator.log[-1]["query"] == {"name": "weir", "region": "us"}


def test_search_books(emulator, make_client):
    found = make_client(emulator).search_books("hail mary")
    assert [b.asin for b in found] == [HAIL_MARY]
    assert emulator.log[-1]["path"] == "/books/search"


def test_search_on_a_server_without_it_says_so_plainly(make_client):
    with audnexus_emulator(search_supported=False) as emu:
        with pytest.raises(OperationFailed) as error:
            make_client(emu).search_books("hail mary")
    assert error.value.message == f"book search is not supported by this server ({emu.url})"
    assert "newer Audnexus" in error.value.hint


def test_search_taken_for_an_asin_by_an_old_server(emulator, make_client, monkeypatch):
    # Old servers route /books/search to /books/{asin} and answer "Bad ASIN".
    from tests.emulators.audnexus import AudnexusHandler

    monkeypatch.setattr(AudnexusHandler, "_search_books",
                        lambda self, query: self._book("search", query))
    with pytest.raises(OperationFailed, match="not supported by this server"):
        make_client(emulator).search_books("dune")


def test_429_retry_after_is_honoured(emulator, make_client, monkeypatch):
    import mktint.core.http as http

    slept = []
    monkeypatch.setattr(http.time, "sleep", slept.append)
    emulator.throttle(1, retry_after=1)
    client = make_client(emulator)
    assert client.book(HAIL_MARY).title == "Project Hail Mary"
    assert slept == [1.0]
    assert len(emulator.requests_to(f"/books/{HAIL_MARY}")) == 2


def test_429_with_a_long_wait_gives_up_with_exit_7(emulator, make_client):
    emulator.throttle(3, retry_after=600)
    with pytest.raises(RateLimited) as error:
        make_client(emulator).book(HAIL_MARY)
    assert error.value.exit_code == 7
    assert error.value.retry_after == 600
    assert len(emulator.log) == 1  # no retry: the wait is longer than we are willing to wait


def test_the_emulator_rate_limit_is_a_fixed_window_that_counts_refusals(make_client):
    import requests

    now = [1000.0]
    with audnexus_emulator(rate_limit=2, clock=lambda: now[0]) as emu:
        url = f"{emu.url}/books/{HAIL_MARY}"
        first = requests.get(url, timeout=5)
        assert first.headers["x-ratelimit-limit"] == "2"
        assert first.headers["x-ratelimit-remaining"] == "1"
        assert first.headers["x-ratelimit-reset"] == "60"
        now[0] += 20.5
        assert requests.get(url, timeout=5).headers["x-ratelimit-remaining"] == "0"
        refused = requests.get(url, timeout=5)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "40"  # the window's rest, rounded up
        assert refused.json() == {"error": {"code": "RATE_LIMIT_EXCEEDED", "details": None,
                                            "message": "Rate limit reached. Please try again later."}}
        now[0] += 39.4
        assert requests.get(url, timeout=5).status_code == 429  # still the first window
        now[0] += 0.2
        assert requests.get(url, timeout=5).status_code == 200  # a new window

        client = make_client(emu, cache_hours=0)
        client.limiter = None  # only the server's limit is under test here
        client.max_wait = 0
        client.book(HAIL_MARY)
        with pytest.raises(RateLimited):
            client.book(HAIL_MARY)


def test_bulk_lookups_stay_under_the_servers_limit(make_client, tmp_path, monkeypatch):
    """120 lookups on one clock shared by mktint's limiter and the server's window: the
    server's 100 a minute is never exceeded (2 a second, as before, met 429 at the 101st)."""
    import mktint.core.http as http

    now = [5000.0]

    def sleep(seconds):
        now[0] += seconds

    monkeypatch.setattr(http.time, "sleep", sleep)  # a 429 would be waited out on this clock
    with audnexus_emulator(clock=lambda: now[0]) as emu:
        assert (emu.rate_limit, emu.rate_period) == (100, 60.0)  # src/server.ts
        client = make_client(emu, cache_hours=0)
        client.limiter = RateLimiter("audnexus", AudnexusClient.rate, tmp_path,
                                     sleep=sleep, clock=lambda: now[0])
        for _ in range(120):
            client.book(HAIL_MARY)
        assert len(emu.log) == 120  # not one request refused and sent again
    assert AudnexusClient.rate.limit / AudnexusClient.rate.period < 100 / 60


def test_a_429_makes_every_process_wait(emulator, make_client, tmp_path):
    """The retry-after one client met is kept in the limiter's shared file: a client of
    another process (another limiter on the same file) waits for it too."""
    emulator.throttle(1, retry_after=30)
    client = make_client(emulator, cache_hours=0)
    client.limiter = RateLimiter("audnexus", AudnexusClient.rate, tmp_path)
    client.max_wait = 0  # this one gives up at once ...
    with pytest.raises(RateLimited):
        client.book(HAIL_MARY)
    import time

    waits = []  # ... and the next one, anywhere, waits out the retry-after

    def sleep(seconds):
        waits.append(seconds)

    other = RateLimiter("audnexus", AudnexusClient.rate, tmp_path, sleep=sleep,
                        clock=lambda: time.time() + sum(waits))
    other.acquire()
    assert 25 < sum(waits) <= 30


def test_cache_hit_refresh_and_disabled(emulator, make_client):
    client = make_client(emulator)
    client.book(HAIL_MARY)
    client.book(HAIL_MARY)
    client.book_raw(HAIL_MARY)
    assert len(emulator.log) == 1
    client.book(HAIL_MARY, refresh=True)
    assert len(emulator.log) == 2
    client.book(HAIL_MARY, region="uk")  # another region is another entry
    assert len(emulator.log) == 3

    uncached = make_client(emulator, cache_hours=0)
    uncached.book(HAIL_MARY)
    uncached.book(HAIL_MARY)
    assert len(emulator.log) == 5


def test_errors_are_not_cached(emulator, make_client):
    client = make_client(emulator)
    with pytest.raises(NotFound):
        client.chapters(NEW_RELEASE)
    emulator.chapters[NEW_RELEASE] = {"asin": NEW_RELEASE, "chapters": [], "isAccurate": False}
    assert client.chapters(NEW_RELEASE).is_accurate is False


def test_server_errors_are_temporary(emulator, make_client, monkeypatch):
    from mktint.core.errors import TemporaryError
    from tests.emulators.audnexus import AudnexusHandler

    monkeypatch.setattr(AudnexusHandler, "_book",
                        lambda self, *a: self._json(500, {"statusCode": 500, "error": "Internal",
                                                          "message": "boom"}))
    with pytest.raises(TemporaryError, match=r"HTTP 500 \(boom\)"):
        make_client(emulator).book(HAIL_MARY)


def test_parse_error_shapes():
    class Response:
        def __init__(self, body):
            self.body = body

        def json(self):
            if isinstance(self.body, Exception):
                raise self.body
            return self.body

    assert parse_error(Response({"error": {"code": "BAD_REQUEST", "message": "Bad ASIN"}})) == \
        ("BAD_REQUEST", "Bad ASIN")
    assert parse_error(Response({"statusCode": 404, "error": "Not Found", "message": "x"})) == \
        ("Not Found", "x")
    assert parse_error(Response({"error": "Bad Request", "message": "q is required"})) == \
        ("Bad Request", "q is required")
    assert parse_error(Response(ValueError("html"))) == (None, None)
    assert parse_error(Response(["odd"])) == (None, None)


def test_end_session_is_a_no_op(emulator, make_client):
    make_client(emulator).end_session()
    assert emulator.log == []


@pytest.mark.parametrize("body, call, message", [
    ('["not", "a", "book"]', lambda c: c.book(HAIL_MARY), "a JSON list, not an object"),
    ('{"asin": "x"}', lambda c: c.search_authors("weir"), "a JSON dict, not an array"),
    ("<html>Cloudflare</html>", lambda c: c.book(HAIL_MARY), "with text/html, not JSON"),
])
def test_answers_of_the_wrong_shape_are_protocol_errors(emulator, make_client, monkeypatch,
                                                        body, call, message):
    from mktint.core.errors import ProtocolError
    from tests.emulators.audnexus import AudnexusHandler

    content_type = "text/html" if body.startswith("<") else "application/json"
    monkeypatch.setattr(AudnexusHandler, "do_GET",
                        lambda self: self.send_body(200, body, content_type))
    client = make_client(emulator)
    with pytest.raises(ProtocolError, match=message):
        call(client)
    with pytest.raises(ProtocolError):  # nothing was cached
        call(client)
