"""AudnexusClient against the emulator: errors, usage checks, 429, throttle, cache."""

import pytest

from mktint.core.errors import NotFound, OperationFailed, RateLimited, UsageError
from mktint.core.ratelimit import RateLimiter
from mktint.services.audnexus import AudnexusClient, parse_error
from tests.emulators.audnexus import (BOOKS, COREY, HAIL_MARY, NEW_RELEASE, PODCAST, US_ONLY,
                                      WEIR, audnexus_emulator)


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
    assert "no book B0MISSING1 in region us (Book B0MISSING1 not found)" in error.value.message
    assert error.value.details["status"] == 404


def test_no_chapters_yet_is_not_found_with_a_hint(emulator, make_client):
    with pytest.raises(NotFound) as error:
        make_client(emulator).chapters(NEW_RELEASE)
    assert "no chapters for B0NEWBOOK1" in error.value.message
    assert "new releases" in error.value.hint


def test_region_unavailable_and_podcast(emulator, make_client):
    client = make_client(emulator)
    with pytest.raises(NotFound, match="not available in region uk"):
        client.book(US_ONLY, region="uk")
    with pytest.raises(OperationFailed, match="is not an audiobook"):
        client.book(PODCAST)


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
                        lambda self, query: self._item("search", query, {}, "book"))
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


def test_the_emulator_rate_limit_counts_requests(make_client):
    with audnexus_emulator(rate_limit=2) as emu:
        client = make_client(emu, cache_hours=0)
        client.limiter = None  # only the server's limit is under test here
        client.max_retry_wait = 0
        client.book(HAIL_MARY)
        client.book(HAIL_MARY)
        with pytest.raises(RateLimited):
            client.book(HAIL_MARY)


def test_polite_throttle_two_requests_per_second(emulator, make_client, tmp_path):
    now = [0.0]
    sent_at = []

    def sleep(seconds):
        now[0] += seconds

    client = make_client(emulator, cache_hours=0)
    client.limiter = RateLimiter("audnexus-test", AudnexusClient.rate, tmp_path,
                                 sleep=sleep, clock=lambda: now[0])
    original = client.limiter.acquire

    def acquire():
        waited = original()
        sent_at.append(now[0])
        return waited

    client.limiter.acquire = acquire
    for _ in range(6):
        client.book(HAIL_MARY)
    assert len(sent_at) == 6
    assert all(later - earlier >= 1.0 for earlier, later in zip(sent_at, sent_at[2:]))


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

    monkeypatch.setattr(AudnexusHandler, "_item",
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
