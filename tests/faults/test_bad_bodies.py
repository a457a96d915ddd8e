"""Every service answering garbage: HTML error pages, truncated or non-JSON bodies, cut
connections and silence. mktint must say what happened (exit 1 or 7), never crash with a
traceback, and never hammer the server (at most MAX_ATTEMPTS tries of one request)."""

from __future__ import annotations

import re

import pytest

from mktint.core.http import MAX_ATTEMPTS
from tests.emulators.audnexus import audnexus_emulator
from tests.faults.conftest import COMMANDS
from tests.support.cli import invoke
from tests.support.httpserver import QuietHandler, serve, silent_socket

INTERNAL_ERROR = re.compile(r"unexpected \w+:")  # mktint.cli.errors' report of a bug
PYTHON_REPR = re.compile(r"\b[A-Z][A-Za-z]+\(")  # IncompleteRead(20 bytes read, ...)
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
HTML_200 = "<!DOCTYPE html><html><body>Checking your browser before accessing...</body></html>"


class AnyMethod(QuietHandler):
    """GET and POST (its body read) both go to ``handle_any``."""

    def do_GET(self) -> None:  # noqa: N802
        self.handle_any()

    def do_POST(self) -> None:  # noqa: N802
        self.read_body()
        self.handle_any()


class FaultHandler(AnyMethod):
    """Logs in qBittorrent sessions properly, then answers every other request badly."""

    def handle_any(self) -> None:
        self.server.paths.append(self.path.split("?")[0])
        if self.path.startswith("/api/v2/auth/login"):
            self.send_body(200, "Ok.", "text/plain", {"Set-Cookie": "SID=faultsession0123; path=/"})
            return
        mode = self.server.mode
        if mode == "html_502":
            self.send_body(502, HTML_502, "text/html")
        elif mode == "html_200":
            self.send_body(200, HTML_200, "text/html")
        elif mode == "truncated_json":
            self.send_body(200, '{"status": "success", "response": {"username": "a', "application/json")
        elif mode == "not_json":
            self.send_body(200, "Internal Server Error", "application/json")
        elif mode == "empty":
            self.send_body(200, b"", "application/json")
        elif mode == "cut_body":  # promise 1000 bytes, send 20, hang up
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"status": "success"')
            self.wfile.flush()
            self.close_connection = True
        else:
            raise AssertionError(mode)


MODES = {  # mode → allowed exit codes
    "html_502": {7},
    "html_200": {1},
    "truncated_json": {1},
    "not_json": {1},
    "empty": {1},
    "cut_body": {7},
}


def assert_clean_failure(run, exit_codes: set[int], service: str) -> dict:
    assert run.exit_code in exit_codes, (run.exit_code, run.stderr)
    assert "Traceback" not in run.stderr and not INTERNAL_ERROR.search(run.stderr), run.stderr
    error = run.error_json()
    assert error["code"] != "internal", error
    assert not PYTHON_REPR.search(error["message"]), error
    assert error["service"] == service, error
    assert run.stdout == ""
    return error


@pytest.mark.parametrize("kind", sorted(COMMANDS))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_bad_answers_give_a_clear_error_and_no_retry_storm(kind, mode, point_services_at):
    service, argv = COMMANDS[kind]
    with serve(FaultHandler, mode=mode, paths=[]) as server:
        point_services_at(server.url)
        run = invoke(*argv)
    # MAM answers a dead session with its login page (200, HTML): an auth error there.
    assert_clean_failure(run, {4} if (kind, mode) == ("mam", "html_200") else MODES[mode], service)
    data_paths = [p for p in server.paths if p != "/api/v2/auth/login"]
    assert data_paths, "the command never reached the server"
    assert max(data_paths.count(p) for p in set(data_paths)) <= MAX_ATTEMPTS, server.paths
    assert server.paths.count("/api/v2/auth/login") <= 2  # one login, one re-login at most


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_a_server_that_never_answers_times_out(kind, point_services_at):
    service, argv = COMMANDS[kind]
    with silent_socket() as url:
        point_services_at(url, timeout=0.3)
        run = invoke(*argv)
    error = assert_clean_failure(run, {7}, service)
    assert error["code"] == "timeout"
    assert "did not answer in time" in error["message"]


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_nothing_listening_is_temporary(kind, point_services_at):
    from tests.support.httpserver import free_port

    service, argv = COMMANDS[kind]
    point_services_at(f"http://127.0.0.1:{free_port()}")
    run = invoke(*argv)
    error = assert_clean_failure(run, {7}, service)
    assert "cannot reach" in error["message"]


class BrokenLogin(QuietHandler):
    """qBittorrent whose login answers badly: every request is refused with 403 (no
    session) and auth/login gets ``server.login_answer``."""

    def do_GET(self) -> None:  # noqa: N802
        self.server.paths.append(self.path.split("?")[0])
        self.send_body(403, "Forbidden", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        self.read_body()
        self.server.paths.append(self.path.split("?")[0])
        if self.path.startswith("/api/v2/auth/login"):
            self.send_body(*self.server.login_answer)
        else:
            self.send_body(403, "Forbidden", "text/plain")


@pytest.mark.parametrize("answer, exit_code", [
    ((502, HTML_502, "text/html"), 7),
    ((503, "", "text/plain"), 7),
    ((200, HTML_200, "text/html"), 1),
])
def test_qbittorrent_login_answered_badly_is_sent_once(answer, exit_code, point_services_at):
    with serve(BrokenLogin, login_answer=answer, paths=[]) as server:
        point_services_at(server.url)
        run = invoke("qbit", "list", "--json")
    assert_clean_failure(run, {exit_code}, "qb")
    assert server.paths.count("/api/v2/auth/login") == 1, server.paths  # never retried


@pytest.mark.parametrize("mode", ["truncated_json", "html_200", "cut_body"])
def test_a_bad_audnexus_answer_is_never_cached(mode, config_file, isolated_home):
    with serve(FaultHandler, mode=mode, paths=[]) as server:
        config_file(f'[services.audnexus]\nurl = "{server.url}"\n')  # cache on (24 h)
        assert invoke("book", "show", "B08G9PRS1K", "--json").exit_code in MODES[mode]
    cache = isolated_home / ".cache" / "mktint"
    assert not [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".lock"]
    # The check looks in the right place: a good answer is cached there.
    with audnexus_emulator() as good:
        config_file(f'[services.audnexus]\nurl = "{good.url}"\n')
        assert invoke("book", "show", "B08G9PRS1K", "--json").exit_code == 0
    assert [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".lock"]


class Flood(AnyMethod):
    """An answer far larger than any real one: ``server.mode`` "gzip_bomb" (a small gzip
    body that inflates to 300 MiB) or "endless" (300 MiB of zeros, no length, as from
    /dev/zero). Bounded so that a client without a limit still ends, wrongly."""

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client hung up on the flood: what it should do
            pass

    def handle_any(self) -> None:
        if self.path.startswith("/api/v2/auth/login"):
            self.send_body(200, "Ok.", "text/plain", {"Set-Cookie": "SID=floodsession0123; path=/"})
            return
        self.close_connection = True
        if self.server.mode == "gzip_bomb":
            self.send_body(200, self.server.bomb, headers={"Content-Encoding": "gzip"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        zeros = bytes(1 << 20)
        for _ in range(300):
            self.wfile.write(zeros)


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = bytes(1 << 20)
    return b"".join([*(packer.compress(zeros) for _ in range(300)), packer.flush()])


@pytest.mark.parametrize("kind", sorted(COMMANDS))
@pytest.mark.parametrize("mode", ["gzip_bomb", "endless"])
def test_a_huge_answer_is_refused_with_a_clear_error(kind, mode, gzip_bomb, point_services_at):
    service, argv = COMMANDS[kind]
    with serve(Flood, mode=mode, bomb=gzip_bomb) as server:
        point_services_at(server.url)
        run = invoke(*argv)
    error = assert_clean_failure(run, {1}, service)
    assert "sent an answer larger than 128 MiB" in error["message"], error
