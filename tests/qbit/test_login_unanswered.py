"""A login whose answer is lost is not sent blind again (issue 21): the "attempt sent"
record survives a dropped connection or a read timeout after the POST went out, and is
forgotten only when the POST provably never reached the server (connection refused).
Real `python -m mktint` processes against loopback servers."""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer

import pytest

from mktint.core import paths
from tests.support.cli import run_subprocess
from tests.support.httpserver import QuietHandler, free_port

PASSWORD = "the-password-0123"


class LoginServer(QuietHandler):
    """qBittorrent enough for `qbit list`: 403 without a session; auth/login per
    ``server.login``: "ok" (log in), "drop" (read the POST, close without answering) or
    "silent" (read the POST, never answer)."""

    def do_GET(self) -> None:  # noqa: N802
        if "SID=s1" not in (self.headers.get("Cookie") or ""):
            self.send_body(403, "Forbidden", content_type="text/plain")
        elif self.path.endswith("app/webapiVersion"):
            self.send_body(200, "2.11.2", content_type="text/plain")
        else:
            self.send_body(200, "[]")

    def do_POST(self) -> None:  # noqa: N802
        body = self.read_body()
        if not self.path.endswith("auth/login"):
            self.send_body(404, "")
            return
        self.server.logins.append(body)
        if self.server.login == "ok":
            self.send_body(200, "Ok.", content_type="text/plain", headers={"Set-Cookie": "SID=s1; path=/"})
        elif self.server.login == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.server.release.wait(30)
            self.close_connection = True


@pytest.fixture
def login_server(config_file, monkeypatch):
    """Start (or restart, on the same port) a LoginServer in a given mode."""
    port = free_port()
    servers = []
    config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\n'
                f'url = "http://127.0.0.1:{port}"\ntimeout = 1\n')
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)

    def start(login: str) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), LoginServer)
        server.daemon_threads = True
        server.login, server.logins, server.release = login, [], threading.Event()
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        servers.append(server)
        return server

    yield port, start
    for server in servers:
        server.release.set()
        server.shutdown()
        server.server_close()


def attempt_recorded() -> bool:
    return (paths.state_dir() / "qbittorrent" / "qb.failed-login.json").exists()


@pytest.mark.parametrize("login", ["drop", "silent"])
def test_a_login_whose_answer_is_lost_is_not_sent_again(login_server, login):
    _, start = login_server
    server = start(login)
    first = run_subprocess("qbit", "list")
    assert first.exit_code == 7, first.stderr
    assert len(server.logins) == 1
    assert attempt_recorded()

    second = run_subprocess("qbit", "list")
    assert second.exit_code == 4, second.stderr
    assert "did not finish last time" in second.stderr
    assert "auth login" in second.stderr
    assert len(server.logins) == 1  # the same password was not sent blind
    assert PASSWORD not in first.stderr + second.stderr
    from mktint.core.factory import Factory  # what `auth login` at a terminal says before asking

    assert Factory().service("qb", "qbittorrent").rejected_secret_note("PASSWORD") == \
        "the last login got no answer (qBittorrent may have counted it as a failure)"


class RefuseAfter403(threading.Thread):
    """Answer one request with 403 and ``Connection: close``, then stop listening: the
    login POST that follows is refused — it never reaches a server."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", port))
        self.start()

    def run(self) -> None:
        conn, _ = self.listener.accept()
        self.listener.close()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
                         b"Forbidden")


def test_a_login_refused_before_it_was_sent_is_forgotten(login_server):
    port, start = login_server
    RefuseAfter403(port).join(timeout=0)
    first = run_subprocess("qbit", "list")
    assert first.exit_code == 7, first.stderr
    assert "cannot reach qb" in first.stderr
    assert not attempt_recorded()

    server = start("ok")  # the next run may log in: the password was never sent
    second = run_subprocess("qbit", "list")
    assert second.exit_code == 0, second.stderr
    assert len(server.logins) == 1
