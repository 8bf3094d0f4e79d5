"""The position-keeping JSON reader and the logical paths behind ``locations``."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.errors import InputError
from s3audit.sources.locations import Sel, to_logical, to_pointer
from s3audit.sources.values import parse_json_with_positions

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=15)


@settings(max_examples=80, deadline=None)
@given(json_values, st.sampled_from([None, 2]))
def test_reads_what_json_reads(value, indent):
    text = json.dumps(value, indent=indent)
    assert parse_json_with_positions(text, "f.json") == json.loads(text)


def test_positions_of_objects_keys_and_arrays_with_an_offset():
    doc = parse_json_with_positions('{\n  "a": [\n    {"b": 1}\n  ]\n}', "f.json", line=10, column=5)
    assert doc.pos == ("f.json", 10, 5)
    assert doc.key_pos["a"] == ("f.json", 11, 3)
    assert doc["a"].pos == ("f.json", 11, 8)
    assert doc["a"][0].pos == ("f.json", 12, 5)


@pytest.mark.parametrize("text, line, column, message", [
    ('{"a": 1,}', 1, 9, "expected a property name"),
    ('{"a": 1, "a": 2}', 1, 10, "duplicate key `a`"),
    ('{"a" 1}', 1, 6, "expected `:`"),
    ("[1, 2", 1, 6, "expected `,` or `]`"),
    ("[1,", 1, 4, "unexpected end"),
    ('{"a": tru}', 1, 7, "unexpected character"),
    ("{} x", 1, 4, "unexpected text after"),
    ('\n\n  {"a": "\\x"}', 3, 10, "invalid JSON"),
])
def test_syntax_errors_name_line_and_column(text, line, column, message):
    with pytest.raises(InputError) as exc:
        parse_json_with_positions(text, "f.json")
    assert message in exc.value.message
    assert (exc.value.place.line, exc.value.place.column) == (line, column)


def test_logical_paths_survive_reordering():
    a = {"accounts": [{"id": "1", "s3": {"buckets": [{"Name": "x"}, {"Name": "y", "Policy": {"Statement": [{}, {}]}}]}}]}
    path = to_logical(a, "/accounts/0/s3/buckets/1/Policy/Statement/1")
    assert path == ("accounts", Sel("id", "1"), "s3", "buckets", Sel("Name", "y"), "Policy", "Statement", 1)
    b = {"accounts": [{"id": "0"}, {"id": "1", "s3": {"buckets": [{"Name": "y", "Policy": {"Statement": [{}, {}]}}]}}]}
    assert to_pointer(b, path) == "/accounts/1/s3/buckets/0/Policy/Statement/1"
    assert to_pointer(b, path[:-1] + (5,)) is None
    assert to_logical(a, "/accounts/0/nope") is None
