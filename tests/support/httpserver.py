"""A real HTTP server on loopback for tests: emulators and scripted fault servers."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes: with Nagle's algorithm on, the body waited
    # for the client's delayed ACK, 40 ms on every answer after a connection's first. Real
    # servers send at once (nginx: `tcp_nodelay on` by default, ngx_http_core_module).
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def send_body(self, status: int, body: bytes | str, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


@contextlib.contextmanager
def serve(handler: type[BaseHTTPRequestHandler], **attributes) -> Iterator[ThreadingHTTPServer]:
    """Run ``handler`` on 127.0.0.1 on a free port; ``server.url`` is its base URL.

    Keyword arguments become attributes of the server (handlers reach them through
    ``self.server``), e.g. emulator state.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    for name, value in attributes.items():
        setattr(server, name, value)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def accepting(on_connection) -> Iterator[tuple[str, threading.Event]]:
    """A loopback listener handing each accepted connection to ``on_connection`` until the
    block ends; yields its base URL and the event set when it stops."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except OSError:
                continue
            on_connection(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", stop
    finally:
        stop.set()
        thread.join()
        listener.close()


@contextlib.contextmanager
def silent_socket() -> Iterator[str]:
    """A socket that accepts connections and never answers; yields its base URL."""
    accepted: list[socket.socket] = []
    try:
        with accepting(accepted.append) as (url, _):
            yield url
    finally:
        for conn in accepted:
            conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def drip_socket(where: str = "headers", interval: float = 0.5) -> Iterator[str]:
    """A server that reads each request, then answers one byte every ``interval`` seconds,
    forever: the status line and then an endless header (``where="headers"``), or whole
    headers and then an endless body (``where="body"``). Each byte comes well within any
    read timeout; only a deadline on the whole request ends it. Yields its base URL."""
    if where == "headers":
        head, filler = b"HTTP/1.1 200 OK\r\nX-Drip: ", b"a"
    elif where == "body":
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000000000\r\n\r\n")
        filler = b" "
    else:
        raise ValueError(where)
    stop = threading.Event()  # set when the listener stops (below)

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1.0)
            request = b""
            try:
                while b"\r\n\r\n" not in request and not stop.is_set():
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                conn.sendall(head[:1])
                for byte in (head[i:i + 1] for i in range(1, len(head))):
                    if stop.wait(interval):
                        return
                    conn.sendall(byte)
                while not stop.wait(interval):
                    conn.sendall(filler)
            except OSError:  # the client gave up and closed: that is the point
                return

    def start(conn: socket.socket) -> None:
        threading.Thread(target=drip, args=(conn,), daemon=True).start()

    with accepting(start) as (url, _):
        try:
            yield url
        finally:
            stop.set()
