"""The completion's plain GET (services/qbittorrent/quick.py) against scripted loopback
servers: what it sends, and that anything out of the ordinary answers None (the caller
then takes the full client) instead of a wrong answer."""

from __future__ import annotations

import contextlib

import pytest

from mktint.services.qbittorrent import cookies, quick
from tests.support.httpserver import accepting, free_port

SID = "sid-value-0123456789abcdef"


@contextlib.contextmanager
def scripted(answer: bytes):
    """A server answering every request with ``answer`` (raw bytes) and closing; yields its
    base URL and the list of raw requests it read."""
    requests: list[bytes] = []

    def on_connection(conn) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            requests.append(data)
            conn.sendall(answer)

    with accepting(on_connection) as (url, _):
        yield url + "/", requests


def ok(body: bytes, extra: str = "") -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def session_for(base_url: str) -> None:
    cookies.write("qb", base_url, [{"name": "SID", "value": SID, "domain": "127.0.0.1",
                                    "path": "/"}])


def test_sends_the_cached_session_and_reads_the_answer():
    with scripted(ok(b'{"books": {"savePath": "/b"}}')) as (url, seen):
        session_for(url)
        assert quick.get_json("qb", url, "torrents/categories", 1.0) == {"books": {"savePath": "/b"}}
    request = seen[0].decode()
    head, *headers = request.split("\r\n\r\n")[0].split("\r\n")
    assert head == "GET /api/v2/torrents/categories HTTP/1.1"
    names = {h.split(":", 1)[0].lower(): h.split(":", 1)[1].strip() for h in headers}
    assert names["host"] == url.removeprefix("http://").rstrip("/")
    assert names["cookie"] == f"SID={SID}"
    assert "referer" not in names and "origin" not in names  # REFERENCE.md §1


def test_a_base_path_is_kept():
    with scripted(ok(b'["a"]')) as (url, seen):
        base = url + "qbt/"
        session_for(base)
        assert quick.get_json("qb", base, "torrents/tags", 1.0) == ["a"]
    assert seen[0].startswith(b"GET /qbt/api/v2/torrents/tags HTTP/1.1\r\n")


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden",  # the session expired
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n[]",
    b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n[\"cut short",  # the server closed early
    b"HTTP/1.1 200 OK\r\n\r\n[]",  # no length
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnot j",  # not JSON
    b"garbage\r\n\r\n",
], ids=["403", "chunked", "gzip", "cut-short", "no-length", "not-json", "garbage"])
def test_anything_unusual_is_left_to_the_full_client(answer):
    with scripted(answer) as (url, seen):
        session_for(url)
        assert quick.get_json("qb", url, "torrents/tags", 1.0) is None
        assert seen  # it did ask


def test_without_a_session_for_this_url_it_asks_without_a_cookie():
    # as the session's first request does: a WebUI that lets loopback clients in answers
    with scripted(ok(b'["a"]')) as (url, seen):
        assert quick.get_json("qb", url, "torrents/tags", 1.0) == ["a"]  # no cache at all
        session_for("http://127.0.0.1:1/")  # a cache made for another URL
        assert quick.get_json("qb", url, "torrents/tags", 1.0) == ["a"]
    assert len(seen) == 2 and not any(b"\r\ncookie:" in r.lower() for r in seen)


@pytest.mark.parametrize("base", ["https://127.0.0.1:{port}/", "http://admin@127.0.0.1:{port}/"])
def test_https_and_user_names_are_left_to_the_full_client(base):
    with scripted(ok(b"[]")) as (url, seen):
        base = base.format(port=url.rsplit(":", 1)[1].rstrip("/"))
        session_for(base)
        assert quick.get_json("qb", base, "torrents/tags", 1.0) is None
    assert seen == []


def test_a_proxy_setting_is_left_to_the_full_client(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with scripted(ok(b"[]")) as (url, seen):
        session_for(url)
        assert quick.get_json("qb", url, "torrents/tags", 1.0) is None
    assert seen == []


def test_a_stopped_server_is_refused_at_once():
    url = f"http://127.0.0.1:{free_port()}/"
    session_for(url)
    with pytest.raises(ConnectionRefusedError):
        quick.get_json("qb", url, "torrents/tags", 1.0)


def test_a_cache_that_would_break_the_request_is_left_to_the_full_client():
    with scripted(ok(b"[]")) as (url, seen):
        cookies.write("qb", url, [{"name": "SID", "value": "x\r\nX-Injected: 1", "domain": "",
                                   "path": "/"}])
        assert quick.get_json("qb", url, "torrents/tags", 1.0) is None
    assert seen == []
