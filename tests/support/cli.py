"""Running mktint in tests: in-process (CliRunner) or as a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    def error_json(self):
        """The `{"error": ...}` object mktint writes to stderr with --json."""
        for line in self.stderr.splitlines():
            if line.startswith('{"error"'):
                return json.loads(line)["error"]
        raise AssertionError(f"no JSON error on stderr: {self.stderr!r}")


def invoke(*args: str, input: str | None = None, env: dict | None = None) -> Run:
    """Run the CLI in-process; stdout and stderr are kept apart."""
    from mktint.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args], input=input, env=env,
                                prog_name="mktint", catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def run_subprocess(*args: str, input: str | None = None, env: dict | None = None,
                   timeout: float = 120, python_flags: tuple[str, ...] = ()) -> Run:
    """Run ``python -m mktint`` from this checkout as a separate process."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    proc = subprocess.run([sys.executable, *python_flags, "-m", "mktint", *map(str, args)],
                          input=input, capture_output=True, text=True, env=full_env,
                          timeout=timeout, cwd=REPO)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def interruptible() -> None:
    """``preexec_fn`` for a child the test will interrupt with SIGINT: back to the default
    action. A shell starts a background job (``./scripts/test &``, CI runners) with SIGINT
    ignored, children inherit that, and Python leaves an ignored SIGINT ignored — the
    child would never see the Ctrl-C the test sends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def second_run_stops_while_the_first_uploads(first: list, second: list, uploaded) -> None:
    """Start ``mktint *first`` as a process; once ``uploaded()`` says its upload reached the
    site (the site should answer it late), run ``mktint *second``: it must stop with
    "another mktint is publishing this" (exit 1), and the first must then finish (exit 0)."""
    import time

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    running = subprocess.Popen([sys.executable, "-m", "mktint", *map(str, first)], env=env,
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not uploaded():
            assert running.poll() is None and time.monotonic() < deadline, running.stderr.read()
            time.sleep(0.05)
        stopped = run_subprocess(*second, timeout=60)
        assert stopped.exit_code == 1, stopped.stderr
        assert "another mktint is publishing this" in stopped.stderr
        _, err = running.communicate(timeout=120)
        assert running.returncode == 0, err
    finally:
        if running.poll() is None:
            running.kill()
