"""Generated file trees for torrent tests (small, deterministic)."""

from __future__ import annotations

import random
from pathlib import Path


def write_tree(root: Path, files: dict[str, int], seed: int = 1) -> Path:
    """Create ``root`` with ``{relative path: size}`` files of pseudo-random bytes."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for rel, size in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(size))
    return root


ODD_TREE = {
    "01 - Chapter.m4b": 100_003,
    "02 - Chapter.m4b": 65_536,
    "Extras/cover.jpg": 12_345,
    "Extras/deep/notes.txt": 1,
    "Extras/deep/zero.txt": 0,
    "a b/x.bin": 40_000,  # ' ' sorts before '/': byte order of the full path matters
    "a/x.bin": 33_333,
    "Z upper.bin": 77_777,
}
