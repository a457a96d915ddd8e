"""`mktint publish` confirms seeding for every target at once (issue #23 goal 4): the
torrents are all added, then watched together (one torrents/info for the set each round),
so two targets cost one wait of qBittorrent's state refresh, not two. The emulators and a
live qbittorrent-nox, as in test_publish.py; the restart race with a scripted client."""

from __future__ import annotations

import pytest

from mktint.core.errors import TemporaryError
from mktint.services.qbittorrent import seeding
from mktint.services.qbittorrent.client import QBittorrentClient
from tests.publish.test_publish import in_client, journal_files
from tests.support.cli import invoke

OPS_KEY = "ops-key-0123456789abcdef"


@pytest.fixture
def two_sites(world, monkeypatch):
    """RED (the world's) and an OPS emulator, both configured."""
    from tests.emulators.gazelle import gazelle_emulator

    with gazelle_emulator("ops", api_key=OPS_KEY) as ops:
        with world.config.open("a") as f:
            f.write(f'\n[services.ops]\nurl = "{ops.url}"\n')
        monkeypatch.setenv("MKTINT_OPS_API_KEY", OPS_KEY)
        yield world, ops


def record_client(monkeypatch) -> list[tuple]:
    """What the client is asked, in order: ("add",) per add, ("info", hashes) per
    torrents/info asked outside an add (the add looks its own torrent up)."""
    events: list[tuple] = []
    inside_add = []
    real_add, real_torrents = QBittorrentClient.add, QBittorrentClient.torrents

    def add(self, *args, **kwargs):
        events.append(("add",))
        inside_add.append(1)
        try:
            return real_add(self, *args, **kwargs)
        finally:
            inside_add.pop()

    def torrents(self, *args, **kwargs):
        if not inside_add:
            events.append(("info", frozenset(kwargs.get("hashes") or ())))
        return real_torrents(self, *args, **kwargs)

    monkeypatch.setattr(QBittorrentClient, "add", add)
    monkeypatch.setattr(QBittorrentClient, "torrents", torrents)
    return events


def test_two_targets_are_added_then_polled_together(two_sites, book, monkeypatch):
    world, ops = two_sites
    events = record_client(monkeypatch)
    run = invoke("publish", book, "--to", "red", "--to", "ops", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    red, opsed = run.json()["targets"]
    both = frozenset({red["infohash"], opsed["infohash"]})
    assert len(both) == 2
    # both adds first, then every round of the wait asks for both torrents at once
    assert events[:2] == [("add",), ("add",)], events
    rounds = events[2:]
    assert rounds and all(event == ("info", both) for event in rounds), events
    assert "waiting until the red, ops torrents seed" in run.stderr
    for target in (red, opsed):
        assert target["client"]["status"] == "added"
        [row] = in_client(world, target["infohash"])
        assert row["state"] in seeding.SEEDING


def test_a_stop_between_the_adds_and_the_wait_resumes_both(two_sites, book, monkeypatch):
    world, ops = two_sites

    def client_gone(*args, **kwargs):
        raise TemporaryError("qb: connection refused", service="qb")

    real = seeding.wait_seeding
    monkeypatch.setattr(seeding, "wait_seeding", client_gone)
    run = invoke("publish", book, "--to", "red", "--to", "ops", "--yes")
    assert run.exit_code == 7, run.stderr
    assert "publish stopped at step client:red" in run.stderr
    assert journal_files()

    monkeypatch.setattr(seeding, "wait_seeding", real)
    again = invoke("publish", book, "--to", "red", "--to", "ops", "--yes", "--json")
    assert again.exit_code == 0, again.stderr
    red, opsed = again.json()["targets"]
    assert len(world.red.uploads) == 1 and len(ops.uploads) == 1  # never a second upload
    assert red["client"]["status"] == opsed["client"]["status"] == "exists"
    for target in (red, opsed):
        [row] = in_client(world, target["infohash"])
        assert row["progress"] == 1 and row["state"] in seeding.SEEDING


class ScriptedClient:
    """torrents/info answers from a script of states per torrent (one per round; the last
    one repeats); ``start`` is recorded."""

    name = "qb"

    def __init__(self, script: dict[str, list[str]]):
        self.script = script
        self.rounds: list[tuple[str, ...]] = []
        self.started: list[str] = []

    def torrents(self, hashes):
        self.rounds.append(tuple(hashes))
        rows = []
        for h in hashes:
            states = self.script[h]
            state = states.pop(0) if len(states) > 1 else states[0]
            rows.append({"hash": h, "name": "Book", "state": state, "size": 1000,
                         "progress": 1.0 if state in seeding.SEEDING else 0.0,
                         "save_path": "/data"})
        return rows

    def start(self, hashes):
        self.started += hashes


def test_a_restarted_torrent_still_shown_missing_is_given_time(monkeypatch):
    """After the start that rechecks a torrent in missingFiles, qBittorrent shows the old
    state until its next refresh (late on a loaded machine): that is not the verdict."""
    monkeypatch.setattr(seeding, "SETTLE", 0.0)  # a refresh later than SETTLE, without waiting
    old, new = "a" * 40, "b" * 40
    client = ScriptedClient({old: ["missingFiles", "missingFiles", "missingFiles", "stalledUP"],
                             new: ["checkingResumeData", "stalledUP"]})
    rows = seeding.wait_seeding(client, [old, new], recheck_failed={old})
    assert client.started == [old]
    assert rows[old]["state"] == rows[new]["state"] == "stalledUP"
    assert client.rounds[0] == (old, new)


def test_missing_files_fail_once_settled_and_name_the_torrent(monkeypatch):
    monkeypatch.setattr(seeding, "SETTLE", 0.0)
    monkeypatch.setattr(seeding, "RESTART_SETTLE", 0.0)
    fine, gone = "a" * 40, "b" * 40
    client = ScriptedClient({fine: ["stalledUP"], gone: ["missingFiles"]})
    with pytest.raises(seeding.OperationFailed) as failed:
        seeding.wait_seeding(client, [fine, gone])
    assert "qb: Book: qBittorrent cannot find the files (state missingFiles" in failed.value.message
    assert failed.value.details["infohash"] == gone and client.started == []
    # a restarted one that is seen checking and then missing again fails after SETTLE
    client = ScriptedClient({gone: ["missingFiles", "checkingUP", "missingFiles"]})
    monkeypatch.setattr(seeding, "RESTART_SETTLE", 3600.0)
    with pytest.raises(seeding.OperationFailed):
        seeding.wait_seeding(client, [gone], recheck_failed={gone})
    assert client.started == [gone]


class FakeClock:
    """time.monotonic and time.sleep on a clock that only moves when slept on."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class RefreshingClient:
    """qBittorrent as it is after a skip-check add: the state libtorrent announced at the
    add (checkingResumeData) until the client's next refresh of all states at ``refresh``
    (src/base/bittorrent/sessionimpl.cpp enqueueRefresh; torrentimpl.cpp updateState),
    then ``final``; every round is recorded with the clock's time."""

    name = "qb"

    def __init__(self, clock: FakeClock, refresh: float, final: str = "stalledUP"):
        self.clock, self.refresh, self.final = clock, refresh, final
        self.rounds: list[float] = []

    def torrents(self, hashes):
        self.rounds.append(self.clock.now)
        state = self.final if self.clock.now >= self.refresh else "checkingResumeData"
        return [{"hash": h, "name": "Book", "state": state, "size": 1000, "save_path": "/data",
                 "progress": 1.0 if state in seeding.SEEDING else 0.0} for h in hashes]


@pytest.mark.parametrize("refresh", [0.05, 0.75, 1.2, 1.45, 1.6])
def test_the_refresh_after_the_adds_is_seen_at_once(monkeypatch, refresh):
    """qBittorrent's state refresh comes at any moment of its 1.5 s period after the adds:
    the wait sees it within a tenth of a second, wherever it falls (the doubling pauses
    saw one at 0.75 s only at 1.5 s). Measured on a fake clock: no real time."""
    clock = FakeClock()
    monkeypatch.setattr("time.monotonic", clock.monotonic)
    monkeypatch.setattr("time.sleep", clock.sleep)
    client = RefreshingClient(clock, refresh)
    rows = seeding.wait_seeding(client, ["a" * 40, "b" * 40])
    assert {row["state"] for row in rows.values()} == {"stalledUP"}
    assert refresh <= clock.now <= refresh + 0.1, client.rounds


def test_a_long_check_is_polled_ever_more_slowly(monkeypatch):
    """A torrent being checked (a site's copy, not skip-checked) for half a minute: quick
    rounds only while the first refresh may come, then at most one a second."""
    clock = FakeClock()
    monkeypatch.setattr("time.monotonic", clock.monotonic)
    monkeypatch.setattr("time.sleep", clock.sleep)
    client = RefreshingClient(clock, 30.0)
    seeding.wait_seeding(client, ["a" * 40])
    assert 30.0 <= clock.now <= 31.0
    late = [t for t in client.rounds if t >= 5.0]
    assert all(b - a >= 0.99 for a, b in zip(late, late[1:])), late
    assert len(client.rounds) <= 2.0 / 0.05 + 32
