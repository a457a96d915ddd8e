"""Health checks against real servers: the MAM emulator, a silent socket, nothing listening.

(qBittorrent, Gazelle and Audnexus live checks are added beside their fixtures.)"""

import time

from tests.emulators.mam import mam_server
from tests.support.cli import invoke
from tests.support.httpserver import free_port, silent_socket


def test_mam_ok_and_rejected_cookie(config_file, monkeypatch):
    with mam_server() as mam:
        config_file(f'[services.mam]\nurl = "{mam.url}"\n')
        monkeypatch.setenv("MKTINT_MAM_MAM_ID", mam.mam_id)
        run = invoke("health", "--json", "-s", "mam")
        assert run.exit_code == 0, run.stdout
        result = run.json()["services"][0]
        assert result["status"] == "ok" and result["details"]["ratio"] is not None
        monkeypatch.setenv("MKTINT_MAM_MAM_ID", "mam-id-wrong-0000")
        run = invoke("health", "--json", "-s", "mam")
        assert run.exit_code == 2
        assert run.json()["services"][0]["status"] == "critical"
        assert "mam-id-wrong-0000" not in run.stdout + run.stderr


def test_a_server_that_never_answers_is_bounded_by_the_timeout(config_file, monkeypatch):
    with silent_socket() as url:
        config_file(f'[services.mam]\nurl = "{url}"\n')
        monkeypatch.setenv("MKTINT_MAM_MAM_ID", "mam-id-0000000000")
        started = time.monotonic()
        run = invoke("health", "--nagios", "--timeout", "1.5", "-s", "mam", "-s", "local")
        elapsed = time.monotonic() - started
    assert run.exit_code == 2
    assert run.stdout.startswith("MKTINT CRITICAL: mam CRITICAL:")
    assert elapsed < 6  # bounded by --timeout, not by the 30 s read timeout


def test_nothing_listening_is_critical(config_file, monkeypatch):
    config_file(f'[services.mam]\nurl = "http://127.0.0.1:{free_port()}"\n')
    monkeypatch.setenv("MKTINT_MAM_MAM_ID", "mam-id-0000000000")
    run = invoke("health", "--json", "-s", "mam")
    assert run.exit_code == 2
    assert "cannot reach mam" in run.json()["services"][0]["message"]
