import logging
import time

import pytest

from mktint.core import redact
from mktint.core.errors import ProtocolError, RateLimited, TemporaryError, Timeout
from mktint.core.http import USER_AGENT, HttpClient, json_body, parse_retry_after
from mktint.core.ratelimit import Rate
from tests.support.httpserver import QuietHandler, free_port, serve, silent_socket


class Scripted(QuietHandler):
    """Answers from a list of (status, headers, body); records every request."""

    def _answer(self):
        self.server.seen.append((self.command, self.path, dict(self.headers), self.read_body()))
        status, headers, body = self.server.script.pop(0) if self.server.script else (200, {}, "{}")
        self.send_body(status, body, headers=headers)

    do_GET = do_POST = _answer


def client(url, **kwargs):
    return HttpClient("test", url, deadline=5, **kwargs)


def test_user_agent_and_timeouts_on_every_request():
    with serve(Scripted, script=[], seen=[]) as server:
        response = client(server.url).request("GET", "/x")
        assert response.status_code == 200
        assert server.seen[0][2]["User-Agent"] == USER_AGENT
        assert USER_AGENT.startswith("mktint/")


def test_get_is_retried_on_503_and_429_with_retry_after():
    script = [(503, {}, "busy"), (429, {"Retry-After": "1"}, "slow"), (200, {}, '{"ok": true}')]
    with serve(Scripted, script=script, seen=[]) as server:
        started = time.monotonic()
        response = client(server.url).request("GET", "/x")
        assert response.json() == {"ok": True}
        assert len(server.seen) == 3
        assert time.monotonic() - started >= 1.0


def test_post_is_never_retried_unless_marked_safe():
    with serve(Scripted, script=[(503, {}, "busy"), (200, {}, "{}")], seen=[]) as server:
        response = client(server.url).request("POST", "/upload", data={"a": "1"})
        assert response.status_code == 503
        assert len(server.seen) == 1
    with serve(Scripted, script=[(503, {}, "busy"), (200, {}, "{}")], seen=[]) as server:
        response = client(server.url).request("POST", "/safe", data={"a": "1"}, retry_safe=True)
        assert response.status_code == 200
        assert len(server.seen) == 2


def test_429_beyond_the_retry_budget_is_rate_limited_error():
    with serve(Scripted, script=[(429, {"Retry-After": "3600"}, "no")], seen=[]) as server:
        with pytest.raises(RateLimited) as info:
            client(server.url).request("GET", "/x")
        assert info.value.retry_after == pytest.approx(3600)
        assert info.value.exit_code == 7
        assert len(server.seen) == 1


def test_connection_refused_is_temporary_and_retried_for_get():
    port = free_port()
    with pytest.raises(TemporaryError) as info:
        client(f"http://127.0.0.1:{port}").request("GET", "/x")
    assert "cannot reach test" in info.value.message
    assert "connection refused" in info.value.message


def test_a_server_that_never_answers_is_bounded_by_the_read_timeout():
    """The 0.5 s read timeout ends it, not the 5 s deadline (which names itself)."""
    with silent_socket() as url:
        with pytest.raises(Timeout) as info:
            client(url, timeout=0.5).request("GET", "/x")
    assert "did not answer in time (" in info.value.message
    assert "deadline" not in info.value.message


def test_redirects_pass_through_the_limiter_and_drop_auth_across_hosts():
    class Limited(HttpClient):
        rate = Rate(100, 10)

    script = [(302, {"Location": "/next"}, ""), (200, {}, "{}")]
    with serve(Scripted, script=script, seen=[]) as server:
        c = Limited("limited", server.url)
        calls = []
        original = c.limiter.acquire
        c.limiter.acquire = lambda **kw: calls.append(1) or original(**kw)
        c.request("GET", "/start")
        assert len(calls) == 2
        assert [s[1] for s in server.seen] == ["/start", "/next"]


def test_post_redirected_with_307_is_not_resent():
    with serve(Scripted, script=[(307, {"Location": "/elsewhere"}, "")], seen=[]) as server:
        with pytest.raises(ProtocolError):
            client(server.url).request("POST", "/upload", data={"a": "b"})
        assert len(server.seen) == 1


def test_debug_trace_masks_secrets(caplog):
    redact.register("tok-9876543210")
    with serve(Scripted, script=[], seen=[]) as server:
        with caplog.at_level(logging.DEBUG, logger="mktint.http"):
            client(server.url).request("GET", "/a/tok-9876543210/b",
                                       headers={"Authorization": "tok-9876543210", "X-Other": "1"})
    assert "tok-9876543210" not in caplog.text
    assert "'Authorization': '***'" in caplog.text
    assert "GET" in caplog.text and "/a/***/b" in caplog.text


def test_json_body_errors_are_clear():
    class FakeResponse:
        status_code = 502
        headers = {"Content-Type": "text/html; charset=utf-8"}

        def json(self):
            raise ValueError

    with pytest.raises(TemporaryError) as info:
        json_body(FakeResponse(), "red")
    assert "HTTP 502 with text/html, not JSON" in info.value.message


def test_parse_retry_after():
    assert parse_retry_after("5") == 5
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert 0 <= parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") <= 1
