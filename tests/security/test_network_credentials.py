"""Credentials on the wire: never sent in clear text after an https→http redirect, never
repeated in a redirect's query, and a password written into a URL never shown."""

from __future__ import annotations

import socket
import ssl
from http.server import ThreadingHTTPServer

import pytest

from mktint.core.errors import ProtocolError
from mktint.core.http import HttpClient
from tests.support.cli import run_subprocess
from tests.support.httpserver import QuietHandler, free_port, serve
from tests.support.tls import certificate  # noqa: F401  (fixture)

API_KEY = "api-key-never-in-clear-0123"


class TlsOrPlain(ThreadingHTTPServer):
    """One port speaking https and http (by the first byte), so that a redirect from
    https://HOST:PORT to http://HOST:PORT stays on the same host and port — the case where
    a host check alone lets credentials through."""

    def get_request(self):
        conn, address = self.socket.accept()
        conn.settimeout(5)
        if conn.recv(1, socket.MSG_PEEK) == b"\x16":  # a TLS ClientHello
            conn = self.tls.wrap_socket(conn, server_side=True)
        conn.settimeout(None)
        return conn, address


class Downgrader(QuietHandler):
    """Over TLS: redirect to the same URL over plain http. Over http: record and answer."""

    def do_GET(self) -> None:  # noqa: N802
        secure = isinstance(self.connection, ssl.SSLSocket)
        self.server.seen.append((secure, self.path, self.headers.get("Authorization")))
        if secure:
            port = self.server.server_address[1]
            self.send_body(302, "", headers={"Location": f"http://127.0.0.1:{port}{self.path}"})
        else:
            self.send_body(200, "{}")


@pytest.fixture
def dual_server(certificate):
    import threading

    server = TlsOrPlain(("127.0.0.1", 0), Downgrader)
    server.daemon_threads = True
    server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.tls.load_cert_chain(*map(str, certificate))
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server, f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class KeyedClient(HttpClient):
    def auth_headers(self):
        return {"Authorization": API_KEY}


def test_an_authenticated_request_is_not_followed_from_https_to_http(dual_server, certificate):
    server, url = dual_server
    client = KeyedClient("site", url, verify_tls=str(certificate[0]))
    with pytest.raises(ProtocolError) as info:
        client.request("GET", "/ajax.php", params={"action": "index"})
    assert "from https to http://127.0.0.1" in info.value.message
    assert server.seen == [(True, "/ajax.php?action=index", API_KEY)]  # nothing in clear text


def test_a_cookie_header_counts_as_credentials_and_a_bare_request_follows(dual_server, certificate):
    server, url = dual_server
    client = HttpClient("site", url, verify_tls=str(certificate[0]))
    with pytest.raises(ProtocolError):
        client.request("GET", "/mine", headers={"Cookie": "mam_id=" + API_KEY}, authenticate=False)
    assert client.request("GET", "/public").status_code == 200
    assert [(secure, path) for secure, path, _ in server.seen] == [
        (True, "/mine"), (True, "/public"), (False, "/public")]


class RedirectOnce(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.server.paths.append(self.path)
        if self.path.startswith("/old"):
            self.send_body(302, "", headers={"Location": self.path.replace("/old", "/new", 1)})
        else:
            self.send_body(200, "{}")


def test_a_redirect_does_not_repeat_the_query_string():
    with serve(RedirectOnce, paths=[]) as server:
        HttpClient("site", server.url).request("GET", "/old", params={"id": "7", "q": "a b"})
    assert server.paths == ["/old?id=7&q=a+b", "/new?id=7&q=a+b"]


def test_a_password_in_a_url_is_never_shown(config_file):
    """`http://user:pass@host` in the config: not in errors, --debug or `config get`."""
    password = "hunter2-url-password"
    url = f"http://admin:{password}@127.0.0.1:{free_port()}"
    config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\nurl = "{url}"\n')
    runs = [run_subprocess("--debug", "qbit", "list", "--json"),
            run_subprocess("config", "get", "services.qb.url"),
            run_subprocess("config", "show"),
            run_subprocess("config", "get", "services.qb.url", "--json")]
    assert runs[0].exit_code == 7, runs[0].stderr
    assert "admin:***@127.0.0.1" in runs[0].stderr
    assert runs[1].stdout.startswith("http://admin:***@127.0.0.1:")
    for run in runs:
        assert password not in run.stdout + run.stderr, run
