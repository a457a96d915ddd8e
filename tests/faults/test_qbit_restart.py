"""The real qbittorrent-nox restarted or gone in the middle of a command.

A counting proxy sits between mktint and the server, so the test sees every request and
can restart the server at an exact point of a command. Restarted between two commands is
tests/qbit/test_live_auth.py::test_restarted_server_invalidates_the_cookie_and_we_log_in_again_once.
"""

from __future__ import annotations

import http.client

from mktint.core.http import MAX_ATTEMPTS
from tests.support.cli import invoke
from tests.support.httpserver import QuietHandler, serve
from tests.support.qbittorrent import PASSWORD, make_torrent

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class CountingProxy(QuietHandler):
    """Forwards to ``server.qbt``; runs ``server.on_request(path)`` before forwarding."""

    def do_GET(self) -> None:  # noqa: N802
        self.forward(b"")

    def do_POST(self) -> None:  # noqa: N802
        self.forward(self.read_body())

    def forward(self, body: bytes) -> None:
        path = self.path.split("?")[0]
        self.server.paths.append(path)
        self.server.on_request(path)
        qbt = self.server.qbt
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Host"] = f"127.0.0.1:{qbt.port}"
        connection = http.client.HTTPConnection("127.0.0.1", qbt.port, timeout=10)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        except OSError:  # the server is down: the client sees its connection cut
            self.close_connection = True
            self.connection.close()
            return
        finally:
            connection.close()
        extra = {k: v for k, v in answer.getheaders()
                 if k.lower() not in HOP_HEADERS | {"content-type"}}
        self.send_body(answer.status, data, answer.getheader("Content-Type", "text/plain"), extra)


def configure(config_file, monkeypatch, url: str) -> None:
    config_file(f'[defaults]\nclient = "qb"\n\n[services.qb]\nkind = "qbittorrent"\n'
                f'url = "{url}"\nusername = "admin"\n')
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)


def test_restart_during_a_command_logs_in_once_more_and_succeeds(qbittorrent_fresh, config_file,
                                                                monkeypatch):
    fired = []

    def restart_before_the_list(path: str) -> None:
        if path == "/api/v2/torrents/info" and not fired:
            fired.append(path)
            qbittorrent_fresh.restart()  # the session this command logged in with is gone

    with serve(CountingProxy, qbt=qbittorrent_fresh, paths=[], on_request=lambda p: None) as proxy:
        configure(config_file, monkeypatch, proxy.url)
        assert invoke("qbit", "version").exit_code == 0  # a cached session exists
        proxy.paths.clear()
        proxy.on_request = restart_before_the_list
        run = invoke("qbit", "list", "--json")
    assert fired
    assert run.exit_code == 0, run.stderr
    assert isinstance(run.json(), list)
    # 403 on the old session, one login, the list again — nothing more.
    assert proxy.paths.count("/api/v2/auth/login") == 1, proxy.paths
    assert proxy.paths.count("/api/v2/torrents/info") == 2, proxy.paths


def test_server_gone_during_an_add_exits_7_and_sends_the_add_once(qbittorrent_fresh, config_file,
                                                                  monkeypatch, tmp_path):
    torrent, _ = make_torrent(tmp_path / "data", "gone-during-add.bin")

    def stop_at_the_add(path: str) -> None:
        if path == "/api/v2/torrents/add":
            qbittorrent_fresh.stop()

    with serve(CountingProxy, qbt=qbittorrent_fresh, paths=[], on_request=lambda p: None) as proxy:
        configure(config_file, monkeypatch, proxy.url)
        assert invoke("qbit", "version").exit_code == 0
        proxy.paths.clear()
        proxy.on_request = stop_at_the_add
        run = invoke("qbit", "add", str(torrent), "--json")
    assert run.exit_code == 7, run.stderr
    assert "Traceback" not in run.stderr
    assert run.error_json()["service"] == "qb"
    assert proxy.paths.count("/api/v2/torrents/add") == 1, proxy.paths  # a POST: never resent
    assert proxy.paths.count("/api/v2/auth/login") == 0, proxy.paths


def test_server_down_before_a_command_exits_7_without_a_retry_storm(qbittorrent_fresh,
                                                                    config_file, monkeypatch):
    with serve(CountingProxy, qbt=qbittorrent_fresh, paths=[], on_request=lambda p: None) as proxy:
        configure(config_file, monkeypatch, proxy.url)
        assert invoke("qbit", "list").exit_code == 0
        qbittorrent_fresh.stop()
        proxy.paths.clear()
        run = invoke("qbit", "list", "--json")
        assert run.exit_code == 7, run.stderr
        assert "Traceback" not in run.stderr
        assert 1 <= len(proxy.paths) <= MAX_ATTEMPTS, proxy.paths  # reads retried, boundedly
        assert "/api/v2/auth/login" not in proxy.paths
        # Back up: the next command works (one fresh login, since the old session is gone).
        qbittorrent_fresh.start()
        proxy.paths.clear()
        again = invoke("qbit", "list", "--json")
    assert again.exit_code == 0, again.stderr
    assert proxy.paths.count("/api/v2/auth/login") == 1
