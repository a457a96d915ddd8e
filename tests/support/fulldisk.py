"""A small tmpfs filled to the last byte, for tests of what a full disk does (needs root)."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest


@contextlib.contextmanager
def full_tmpfs(mountpoint: Path, size: str = "256k") -> Iterator[Path]:
    """Mount a ``size`` tmpfs on ``mountpoint`` (created), fill it, yield it; always unmounted.

    Directories and empty files can still be made (tmpfs counts blocks, not inodes);
    writing any data fails with ENOSPC.
    """
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mountpoint.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mountpoint)],
                   check=True)
    try:
        with open(mountpoint / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)
