"""Fixtures for fault tests: every service pointed at one scripted server, secrets in env."""

from __future__ import annotations

import pytest

RED_KEY = "red-api-key-faults0123456789"
MAM_ID = "mam-id-faults0123456789abcdef"
QB_PASSWORD = "adminadmin"

# One read command per service: (service, argv). Each needs only the service's URL.
COMMANDS = {
    "qbittorrent": ("qb", ["qbit", "list", "--json"]),
    "gazelle": ("red", ["red", "whoami", "--json"]),
    "audnexus": ("audnexus", ["book", "show", "B08G9PRS1K", "--json"]),
    "mam": ("mam", ["mam", "status", "--json"]),
}


@pytest.fixture
def point_services_at(config_file, monkeypatch):
    """``point_services_at(url, timeout=None, deadline=None)``: every service's URL is ``url``."""

    def write(url: str, timeout: float | None = None, deadline: float | None = None) -> None:
        extra = f"timeout = {timeout}\n" if timeout is not None else ""
        extra += f"deadline = {deadline}\n" if deadline is not None else ""
        config_file(
            '[defaults]\nclient = "qb"\n\n'
            f'[services.qb]\nkind = "qbittorrent"\nurl = "{url}"\n{extra}\n'
            f'[services.red]\nurl = "{url}"\n{extra}\n'
            f'[services.audnexus]\nurl = "{url}"\ncache_hours = 0.0\n{extra}\n'
            f'[services.mam]\nurl = "{url}"\n{extra}')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", QB_PASSWORD)
        monkeypatch.setenv("MKTINT_RED_API_KEY", RED_KEY)
        monkeypatch.setenv("MKTINT_MAM_MAM_ID", MAM_ID)

    return write
