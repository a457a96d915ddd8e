"""One read-only WebAPI GET with the cached session, without requests: for shell completion.

A Tab must answer within 1.5x ``python -c "import click"`` (issue 23), and importing
requests alone takes 2.7x. So completion first tries this: a plain HTTP/1.1 GET of
``api/v2/<endpoint>`` over one socket, sending the session cookie an earlier run cached
(``cookies.py``; none when there is none, as the session's first request does: a WebUI that
lets loopback clients in without a login answers it), the Host header as requests sends it
and no Referer or Origin (REFERENCE.md §1). It answers only when everything is ordinary —
an ``http://`` URL with no user name in it, no proxy set, a 200 with a body of known
length — and returns None otherwise (a 403: no session, or an expired one), so the caller
takes the full client, which logs in, follows the rules on failed logins, sends an API key
and speaks TLS. It never logs in, never retries and never writes anything.

Standard library only (and ``_socket``, the C module under ``socket``, whose Python layer
costs 2.5 ms). Answers larger than ``MAX_BODY`` are not read. Each socket operation has
the caller's timeout; the caller bounds the whole (completion waits one second in all).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from mktint.services.qbittorrent import cookies
from mktint.services.qbittorrent.vocab import API

MAX_BODY = 64 * 1024 * 1024
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                   "ALL_PROXY")


def proxied() -> bool:
    """Whether a proxy is set (requests would use it; a direct socket must not)."""
    return any(os.environ.get(v) for v in PROXY_VARIABLES)


def connect(url: str, timeout: float):
    """A connected ``_socket.socket`` to ``url``'s host and port, each address tried in turn
    (what ``socket.create_connection`` does). Raises OSError: refused at once when nothing
    listens."""
    import _socket

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    # bytes: a str host is encoded with the idna codec, one more module to import
    host_bytes = host.encode("ascii") if host.isascii() else host.encode("idna")
    error: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _name, address in _socket.getaddrinfo(
            host_bytes, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as e:
            error = e
            sock.close()
    raise error


def get_json(service: str, base_url: str, endpoint: str, timeout: float) -> Any | None:
    """The JSON answer to ``GET api/v2/<endpoint>`` with the cached session (if any), or
    None when this path cannot answer (the caller then uses the full client). OSError when
    the server cannot be reached (refused, timed out)."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.username or proxied():
        return None
    session = cookies.parse(cookies.read_text(service), base_url)
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in session)
    host = parts.netloc.rpartition("@")[2]
    target = f"{parts.path or '/'}{API}{endpoint}"
    if not all(_header_safe(text) for text in (cookie, host, target)):
        return None  # not for a hand-made request line; requests knows how to refuse it
    request = (f"GET {target} HTTP/1.1\r\nHost: {host}\r\n"
               + (f"Cookie: {cookie}\r\n" if cookie else "")
               + "Accept: application/json\r\nConnection: close\r\n\r\n")
    sock = connect(base_url, timeout)
    try:
        sock.sendall(request.encode("latin-1"))
        status, length, body = _read_response(sock)
    finally:
        sock.close()
    if status != 200 or length is None:
        return None  # 403: the session expired; the full client logs in again
    import json

    try:
        return json.loads(body)
    except ValueError:
        return None


def _header_safe(text: str) -> bool:
    """Printable ASCII only: no CR, LF or other control character to end a line early."""
    return text.isascii() and text.isprintable()


def _read_response(sock) -> tuple[int, int | None, bytes]:
    """Status, Content-Length (None when absent or chunked) and body of an HTTP/1.1
    answer on ``sock``, read until the length is complete or the server closes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk or len(data) > 65536:
            return 0, None, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        return 0, None, b""
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers or headers.get("content-encoding", "identity") != "identity":
        return status, None, b""
    try:
        length = int(headers["content-length"])
    except (KeyError, ValueError):
        return status, None, b""
    if length > MAX_BODY:
        return status, None, b""
    while len(body) < length:
        chunk = sock.recv(min(1 << 20, length - len(body)))
        if not chunk:
            return status, None, b""  # cut short
        body += chunk
    return status, length, body[:length]
