"""Health checks against real servers: qbittorrent-nox, the MAM, Gazelle and Audnexus
emulators, a silent socket, nothing listening — every status in every output form."""

import os
import time

import pytest

from tests.emulators.audnexus import audnexus_emulator
from tests.emulators.gazelle import gazelle_emulator
from tests.emulators.mam import mam_server
from tests.support.cli import invoke
from tests.support.httpserver import free_port, silent_socket
from tests.support.qbittorrent import PASSWORD, make_torrent, running_server, use_qbit

RED_KEY = "red-api-key-0123456789abcdef"


def only(run) -> dict:
    """The one service result of a ``--json`` run."""
    services = run.json()["services"]
    assert len(services) == 1, services
    return services[0]


def tsv(run) -> list[list[str]]:
    """The piped table: one tab-separated row per service."""
    return [line.split("\t") for line in run.stdout.splitlines()]


# -- qBittorrent (qbittorrent-nox 4.5.2) -------------------------------------------------

@pytest.fixture(scope="module")
def qbt_server(tmp_path_factory):
    """A server of this module's own: the shared one may hold other tests' errored torrents."""
    with running_server(tmp_path_factory.mktemp("qbt-health")) as server:
        yield server


@pytest.fixture
def qb(qbt_server, config_file, monkeypatch):
    return use_qbit(config_file, monkeypatch, qbt_server)


def test_qbittorrent_ok_in_every_output_form(qb):
    # qBittorrent measures free disk space in a background thread (about every 30 s) and
    # reports 0 until the first measurement: a server started a moment ago may not have one.
    for _ in range(60):
        run = invoke("health", "--json", "-s", "qb")
        assert run.exit_code == 0, run.stdout + run.stderr
        result = only(run)
        if result["details"]["free_space"]:
            break
        time.sleep(1)
    assert run.json()["status"] == "ok"
    assert (result["name"], result["kind"], result["status"]) == ("qb", "qbittorrent", "ok")
    assert result["message"].startswith("qBittorrent v4.5")
    assert result["details"]["webapi_version"] == "2.8.19"
    assert result["details"]["errored_torrents"] == 0
    assert isinstance(result["details"]["free_space"], int) and result["details"]["free_space"] > 0

    run = invoke("health", "-s", "qb")
    assert run.exit_code == 0
    [row] = tsv(run)
    assert row[:3] == ["qb", "qbittorrent", "OK"] and row[3].endswith(" ms")
    assert "overall: OK" in run.stderr

    run = invoke("health", "--nagios", "-s", "qb")
    assert run.exit_code == 0
    first, detail = run.stdout.splitlines()
    assert first.startswith("MKTINT OK: 1 checks OK | 'qb_latency'=")
    assert detail.startswith("qb (qbittorrent) OK: qBittorrent v4.5")

    assert invoke("health", "-q", "-s", "qb").stdout == ""
    assert PASSWORD not in run.stdout + run.stderr


def test_qbittorrent_free_space_against_min_free(qb):
    run = invoke("health", "--json", "-s", "qb", "--min-free", "1KiB")
    assert run.exit_code == 0
    free = only(run)["details"]["free_space"]
    # The server reports the free space of its default save path.
    assert abs(free - os.statvfs(qb.downloads).f_bavail * os.statvfs(qb.downloads).f_frsize) < 2**30

    run = invoke("health", "--json", "-s", "qb", "--min-free", "1000000TiB")
    assert run.exit_code == 1
    result = only(run)
    assert result["status"] == "warning"
    assert "free at the default save path" in result["message"]

    run = invoke("health", "--nagios", "-s", "qb", "--min-free", "1000000TiB")
    assert run.exit_code == 1
    assert run.stdout.startswith("MKTINT WARNING: qb WARNING: qBittorrent v4.5")
    run = invoke("health", "-s", "qb", "--min-free", "1000000TiB")
    assert run.exit_code == 1 and tsv(run)[0][2] == "WARNING"
    assert "overall: WARNING" in run.stderr


@pytest.fixture
def qb_fresh(qbittorrent_fresh, config_file, monkeypatch):
    return use_qbit(config_file, monkeypatch, qbittorrent_fresh)


def test_qbittorrent_errored_torrent_is_a_warning(qb_fresh, tmp_path):
    torrent, infohash = make_torrent(tmp_path / "data", "book.m4b")
    # Where the torrent's file should be there is a directory: the check fails with a file error.
    (tmp_path / "data" / "book.m4b").unlink()
    (tmp_path / "data" / "book.m4b").mkdir()
    run = invoke("qbit", "add", torrent, "--save-path", tmp_path / "data", "--json")
    assert run.exit_code == 0, run.stderr
    deadline = time.monotonic() + 30  # a bound on polling, not a timing assertion
    while True:
        run = invoke("health", "--json", "-s", "qb")
        if run.exit_code != 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert run.exit_code == 1, run.stdout
    result = only(run)
    assert result["status"] == "warning" and result["details"]["errored_torrents"] == 1
    assert "1 torrent(s) in an error state" in result["message"]
    listed = invoke("qbit", "list", "--json").json()
    assert [t["state"] for t in listed if t["hash"] == infohash] == ["error"]


def test_qbittorrent_stopped_is_critical(qb_fresh):
    assert invoke("health", "-s", "qb").exit_code == 0
    qb_fresh.stop()
    run = invoke("health", "--json", "-s", "qb")
    assert run.exit_code == 2
    result = only(run)
    assert result["status"] == "critical" and "cannot reach" in result["message"]
    run = invoke("health", "--nagios", "-s", "qb")
    assert run.exit_code == 2 and run.stdout.startswith("MKTINT CRITICAL: qb CRITICAL:")
    run = invoke("health", "-s", "qb")
    assert run.exit_code == 2 and tsv(run)[0][2] == "CRITICAL"
    assert "overall: CRITICAL" in run.stderr


def test_qbittorrent_wrong_password_is_critical(qb_fresh, monkeypatch):
    monkeypatch.setenv("MKTINT_QB_PASSWORD", "wrong-password-0000")
    run = invoke("health", "--json", "-s", "qb")
    assert run.exit_code == 2, run.stdout
    result = only(run)
    assert result["status"] == "critical" and result["details"]["error"] == "auth"
    run = invoke("health", "--nagios", "-s", "qb")
    assert run.exit_code == 2 and run.stdout.startswith("MKTINT CRITICAL: qb CRITICAL:")
    assert "wrong-password-0000" not in run.stdout + run.stderr


# -- Gazelle (emulator) --------------------------------------------------------------------

@pytest.fixture
def red(config_file, monkeypatch):
    with gazelle_emulator("red", api_key=RED_KEY) as site:
        config_file(f'[services.red]\nurl = "{site.url}"\n')
        monkeypatch.setenv("MKTINT_RED_API_KEY", RED_KEY)
        yield site


def test_gazelle_ok_and_ratio_below_required(red):
    run = invoke("health", "--json", "-s", "red")
    assert run.exit_code == 0, run.stdout + run.stderr
    result = only(run)
    assert result["status"] == "ok" and result["message"] == "logged in as tester, ratio 52.63"
    assert result["details"] == {"username": "tester", "class": "Power User", "ratio": 52.63,
                                 "required_ratio": 0.6}

    red.userstats.update(ratio=0.42, requiredratio=0.6)
    run = invoke("health", "--json", "-s", "red")
    assert run.exit_code == 1
    result = only(run)
    assert result["status"] == "warning"
    assert result["message"] == "logged in as tester, ratio 0.42 is below the required 0.60"
    run = invoke("health", "--nagios", "-s", "red")
    assert run.exit_code == 1
    assert run.stdout.startswith("MKTINT WARNING: red WARNING: logged in as tester, ratio 0.42")
    run = invoke("health", "-s", "red")
    assert run.exit_code == 1 and tsv(run)[0][:3] == ["red", "gazelle", "WARNING"]
    assert RED_KEY not in run.stdout + run.stderr


def test_gazelle_rejected_key_is_critical(red, monkeypatch):
    monkeypatch.setenv("MKTINT_RED_API_KEY", "red-api-key-wrong-0000")
    run = invoke("health", "--json", "-s", "red")
    assert run.exit_code == 2
    assert only(run)["status"] == "critical"
    assert "red-api-key-wrong-0000" not in run.stdout + run.stderr


# -- Audnexus (emulator) -------------------------------------------------------------------

def test_audnexus_ok_then_down(config_file):
    with audnexus_emulator() as api:
        config_file(f'[services.audnexus]\nurl = "{api.url}"\n')
        run = invoke("health", "--json", "-s", "audnexus")
        assert run.exit_code == 0, run.stdout + run.stderr
        result = only(run)
        assert result["status"] == "ok" and result["message"].startswith("answered a lookup (")
        assert api.requests_to("/books/B08G9PRS1K")
        run = invoke("health", "--nagios", "-s", "audnexus")
        assert run.exit_code == 0 and run.stdout.startswith("MKTINT OK: 1 checks OK")
        run = invoke("health", "-s", "audnexus")
        assert run.exit_code == 0 and tsv(run)[0][:3] == ["audnexus", "audnexus", "OK"]
    # The emulator is gone: nothing listens on its port any more.
    run = invoke("health", "--json", "-s", "audnexus")
    assert run.exit_code == 2
    assert only(run)["status"] == "critical"
    run = invoke("health", "--nagios", "-s", "audnexus")
    assert run.exit_code == 2 and run.stdout.startswith("MKTINT CRITICAL: audnexus CRITICAL:")
    run = invoke("health", "-s", "audnexus")
    assert run.exit_code == 2 and tsv(run)[0][2] == "CRITICAL"


# -- every service at once; UNKNOWN; usage errors ---------------------------------------

def test_worst_status_wins_across_live_services(qb, red, config_file, monkeypatch):
    with audnexus_emulator() as api:
        config_file(f'[defaults]\nclient = "qb"\n\n[services.qb]\nkind = "qbittorrent"\n'
                    f'url = "{qb.url}"\nusername = "admin"\n\n[services.red]\nurl = "{red.url}"\n\n'
                    f'[services.audnexus]\nurl = "{api.url}"\n')
        red.userstats.update(ratio=0.1)
        run = invoke("health", "--json")
        assert run.exit_code == 1, run.stdout + run.stderr
        statuses = {r["name"]: r["status"] for r in run.json()["services"]}
        assert statuses == {"local": "ok", "qb": "ok", "red": "warning", "audnexus": "ok"}
        assert run.json()["status"] == "warning"


def test_broken_config_is_unknown_in_every_output_form(config_file):
    config_file("[services.red\nurl = 'x'\n")
    run = invoke("health", "--json")
    assert run.exit_code == 3
    assert run.json()["status"] == "unknown" and run.json()["services"][0]["name"] == "local"
    run = invoke("health", "--nagios")
    assert run.exit_code == 3 and run.stdout.startswith("MKTINT UNKNOWN: local UNKNOWN:")
    run = invoke("health")
    assert run.exit_code == 3 and tsv(run)[0][:3] == ["local", "local", "UNKNOWN"]


@pytest.mark.parametrize("args", [("--bogus",), ("--timeout", "0"), ("--min-free", "lots"),
                                  ("--json", "--nagios"), ("--warn-latency", "-1")])
def test_a_bad_flag_exits_3(args):
    run = invoke("health", *args)
    assert run.exit_code == 3, run.stdout + run.stderr
    assert run.stdout == ""


def test_unknown_service_is_unknown():
    run = invoke("health", "--json", "-s", "nope")
    assert run.exit_code == 3
    assert run.json()["services"][0]["status"] == "unknown"


# -- MAM (emulator), a silent socket, nothing listening ---------------------------------

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
