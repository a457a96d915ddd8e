"""A failed TLS handshake is a configuration error: sent once, never retried, exit 3 with
one line naming the TLS failure — not "temporary" (exit 7), which cron would retry forever."""

from __future__ import annotations

import socket
import ssl
import threading

from tests.support.cli import run_subprocess
from tests.support.tls import certificate  # noqa: F401  (fixture)


class TlsListener(threading.Thread):
    """Accept connections on 127.0.0.1 and offer TLS with ``certificate``; counts them."""

    def __init__(self, certificate):
        super().__init__(daemon=True)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(*map(str, certificate))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.stop = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.connections += 1
            conn.settimeout(5)
            try:
                self.tls.wrap_socket(conn, server_side=True).close()
            except OSError:  # the client does not trust the certificate: the point
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.join()
        self.listener.close()


def test_an_untrusted_certificate_is_a_config_error_tried_once(certificate, config_file, monkeypatch):
    server = TlsListener(certificate)
    try:
        config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\n'
                    f'url = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", "not-sent-0123")
        run = run_subprocess("qbit", "list")
    finally:
        server.close()
    assert run.exit_code == 3, run.stderr
    assert server.connections == 1
    error, hint = run.stderr.splitlines()
    assert error.startswith("error: qb: the TLS connection to https://127.0.0.1:")
    assert "certificate verify failed" in error
    assert "verify_tls" in hint and "[services.qb]" in hint
