"""Audible ASINs: validate one, or find one in a folder name."""

from __future__ import annotations

import re

from mktint.core.errors import UsageError

# [0-9], not \d: \d also matches other scripts' digits, which no ASIN holds.
ASIN_PATTERN = r"(?:B[0-9A-Z]{9}|[0-9]{9}[0-9X])"
_ASIN = re.compile(rf"^{ASIN_PATTERN}$")
# Tried in order: {ASIN.B0XXXXXXXX}, [B0XXXXXXXX] or (B0XXXXXXXX), then a bare token.
_IN_NAME = (
    re.compile(rf"\{{ASIN\.({ASIN_PATTERN})\}}", re.IGNORECASE),
    re.compile(rf"[\[(]({ASIN_PATTERN})[\])]"),
    re.compile(r"(?<![0-9A-Za-z])(B[0-9A-Z]{9})(?![0-9A-Za-z])"),
)


def is_asin(text: str) -> bool:
    return bool(_ASIN.match(text.strip().upper()))


def validate_asin(text: str) -> str:
    """The trimmed, upper-cased ASIN, or a usage error (exit 2) — never sent to a server."""
    asin = text.strip().upper()
    if not _ASIN.match(asin):
        raise UsageError(f"{text!r} is not an ASIN",
                         hint="an ASIN is B + 9 letters/digits (B08G9PRS1K) or an ISBN-10")
    return asin


def find_asin(name: str) -> str | None:
    """An ASIN in a folder or file name, e.g. ``Title {ASIN.B08G9PRS1K} [Group]``."""
    for pattern in _IN_NAME:
        match = pattern.search(name)
        if match:
            return match.group(1).upper()
    return None
