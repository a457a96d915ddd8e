import json
import subprocess
import sys
import textwrap

import pytest

from mktint.core.ratelimit import Rate, RateLimiter, WaitTooLong
from tests.support.cli import REPO


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_window_holds_the_limit(tmp_path):
    clock = FakeClock()
    limiter = RateLimiter("svc", Rate(10, 10.0), tmp_path, sleep=clock.sleep, clock=clock)
    times = []
    for _ in range(25):
        limiter.acquire()
        times.append(clock.now)
    for i in range(len(times) - 10):
        assert times[i + 10] - times[i] >= 10.0
    # and no slower than it needs to be: two more windows of 10 s (plus 50 ms slack each)
    assert times[-1] - times[0] == pytest.approx(20.1, abs=0.01)


def test_the_period_counts_from_the_answer_of_a_slow_request(tmp_path):
    """A request allowed at t=0 but answered at t=3 may have reached the server at t=3."""
    clock = FakeClock()
    limiter = RateLimiter("svc", Rate(2, 10.0), tmp_path, sleep=clock.sleep, clock=clock)
    start = clock.now
    limiter.acquire()
    clock.now += 3.0
    limiter.finished()
    limiter.acquire()
    limiter.finished()
    limiter.acquire()
    assert clock.now - start >= 13.0  # not 10: the first request's window starts at its answer


def test_block_for_holds_every_caller(tmp_path):
    clock = FakeClock()
    limiter = RateLimiter("svc", Rate(10, 10.0), tmp_path, sleep=clock.sleep, clock=clock)
    limiter.block_for(7)
    waited = limiter.acquire()
    assert waited >= 7


def test_damaged_state_file_only_forgets_history(tmp_path):
    limiter = RateLimiter("svc", Rate(2, 1.0), tmp_path)
    limiter.path.write_text("{not json")
    assert limiter.acquire() == 0


def test_concurrent_processes_share_one_budget(tmp_path):
    """Four processes at once, 6 requests each, 5 per 1 s: no 1 s window holds more than 5.

    Each process records the time its limiter granted each request (the last clock reading
    of ``acquire``, taken under the shared lock), not a reading after ``acquire`` returned:
    on a loaded machine the latter lags by a varying amount, and the test would measure
    the scheduler instead of the limiter."""
    script = textwrap.dedent(f"""
        import json, sys, time
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from mktint.core.ratelimit import Rate, RateLimiter, WaitTooLong
        readings = []
        def clock():
            readings.append(time.time())
            return readings[-1]
        limiter = RateLimiter("shared", Rate(5, 1.0), Path({str(tmp_path)!r}), clock=clock)
        stamps = []
        for _ in range(6):
            limiter.acquire()
            stamps.append(readings[-1])
        print(json.dumps(stamps))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    stamps = sorted(t for p in procs for t in json.loads(p.communicate(timeout=60)[0]))
    assert len(stamps) == 24
    for i in range(len(stamps) - 5):
        assert stamps[i + 5] - stamps[i] >= 1.0, "six requests inside one second"



def test_on_a_full_disk_a_window_keeps_counting_and_a_new_one_is_refused_by_name(tmp_path):
    """Counting a request writes the shared window file. On a full disk an existing window
    is rewritten in its own space and keeps working; a window that does not exist yet
    cannot be made, so the request is refused (not sent uncounted), naming the file."""
    import errno

    from tests.support.fulldisk import full_tmpfs

    with full_tmpfs(tmp_path / "state", size="1m") as state:
        (state / "filler").unlink()
        known = RateLimiter("known", Rate(3, 60), state_dir=state)
        known.acquire()
        known.finished()
        with open(state / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError as e:
                assert e.errno == errno.ENOSPC
        for _ in range(2):
            known.acquire()
            known.finished()
        assert len(json.loads(known.path.read_text())["sent"]) == 3
        with pytest.raises(WaitTooLong):
            known.acquire(max_wait=0)

        new = RateLimiter("new", Rate(3, 60), state_dir=state)
        with pytest.raises(OSError) as refused:
            new.acquire()
        assert refused.value.errno == errno.ENOSPC and refused.value.filename == str(new.path)
        new.finished()  # nothing was counted: nothing to finish
