import pytest

from mktint.core.asin import find_asin, is_asin, validate_asin
from mktint.core.errors import UsageError
from mktint.core.units import human_size, parse_rate, parse_size
from mktint.torrent.rules import long_paths, tracker_path


@pytest.mark.parametrize("text, expected", [
    ("256KiB", 256 * 1024), ("4MiB", 4 * 1024**2), ("4M", 4 * 1024**2), ("1.5GB", 1_500_000_000),
    ("16384", 16384), (" 2 gib ", 2 * 1024**3), ("0", 0),
    ("1.001KiB", 1025), ("0.1", 0), ("3.999999999999999999TiB", 4 * 1024**4 - 1),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "4XB", "-1M", "1e3", "MiB"])
def test_parse_size_rejects_with_a_hint(text):
    with pytest.raises(UsageError) as info:
        parse_size(text, what="--piece-size")
    assert "--piece-size" in info.value.message
    assert "4MiB" in info.value.hint


def test_parse_rate_and_human_size():
    assert parse_rate("1MiB/s") == 1024**2
    assert parse_rate("0") == 0
    assert human_size(1536) == "1.5 KiB"
    assert human_size(10) == "10 B"


def test_asin_validation():
    assert validate_asin(" b08g9prs1k ") == "B08G9PRS1K"
    assert validate_asin("059035342X") == "059035342X"
    assert is_asin("B08G9PRS1K") and not is_asin("B08G9PRS1")
    with pytest.raises(UsageError):
        validate_asin("B08G9PRS1K;DROP")


@pytest.mark.parametrize("name, asin", [
    ("Dune - vol_01 (2019) (Frank Herbert) {ASIN.B08G9PRS1K} [Group]", "B08G9PRS1K"),
    ("Dune [B08G9PRS1K]", "B08G9PRS1K"),
    ("Dune B08G9PRS1K", "B08G9PRS1K"),
    ("Dune {asin.059035342X}", "059035342X"),
    ("Dune (2019)", None),
    ("BOOKSHELVES", None),
])
def test_find_asin(name, asin):
    assert find_asin(name) == asin


def test_long_paths_counts_characters_and_allows_the_limit():
    name = "é" * 100
    ok = ["a" * 79]  # 100 + 1 + 79 = 180 characters (more bytes)
    too_long = ["sub", "b" * 76]  # 100 + 1 + 3 + 1 + 76 = 181
    found = long_paths(name, [ok, too_long], 180)
    assert [(p.length, p.path.endswith("b" * 76)) for p in found] == [(181, True)]
    assert tracker_path("single.m4b", None) == "single.m4b"
