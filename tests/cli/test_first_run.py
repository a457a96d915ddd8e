"""The first run: health without a config file, and login prompts that say where to look."""

from __future__ import annotations

import os
import pty
import select
import sys
import time

import pytest

from tests.support.cli import REPO, invoke


def test_health_without_a_config_file_says_so_and_how_to_create_one(isolated_home):
    run = invoke("health", "-s", "local")
    assert run.exit_code == 0, run.stderr
    assert "no config file at" in run.stdout and "mktint config init" in run.stdout
    assert "config valid" not in run.stdout
    invoke("config", "init")
    assert "config valid" in invoke("health", "-s", "local").stdout


def prompt_of(*args: str, answer: str = "secret-value-123456") -> tuple[str, int]:
    """Run mktint on a terminal (a pty), answer its prompt; returns (screen text, status)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: mktint, with the pty as its terminal
        os.environ["PYTHONPATH"] = str(REPO)
        os.execv(sys.executable, [sys.executable, "-m", "mktint", *args])
    screen, answered = b"", False
    deadline = time.monotonic() + 60  # a bound on a hung child, not a timing assertion
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        if not answered and b": " in screen:
            os.write(fd, answer.encode() + b"\r")
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return screen.decode(errors="replace"), os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize("service,secret,expected", [
    ("red", None, "API key for red (Settings → Access Settings → API keys; scopes: User, Torrents): "),
    ("ops", None, "API key for ops (Settings → Access Settings → API keys): "),
    ("mam", None, "mam_id for mam (Preferences → Security: create a session; "),
    ("qbittorrent", None, "Password for qbittorrent (the WebUI password: Options → Web UI → Authentication): "),
    ("qbittorrent", "API_KEY", "API key for qbittorrent (qBittorrent 5.2+: Options → Web UI → API Key): "),
])
def test_login_prompt_names_the_service_and_where_the_secret_is(isolated_home, service, secret, expected):
    extra = ("--secret", secret) if secret else ()
    screen, status = prompt_of("auth", "login", service, "--no-verify", *extra)
    assert status == 0, screen
    assert expected in screen, screen
