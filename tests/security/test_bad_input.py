"""Bad input with hypothesis: parsers and the config loader raise only mktint's own errors.

The bencode decoder and `torrent info` on mutated files are covered in tests/torrent/.
"""

from __future__ import annotations

import re
import string

import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mktint.core import config
from mktint.core.asin import find_asin, validate_asin
from mktint.core.errors import ConfigError, UsageError
from mktint.core.kinds import BUILTIN_SERVICES, DEFAULTS_FIELDS, KINDS, fields_of
from mktint.core.units import parse_rate, parse_size
from mktint.services.audnexus import REGIONS, validate_region
from mktint.services.gazelle import normalize_infohash
from mktint.services.mam import parse_mam_size
from mktint.services.qbittorrent.client import hash_arg

FIXTURE_SETTINGS = settings(max_examples=150, deadline=None,
                            suppress_health_check=[HealthCheck.function_scoped_fixture])

# -- the config loader on random TOML ------------------------------------------------------

KEY_NAMES = sorted({"defaults", "services", "kind", "bogus", *DEFAULTS_FIELDS, *BUILTIN_SERVICES,
                    *KINDS, *(k for kind in KINDS for k in fields_of(kind))})
keys = st.one_of(st.sampled_from(KEY_NAMES), st.text(min_size=1, max_size=8))
scalars = st.one_of(
    st.booleans(), st.integers(min_value=-2**63, max_value=2**63 - 1),
    st.floats(allow_nan=False), st.text(max_size=20), st.sampled_from(list(KINDS)),
    st.sampled_from(["http://127.0.0.1:8080", "ftp://x", "us", "zz", "red", "ops"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)), max_leaves=12)
documents = st.dictionaries(keys, values, max_size=3) | st.fixed_dictionaries(
    {"services": st.dictionaries(keys, st.dictionaries(keys, values, max_size=5), max_size=3)},
    optional={"defaults": st.dictionaries(keys, values, max_size=3)})


def load_text(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return config.load(path)


@FIXTURE_SETTINGS
@given(doc=documents)
@example(doc={"services": {"x": {"kind": []}}})  # found by this test: was a TypeError
@example(doc={"services": {"red": {"kind": {"a": 1}}}})
def test_config_loader_on_random_toml_documents_raises_only_config_errors(tmp_path, doc):
    try:
        loaded = load_text(tmp_path, tomli_w.dumps(doc))
    except ConfigError as e:
        assert str(tmp_path / "config.toml") in e.message or "config" in e.message
        return
    # Accepted: every service resolved to a known kind, every value of the right type.
    for service in loaded.services.values():
        assert service.kind in KINDS
        for key in service.values:
            assert key in fields_of(service.kind)


toml_alphabet = string.ascii_letters + string.digits + " =[]{}.\"',#\n\t-_:+"


@FIXTURE_SETTINGS
@given(text=st.text(alphabet=toml_alphabet, max_size=200) | st.text(max_size=80))
def test_config_loader_on_random_text_raises_only_config_errors(tmp_path, text):
    try:
        load_text(tmp_path, text)
    except ConfigError:
        pass


def test_config_loader_on_undecodable_bytes_is_a_config_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"[services.red]\nurl = \"\xff\xfe\"\n")
    try:
        config.load(path)
    except ConfigError as e:
        assert str(path) in e.message
    else:
        raise AssertionError("undecodable config accepted")


# -- parsers of what people type ----------------------------------------------------------

@given(st.text(max_size=30))
def test_parse_size_and_rate_give_bytes_or_a_usage_error(text):
    for parse in (parse_size, parse_rate):
        try:
            value = parse(text)
        except UsageError as e:
            assert "is not a size" in e.message and e.hint
            continue
        assert isinstance(value, int) and value >= 0


@given(st.integers(min_value=0, max_value=10**30),
       st.sampled_from(["", "B", "KiB", "MiB", "GiB", "TiB", "KB", "MB", "GB", "k", "M", "G"]))
def test_parse_size_is_exact_for_whole_numbers(number, unit):
    factor = parse_size(f"1{unit}")
    assert parse_size(f"{number}{unit}") == number * factor
    assert parse_rate(f"{number} {unit}/s") == number * factor


ASCII_ASIN = re.compile(r"^(B[0-9A-Z]{9}|[0-9]{9}[0-9X])$")


@given(st.text(max_size=14) | st.from_regex(ASCII_ASIN, fullmatch=True))
def test_asin_validation_accepts_only_ascii_asins(text):
    try:
        asin = validate_asin(text)
    except UsageError as e:
        assert repr(text) in e.message
        return
    assert ASCII_ASIN.match(asin)


@given(st.text(max_size=40))
def test_find_asin_finds_only_ascii_asins(name):
    found = find_asin(name)
    assert found is None or ASCII_ASIN.match(found)


def test_digits_of_other_scripts_are_not_an_asin():
    arabic_indic = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    try:
        validate_asin(arabic_indic)
    except UsageError:
        pass
    else:
        raise AssertionError("non-ASCII digits accepted as an ASIN")
    assert find_asin(f"Book [{arabic_indic}]") is None


@given(st.text(max_size=6) | st.sampled_from([r.upper() for r in REGIONS]))
def test_region_is_one_of_the_list_or_a_usage_error(text):
    try:
        region = validate_region(text)
    except UsageError:
        return
    assert region in REGIONS


HEX = "0123456789abcdefABCDEF"


@given(st.text(max_size=44) | st.text(alphabet=HEX, min_size=39, max_size=41))
def test_hash_parsers_give_hex_digits_or_a_usage_error(text):
    try:
        lower = hash_arg(text)  # a qbit hash argument: the whole hash or a prefix of 6+ digits
    except UsageError:
        lower = None
    try:
        upper = normalize_infohash(text)
    except UsageError:
        upper = None
    if lower is not None:
        assert re.fullmatch(r"[0-9a-f]{6,64}", lower)
    if upper is not None:
        assert re.fullmatch(r"[0-9A-F]{40}", upper) and lower == upper.lower()


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                 st.lists(st.integers(), max_size=2)))
def test_mam_sizes_from_the_server_are_bytes_or_unknown(value):
    size = parse_mam_size(value)
    assert size is None or isinstance(size, int)
