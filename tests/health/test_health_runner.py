"""The health runner with stand-in clients: statuses, output forms, the deadline, exit codes.

Live checks against qbittorrent-nox and the emulators are in test_health_live.py."""

import threading
import time

import pytest

from mktint.core.errors import AuthError, TemporaryError
from mktint.core.factory import Factory
from tests.support.cli import invoke


class FakeQbit:
    timeout = (5, 30)
    deadline = 60
    max_wait = 90

    def __init__(self, errored=0, free=10**12, hang=None, fail=None):
        self.errored, self.free, self.hang, self.fail = errored, free, hang, fail

    def version_info(self):
        if self.hang:
            self.hang.wait(30)
        if self.fail:
            raise self.fail
        return {"app_version": "v4.5.2", "webapi_version": "2.8.19"}

    def free_space(self):
        return self.free

    def torrents(self, filter=None):
        assert filter == "errored"
        return [{"hash": "x"}] * self.errored


class FakeGazelle:
    timeout = (5, 30)
    deadline = 60
    max_wait = 90

    def __init__(self, ratio="1.5", required="0.6"):
        self.ratio, self.required = ratio, required

    def index(self):
        return {"username": "alice", "userstats": {"ratio": self.ratio, "requiredratio": self.required,
                                                   "class": "Member"}}


@pytest.fixture
def clients(monkeypatch, config_file):
    config_file('[services.home]\nkind = "qbittorrent"\n[services.red]\nsource = "RED"\n')
    monkeypatch.setenv("MKTINT_RED_API_KEY", "red-api-key-0001")
    fakes = {"home": FakeQbit(), "red": FakeGazelle()}
    monkeypatch.setattr(Factory, "service", lambda self, name, kind=None: fakes[name])
    return fakes


def test_all_ok_table_and_exit_0(clients):
    run = invoke("health")
    assert run.exit_code == 0, run.stdout + run.stderr
    rows = [line.split("\t")[:3] for line in run.stdout.splitlines()]
    assert rows == [["local", "local", "OK"], ["home", "qbittorrent", "OK"], ["red", "gazelle", "OK"]]


def test_json_shape_and_worst_status_wins(clients):
    clients["home"].errored = 2
    clients["red"].ratio = "0.4"
    run = invoke("health", "--json", "-s", "home", "-s", "red")
    assert run.exit_code == 1
    data = run.json()
    assert data["status"] == "warning"
    home, red = data["services"]
    assert set(home) == {"name", "kind", "status", "message", "latency_ms", "details"}
    assert home["status"] == "warning" and "2 torrent(s) in an error state" in home["message"]
    assert red["status"] == "warning" and "below the required 0.60" in red["message"]
    assert red["details"]["ratio"] == 0.4


def test_unreachable_is_critical_and_auth_failure_too(clients):
    clients["home"].fail = TemporaryError("cannot reach home", service="home")
    run = invoke("health", "--nagios", "-s", "home", "-s", "red")
    assert run.exit_code == 2
    first = run.stdout.splitlines()[0]
    assert first.startswith("MKTINT CRITICAL: home CRITICAL: cannot reach home | ")
    assert "'home_latency'=" in first and "'red_latency'=" in first
    assert run.stdout.splitlines()[1].startswith("home (qbittorrent) CRITICAL")
    clients["home"].fail = AuthError("login refused", service="home")
    assert invoke("health", "-s", "home").exit_code == 2


def test_the_deadline_bounds_the_whole_run(clients):
    clients["home"].hang = threading.Event()
    started = time.monotonic()
    run = invoke("health", "--json", "--timeout", "1", "-s", "home", "-s", "red")
    elapsed = time.monotonic() - started
    clients["home"].hang.set()
    assert run.exit_code == 2
    home = run.json()["services"][0]
    assert home["status"] == "critical" and "no answer within 1 s" in home["message"]
    assert run.json()["services"][1]["status"] == "ok"
    assert elapsed < 5  # generous: the bound is 1 s, the point is "not 30 s"


def test_quiet_prints_nothing_when_ok_but_speaks_on_problems(clients):
    ok = invoke("health", "-q", "-s", "red")
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "", "")
    clients["red"].ratio = "0.1"
    bad = invoke("health", "-q", "-s", "red")
    assert bad.exit_code == 1 and "red" in bad.stdout


def test_latency_thresholds(clients, monkeypatch):
    original = FakeGazelle.index

    def slow(self):
        time.sleep(0.3)
        return original(self)

    monkeypatch.setattr(FakeGazelle, "index", slow)
    run = invoke("health", "--json", "-s", "red", "--warn-latency", "0.1")
    assert run.exit_code == 1 and "slow" in run.json()["services"][0]["message"]
    run = invoke("health", "--json", "-s", "red", "--warn-latency", "0.1", "--crit-latency", "0.2")
    assert run.exit_code == 2


@pytest.mark.parametrize("args", [["--bogus"], ["--timeout", "x"], ["--min-free", "lots"],
                                  ["--json", "--nagios"]])
def test_usage_errors_are_unknown_3(args):
    assert invoke("health", *args).exit_code == 3


def test_config_error_is_unknown_3(config_file):
    config_file("[services.x]\nkind = 'nope'\n")
    run = invoke("health", "--nagios")
    assert run.exit_code == 3
    assert run.stdout.startswith("MKTINT UNKNOWN: local UNKNOWN:")


def test_local_check_reports_missing_credentials_and_low_disk(clients, monkeypatch, tmp_path):
    monkeypatch.delenv("MKTINT_RED_API_KEY")
    run = invoke("health", "--json", "-s", "local", "--path", str(tmp_path), "--min-free", "1000000TiB")
    assert run.exit_code == 1
    local = run.json()["services"][0]
    assert local["details"]["missing_credentials"] == ["red"]
    assert "no credential for red" in local["message"] and "free" in local["message"]
    assert local["details"]["free_space"][str(tmp_path)] > 0


def test_unknown_service_name_is_unknown(clients):
    run = invoke("health", "-s", "nope")
    assert run.exit_code == 3
    assert "no service named 'nope'" in run.stdout
