"""The compiled gate in front of the snapshot schema check (s3audit/schemas/validate.py): it may only say
"valid" when jsonschema, which judges and words every error, agrees; it is what large snapshots go through.

The schema's meaning is JSON Schema draft 2020-12 (https://json-schema.org/draft/2020-12/json-schema-validation);
the gate is compiled as draft-07, so the schema may use only keywords both drafts read alike
(https://json-schema.org/draft/2020-12/release-notes: `items` as a list became `prefixItems`, `$ref` now
applies beside other keywords).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.errors import SnapshotError
from s3audit.schemas.validate import compiled_gate, first_error, gate_problem
from s3audit.snapshot import load
from tests.fuzz.mutations import SchemaPositions, any_mutation, hostile_value, typed_mutation

ROOT = Path(__file__).resolve().parents[2]
DEMO = json.loads((ROOT / "fixtures/demo/estate.json").read_text())


def judge(document) -> tuple[str, str] | None:
    return first_error(load._validator(), document)


def test_the_snapshot_schema_uses_only_keywords_the_gate_reads_alike():
    assert gate_problem(load.schema()) is None


@pytest.mark.parametrize("schema, problem", [
    ({"prefixItems": [{"type": "string"}]}, "keyword `prefixItems` at /"),
    ({"properties": {"a": {"unevaluatedProperties": False}}}, "keyword `unevaluatedProperties` at /properties/a"),
    ({"items": [{"type": "string"}]}, "`items` as a list at /items (2020-12 spells it prefixItems)"),
    ({"$defs": {"x": {"$ref": "#/$defs/y", "type": "string"}}}, "`$ref` beside other keywords at /$defs/x (draft-07 ignores them)"),
    ({"properties": {"n": {"enum": ["a", 1]}}}, "`enum` with a value that is not a string at /properties/n/enum"),
    ({"const": True}, "`const` with a value that is not a string at /const"),
])
def test_a_schema_the_gate_could_read_differently_is_refused(schema, problem):
    assert gate_problem(schema) == problem
    with pytest.raises(ValueError, match="cannot be compiled"):
        compiled_gate(schema)


def test_the_gate_passes_the_demo_estate_and_leaves_the_schema_as_it_was():
    before = json.dumps(load.schema())
    assert judge(DEMO) is None
    assert compiled_gate(load.schema())(DEMO) is True
    assert json.dumps(load.schema()) == before


_POSITIONS = SchemaPositions(load.schema())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_gate_never_passes_what_jsonschema_rejects(data):
    document, how = data.draw(st.one_of(any_mutation(DEMO), typed_mutation(DEMO, _POSITIONS),
                                        hostile_value(DEMO)))
    if load._gate()(document):
        assert judge(document) is None, how


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_value_of_a_type_the_schema_forbids_never_passes_the_gate(data):
    document, how = data.draw(typed_mutation(DEMO, _POSITIONS))
    assert judge(document) is not None, how  # the mutation is always unacceptable ...
    assert load._gate()(document) is False, how  # ... and the gate sends it to jsonschema


def test_large_snapshots_go_through_the_gate_and_errors_are_worded_by_jsonschema(monkeypatch):
    monkeypatch.setattr(load, "GATE_ENTITIES", 0)
    asked = []
    real = load._validator
    monkeypatch.setattr(load, "_validator", lambda: asked.append(1) or real())
    load.validate(DEMO, "estate.json")
    assert asked == []  # valid: the gate answered alone
    bad = json.loads(json.dumps(DEMO))
    bad["accounts"][1]["id"] = "12345"
    with pytest.raises(SnapshotError) as caught:
        load.validate(bad, "estate.json")
    assert asked == [1]
    assert caught.value.place.pointer == "/accounts/1/id"
    assert "a 12-digit account id" in caught.value.message
    assert (caught.value.place.pointer, caught.value.message) == judge(bad)


def test_small_snapshots_do_not_build_the_gate(monkeypatch):
    monkeypatch.setattr(load, "_gate", lambda: pytest.fail("the gate was built for a small snapshot"))
    load.validate(DEMO, "estate.json")
    assert load._entities(DEMO) <= load.GATE_ENTITIES


# A pattern is searched with Python's re by both (https://json-schema.org/draft/2020-12/json-schema-validation
# section 6.3.3: a match anywhere; `$` matches at the end or before a final newline, and is a plain dollar inside
# [...]): the gate must answer as jsonschema does, including under `not` and `oneOf`, where a stricter pattern
# would make a looser schema.
@pytest.mark.parametrize("schema, value", [
    ({"not": {"pattern": "^a$"}}, "a\n"),
    ({"oneOf": [{"pattern": "^a$"}, {"pattern": "^a"}]}, "a\n"),
    ({"pattern": "^a$"}, "a\n"),
    ({"pattern": "^[$]+$"}, "$$"),
    ({"pattern": "^x\\$$"}, "x$"),
    ({"pattern": "^[]$]$"}, "]"),
    ({"not": {"pattern": "^[^$]$"}}, "$"),
    ({"patternProperties": {"^k$": {"type": "integer"}}}, {"k\n": "not an integer"}),
])
def test_the_gate_reads_dollars_as_jsonschema_does(schema, value):
    import jsonschema
    expected = jsonschema.Draft202012Validator(schema).is_valid(value)
    assert compiled_gate(schema)(value) is expected


_TOKENS = ["a", "x", "$", "^", "[", "]", "[^", "\\$", "\\\\", "\\n", "*", "?", "|", "(", ")"]


@pytest.mark.filterwarnings("ignore::FutureWarning")  # "[[" is a set holding "[" today; re warns it may change
@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=6).map("".join),
       st.text(alphabet="ax$]\\\n^", max_size=5), st.booleans())
def test_the_gate_and_jsonschema_agree_on_any_pattern(pattern, value, negated):
    import re

    import jsonschema
    try:
        re.compile(pattern)
    except re.error:
        assert gate_problem({"pattern": pattern}) is not None
        return
    schema = {"not": {"pattern": pattern}} if negated else {"pattern": pattern}
    assert compiled_gate(schema)(value) is jsonschema.Draft202012Validator(schema).is_valid(value), (pattern, value)


def test_a_pattern_re_does_not_read_is_refused():
    assert gate_problem({"properties": {"n": {"pattern": "\\p{L}+"}}}) == \
        "pattern `\\p{L}+` at /properties/n, which Python's re does not read"


# The gate inlines `$defs` and reads a `oneOf` of bare, disjoint types as one `type` (validate.py, for speed):
# each must keep jsonschema's verdict (https://json-schema.org/draft/2020-12/json-schema-core#section-10.2.1.3,
# oneOf: valid against exactly one).
@pytest.mark.parametrize("schema, document, valid", [
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1, False),  # 1 is both: not one of them
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1.5, True),
    ({"oneOf": [{"type": ["object", "string"]}, {"type": "null"}]}, None, True),
    ({"oneOf": [{"type": ["object", "string"]}, {"type": "null"}]}, 3, False),
    ({"oneOf": [{"type": "string"}, {"type": "string", "minLength": 2}]}, "ab", False),  # both match
    ({"oneOf": [{"type": "string"}, {"type": "string", "minLength": 2}]}, "a", True),
    ({"$defs": {"p": {"oneOf": [{"$ref": "#/$defs/d"}, {"type": "null"}]}, "d": {"type": "object"}},
      "type": "array", "items": {"$ref": "#/$defs/p"}}, [{}, None], True),
    ({"$defs": {"p": {"oneOf": [{"$ref": "#/$defs/d"}, {"type": "null"}]}, "d": {"type": "object"}},
      "type": "array", "items": {"$ref": "#/$defs/p"}}, [{}, "x"], False),
    ({"$defs": {"t": {"type": "object", "properties": {"k": {"$ref": "#/$defs/t"}, "v": {"type": "string"}}}},
      "type": "array", "items": {"$ref": "#/$defs/t"}}, [{"k": {"k": {"v": "a"}}}], True),  # refers to itself
    ({"$defs": {"t": {"type": "object", "properties": {"k": {"$ref": "#/$defs/t"}, "v": {"type": "string"}}}},
      "type": "array", "items": {"$ref": "#/$defs/t"}}, [{"k": {"k": {"v": 1}}}], False),
    ({"properties": {"$ref": {"type": "string"}}}, {"$ref": 1}, False),  # a property named $ref is no reference
])
def test_the_gates_rewritten_schema_keeps_jsonschemas_verdict(schema, document, valid):
    import jsonschema
    assert jsonschema.Draft202012Validator(schema).is_valid(document) is valid
    assert compiled_gate(schema)(document) is valid
