"""Bounded time: a server that trickles its answer cannot hold a command, and a site that
asks to be left alone for days does not freeze later commands. Real mktint processes
against hostile loopback servers."""

from __future__ import annotations

import pytest

from tests.faults.conftest import COMMANDS
from tests.support.cli import run_subprocess
from tests.support.httpserver import drip_socket

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
