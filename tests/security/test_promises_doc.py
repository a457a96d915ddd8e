"""The README's "What mktint promises" names the test holding each promise: every named
test must exist."""

import re

from tests.support.cli import REPO


def test_every_test_named_in_the_promises_exists():
    readme = (REPO / "README.md").read_text()
    text = readme[readme.index("## What mktint promises"):readme.index("## Benchmarks")]
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text))
    assert len(named) > 40
    missing = [(path, name) for path, name in sorted(named)
               if not re.search(rf"^def {name}\(", (REPO / path).read_text(), re.MULTILINE)]
    assert missing == []
