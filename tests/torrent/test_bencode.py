import pytest
from hypothesis import given, settings, strategies as st

from mktint.core.errors import OperationFailed
from mktint.torrent.bencode import MAX_DEPTH, BencodeError, decode, decode_spans, encode

values = st.recursive(
    st.integers(-2**70, 2**70) | st.binary(max_size=40),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.binary(max_size=8), children, max_size=5),
    max_leaves=30)


@given(values)
def test_round_trip(value):
    assert decode(encode(value)) == value


@given(values)
def test_encoding_is_canonical(value):
    data = encode(value)
    assert encode(decode(data)) == data


def test_encode_sorts_keys_as_raw_bytes_and_accepts_str():
    assert encode({"b": 1, "a": "é", b"B": [b"x"]}) == b"d1:Bl1:xe1:a2:\xc3\xa91:bi1ee"


@pytest.mark.parametrize("bad, message", [
    (b"", "byte 0: unexpected end"),
    (b"i12", "byte 0: unterminated integer"),
    (b"i03e", "byte 0: integer with a leading zero"),
    (b"i-0e", "byte 0: integer with a leading zero or negative zero"),
    (b"i-e", "byte 0: malformed integer"),
    (b"ie", "byte 0: malformed integer"),
    (b"i1.5e", "byte 0: malformed integer"),
    (b"5:abc", "byte 0: string of 5 bytes runs past the end"),
    (b"03:abc", "byte 0: string length with a leading zero"),
    (b"-1:a", "byte 0: unexpected byte"),
    (b"99999999999999999999:a", "byte 0: string of 99999999999999999999 bytes runs past"),
    (b"l1:a", "byte 4: unterminated list"),
    (b"d1:ai1e", "byte 7: unterminated dictionary"),
    (b"di1ei2ee", "byte 1: dictionary key is not a string"),
    (b"d1:ai1e1:ai2ee", "byte 7: duplicate dictionary key"),
    (b"i1ei2e", "byte 3: 3 bytes of trailing data"),
    (b"x", "byte 0: unexpected byte"),
])
def test_strict_errors_name_the_offset(bad, message):
    with pytest.raises(BencodeError, match=message):
        decode(bad)


def test_bencode_error_is_a_project_error_with_exit_1():
    assert issubclass(BencodeError, OperationFailed)
    assert BencodeError("x").exit_code == 1


def test_deep_nesting_is_refused_without_recursion_error():
    with pytest.raises(BencodeError, match=f"deeper than {MAX_DEPTH}"):
        decode(b"l" * 100_000 + b"e" * 100_000)


def test_unsorted_keys_are_accepted_and_spans_point_at_the_original_bytes():
    data = b"d4:infod1:bi1e1:ai2ee1:xi0ee"
    value, spans = decode_spans(data)
    assert value == {b"info": {b"b": 1, b"a": 2}, b"x": 0}
    start, end = spans[b"info"]
    assert data[start:end] == b"d1:bi1e1:ai2ee"


@pytest.mark.parametrize("value", [True, 1.5, None, {1: 2}])
def test_encode_refuses_other_types(value):
    with pytest.raises(BencodeError):
        encode(value)


@settings(max_examples=400)
@given(st.binary(max_size=200))
def test_decoder_fuzz_raises_only_bencode_errors(data):
    try:
        decode(data)
    except BencodeError:
        pass


@settings(max_examples=300)
@given(values, st.data())
def test_mutated_encodings_raise_only_bencode_errors(value, data):
    raw = bytearray(encode(value))
    for _ in range(data.draw(st.integers(1, 4))):
        if not raw:
            break
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    try:
        decode(bytes(raw))
    except BencodeError:
        pass


def test_encode_accepts_sequences_bytes_likes_and_preencoded_values():
    from mktint.torrent.bencode import Encoded

    assert encode((bytearray(b"ab"), memoryview(b"c"))) == b"l2:ab1:ce"
    assert encode({"x": Encoded(b"i5e")}) == b"d1:xi5ee"
