"""Bounded time: a server that trickles its answer cannot hold a command, and a site that
asks to be left alone for days does not freeze later commands. Real mktint processes
against hostile loopback servers."""

from __future__ import annotations

import contextlib
import re
import time

import pytest

from tests.emulators.gazelle import FLAVOURS, GazelleSite, Handler
from tests.faults.conftest import COMMANDS
from tests.gazelle.conftest import KEYS, PASSKEY
from tests.support.cli import run_subprocess
from tests.support.httpserver import drip_socket, free_port, serve

# Ends a run that the deadline did not end (the test then fails); not a timing assertion.
HANG_GUARD = 40


@pytest.mark.parametrize("kind", sorted(COMMANDS))
@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_dripping_server_cannot_hold_a_command_past_its_deadline(kind, where, point_services_at):
    """One byte every 0.5 s never trips the 3 s read timeout; the 2 s deadline ends it."""
    service, argv = COMMANDS[kind]
    with drip_socket(where, interval=0.5) as url:
        point_services_at(url, timeout=3, deadline=2)
        run = run_subprocess(*argv, timeout=HANG_GUARD)
    assert run.exit_code == 7, run.stderr
    error = run.error_json()
    assert error["code"] == "timeout" and error["service"] == service, error
    assert "2 s" in error["message"], error
    assert "Traceback" not in run.stderr and run.stdout == ""


class AsksToWait(Handler):
    """The emulated site; its forced 429s (``throttle_next``) carry ``site.retry_after``."""

    def fail(self, status, error, headers=None) -> None:
        if status == 429:
            headers = {"Retry-After": self.site.retry_after}
        super().fail(status, error, headers)


@contextlib.contextmanager
def red_asking_to_wait(retry_after: str, config_file, monkeypatch):
    site = GazelleSite("red", KEYS["red"], PASSKEY, FLAVOURS["red"]["limit"])
    site.retry_after = retry_after
    site.throttle_next["index"] = 1
    with serve(AsksToWait, site=site) as server:
        config_file(f'[services.red]\nurl = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_RED_API_KEY", KEYS["red"])
        yield site


def test_a_huge_retry_after_ends_at_once_and_later_commands_say_until_when(config_file, monkeypatch):
    """429 with Retry-After: 864000 (10 days): exit 7 naming the day asked for, at once;
    later runs and health send nothing and say the same, instead of sleeping 10 days."""
    asked = {time.strftime("%Y-%m-%d", time.gmtime(time.time() + 864000 + s)) for s in (0, 120)}
    with red_asking_to_wait("864000", config_file, monkeypatch) as site:
        first = run_subprocess("red", "whoami", "--json", timeout=HANG_GUARD)
        later = run_subprocess("red", "whoami", "--json", timeout=HANG_GUARD)
        health = run_subprocess("health", "--nagios", "-s", "red", timeout=HANG_GUARD)
    for run in (first, later):
        assert run.exit_code == 7, run.stderr
        error = run.error_json()
        assert error["code"] == "rate_limited", error
        assert any(day in error["message"] for day in asked), error
    assert [r.status for r in site.requests] == [429]  # the later runs sent nothing
    assert health.exit_code == 2, health.stdout
    assert "no answer" not in health.stdout
    assert "red CRITICAL: red asked mktint not to send requests before" in health.stdout


def test_a_wait_of_more_than_a_few_seconds_is_announced_on_stderr(config_file, monkeypatch):
    with red_asking_to_wait("3", config_file, monkeypatch) as site:
        run = run_subprocess("red", "whoami", "--json", timeout=HANG_GUARD)
        quiet = run_subprocess("-q", "red", "whoami", "--json", timeout=HANG_GUARD)
    assert run.exit_code == 0, run.stderr
    assert "note: waiting 3 s for red: it answered HTTP 429; retrying" in run.stderr
    assert [r.status for r in site.requests] == [429, 200, 200]
    assert quiet.exit_code == 0 and quiet.stderr == ""


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_a_refused_connection_fails_at_once_without_retries(kind, point_services_at):
    service, argv = COMMANDS[kind]
    point_services_at(f"http://127.0.0.1:{free_port()}")
    run = run_subprocess("--debug", *argv, timeout=HANG_GUARD)
    assert run.exit_code == 7, run.stderr
    assert "connection refused" in run.error_json()["message"]
    assert "retry" not in run.stderr  # the debug trace announces every retry


def test_refused_connections_use_no_rate_limit_slot_and_health_says_refused(config_file, monkeypatch):
    """OPS down: 5 runs of `red whoami -s ops` (OPS allows 5 requests per 10 s) leave its
    budget untouched, so health answers at once with the real cause and latency."""
    config_file(f'[services.ops]\nurl = "http://127.0.0.1:{free_port()}"\n')
    monkeypatch.setenv("MKTINT_OPS_API_KEY", KEYS["ops"])
    for _ in range(5):
        assert run_subprocess("red", "whoami", "-s", "ops", timeout=HANG_GUARD).exit_code == 7
    run = run_subprocess("health", "--nagios", "-s", "ops", "--timeout", "5", timeout=HANG_GUARD)
    assert run.exit_code == 2, run.stdout
    first = run.stdout.splitlines()[0]
    assert "connection refused" in first and "no answer" not in first, first
    latency = float(re.search(r"'ops_latency'=([\d.]+)s", first).group(1))
    assert latency != 5.0, first  # a measured time, not the timeout standing in for one
