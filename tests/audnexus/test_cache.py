"""The on-disk cache: hits, misses, expiry, refresh, damage, and two processes at once."""

import json
import threading

import pytest

from mktint.core.cache import Cache
from tests.support.cli import run_subprocess


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_miss_then_hit(tmp_path, clock):
    cache = Cache("t", 60, directory=tmp_path, clock=clock)
    calls = []
    assert cache.fetch("k", lambda: calls.append(1) or {"v": 1}) == {"v": 1}
    assert cache.fetch("k", lambda: calls.append(1) or {"v": 2}) == {"v": 1}
    assert calls == [1]
    assert cache.get("other") is None


def test_expiry_and_refresh(tmp_path, clock):
    cache = Cache("t", 60, directory=tmp_path, clock=clock)
    cache.put("k", "old")
    clock.now += 59
    assert cache.get("k") == "old"
    clock.now += 1
    assert cache.get("k") is None
    assert cache.fetch("k", lambda: "new") == "new"
    assert cache.fetch("k", lambda: "newer", refresh=True) == "newer"
    assert cache.get("k") == "newer"


def test_entry_from_the_future_is_a_miss(tmp_path, clock):
    cache = Cache("t", 60, directory=tmp_path, clock=clock)
    cache.put("k", "v")
    clock.now -= 10  # the clock went back
    assert cache.get("k") is None


def test_ttl_zero_disables_the_cache(tmp_path, clock):
    cache = Cache("t", 0, directory=tmp_path, clock=clock)
    assert cache.fetch("k", lambda: 1) == 1
    assert cache.fetch("k", lambda: 2) == 2
    assert not (tmp_path / "t").exists()


def test_damaged_or_foreign_entries_are_misses(tmp_path, clock):
    cache = Cache("t", 60, directory=tmp_path, clock=clock)
    cache.put("k", "v")
    (entry,) = (tmp_path / "t").glob("*.json")
    entry.write_text("{not json")
    assert cache.get("k") is None
    entry.write_text(json.dumps({"key": "other", "stored_at": clock.now, "value": "x"}))
    assert cache.get("k") is None
    entry.write_text(json.dumps({"key": "k", "stored_at": "yesterday", "value": "x"}))
    assert cache.get("k") is None
    assert cache.fetch("k", lambda: "fresh") == "fresh"


def test_a_failed_fetch_stores_nothing(tmp_path, clock):
    cache = Cache("t", 60, directory=tmp_path, clock=clock)
    with pytest.raises(RuntimeError):
        cache.fetch("k", lambda: (_ for _ in ()).throw(RuntimeError("down")))
    assert cache.get("k") is None
    assert cache.fetch("k", lambda: "ok") == "ok"


def test_entries_are_private_files(tmp_path, clock):
    cache = Cache("t", 60, directory=tmp_path, clock=clock)
    cache.put("k", "v")
    assert (tmp_path / "t").stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in (tmp_path / "t").iterdir())
    assert not list((tmp_path / "t").glob("*.part"))


def test_threads_fetching_one_key_produce_it_once(tmp_path, clock):
    cache = Cache("t", 60, directory=tmp_path, clock=clock)
    calls, results = [], []
    gate = threading.Barrier(4)

    def worker():
        gate.wait()
        results.append(cache.fetch("k", lambda: calls.append(1) or "v"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["v"] * 4
    assert calls == [1]


def test_two_processes_share_the_cache_and_ask_the_server_once(configure):
    from tests.emulators.audnexus import HAIL_MARY, audnexus_emulator

    # The emulator answers slowly, so the second process arrives while the first waits.
    with audnexus_emulator(delay=0.5) as emu:
        configure(emu.url)
        runs = []
        threads = [threading.Thread(target=lambda: runs.append(
            run_subprocess("book", "show", HAIL_MARY, "--json"))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.exit_code for r in runs] == [0, 0], [r.stderr for r in runs]
        assert runs[0].json() == runs[1].json()
        assert runs[0].json()["title"] == "Project Hail Mary"
        assert len(emu.requests_to(f"/books/{HAIL_MARY}")) == 1


def test_an_unwritable_cache_is_skipped_not_fatal(tmp_path, clock):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = Cache("t", 60, directory=blocker, clock=clock)
    assert cache.fetch("k", lambda: "v") == "v"
    assert cache.fetch("k", lambda: "again") == "again"  # nothing could be stored
