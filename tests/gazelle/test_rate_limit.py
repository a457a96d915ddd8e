"""Four mktint processes at once share one budget: the site never answers 429."""

import os
import subprocess
import sys

import pytest

from mktint.core.ratelimit import Rate
from mktint.core.sites import FLAVOURS
from tests.emulators.gazelle import PERIOD
from tests.support.cli import REPO


def test_flavour_rates_are_the_documented_ones():
    assert FLAVOURS["red"].rate == Rate(10, 10.0)
    assert FLAVOURS["ops"].rate == Rate(5, 10.0)


@pytest.mark.parametrize("flavour", ["red"])
def test_four_concurrent_processes_stay_within_10_per_10_seconds(site):
    # 4 processes x 3 `whoami` = 12 requests: the last two must wait for the window.
    loop = (f'for i in 1 2 3; do "{sys.executable}" -m mktint red whoami --json >/dev/null '
            "|| exit 1; done")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen(["sh", "-c", loop], env=env, cwd=REPO, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    times = sorted(r.time for r in site.requests)
    assert len(times) == 12 and site.rate_limited == 0
    assert all(r.status == 200 for r in site.requests)
    # No 10-second window at the site ever held more than 10 requests.
    assert all(times[i + 10] - times[i] >= PERIOD for i in range(len(times) - 10))
