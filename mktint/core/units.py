"""Sizes and rates as people type them: ``256KiB``, ``4MiB``, ``1.5GB``, ``1MiB/s``."""

from __future__ import annotations

import re

from mktint.core.errors import UsageError

_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kb": 1000, "kib": 1024,
    "m": 1024**2, "mb": 1000**2, "mib": 1024**2,
    "g": 1024**3, "gb": 1000**3, "gib": 1024**3,
    "t": 1024**4, "tb": 1000**4, "tib": 1024**4,
}
# ASCII digits only (\d would take any script's digits).
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE | re.ASCII)


def parse_size(text: str, *, what: str = "size") -> int:
    """Bytes from ``4MiB``/``4M`` (binary), ``4MB`` (decimal) or a plain number of bytes."""
    match = _SIZE.match(str(text))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS:
        raise UsageError(f"{what} {text!r} is not a size",
                         hint="use a number of bytes or a unit: 512KiB, 4MiB, 1.5GB, 2G")
    # Exact integer arithmetic: no float rounding, and no fractions import (2 ms a start).
    whole, _, decimals = match.group(1).partition(".")
    scale = 10 ** len(decimals)
    return (int(whole) * scale + int(decimals or 0)) * _UNITS[unit] // scale


def parse_rate(text: str, *, what: str = "rate") -> int:
    """Bytes per second from ``1MiB/s``, ``500KiB`` or ``0`` (unlimited)."""
    text = str(text).strip()
    if text.lower().endswith("/s"):
        text = text[:-2]
    return parse_size(text, what=what)


def human_size(n: int | float | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
