"""JSON Patch (RFC 6902) on snapshot documents, and the patches that remove elements (statements, ACL grants,
memberships), also inside policies held as JSON text.

The RFC's own examples (https://www.rfc-editor.org/rfc/rfc6902#appendix-A) and pointers
(https://www.rfc-editor.org/rfc/rfc6901#section-5)."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.snapshot import patch
from s3audit.snapshot.patch import PatchError


def test_rfc6901_pointers():
    doc = {"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "m~n": 8}
    assert patch.get(doc, "") == doc
    assert patch.get(doc, "/foo/0") == "bar"
    assert patch.get(doc, "/") == 0
    assert patch.get(doc, "/a~1b") == 1
    assert patch.get(doc, "/c%d") == 2
    assert patch.get(doc, "/m~0n") == 8


@pytest.mark.parametrize("doc, ops, expected", [
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"foo": "bar", "baz": "qux"}),
    ({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}], {"foo": ["bar", "qux", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo", "foo": "bar"}),
    ({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}], {"foo": ["bar", ["abc", "def"]]}),
    ({"baz": "qux", "foo": ["a", 2, "c"]}, [{"op": "test", "path": "/baz", "value": "qux"},
                                            {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
])
def test_rfc6902_examples(doc, ops, expected):
    before = json.dumps(doc)
    assert patch.apply(doc, ops) == expected
    assert json.dumps(doc) == before  # the original is not changed


@pytest.mark.parametrize("doc, ops, message", [
    ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "differs"),
    ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], "no member `baz`"),
    ({"foo": []}, [{"op": "remove", "path": "/foo/0"}], "past the end"),
    ({"foo": []}, [{"op": "frobnicate", "path": "/foo"}], "unknown operation"),
])
def test_patches_that_do_not_apply_say_where(doc, ops, message):
    with pytest.raises(PatchError) as exc:
        patch.apply(doc, ops)
    assert message in str(exc.value) and "operation 0" in str(exc.value)


def policy(*sids):
    return {"Version": "2012-10-17", "Statement": [{"Sid": s, "Effect": "Allow", "Action": "s3:GetObject",
                                                     "Resource": "*"} for s in sids]}


def test_removal_of_several_items_of_one_list_goes_from_the_last():
    doc = {"P": policy("a", "b", "c", "d")}
    ops = patch.removal(doc, ["/P/Statement/1", "/P/Statement/3"])
    assert ops == [{"op": "remove", "path": "/P/Statement/3"}, {"op": "remove", "path": "/P/Statement/1"}]
    assert [s["Sid"] for s in patch.apply(doc, ops)["P"]["Statement"]] == ["a", "c"]


def test_removal_of_a_lone_statement_object_leaves_an_empty_list():
    doc = {"P": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}
    ops = patch.removal(doc, ["/P/Statement"])
    assert ops == [{"op": "replace", "path": "/P/Statement", "value": []}]


@pytest.mark.parametrize("encode", [json.dumps, lambda d: quote(json.dumps(d))])
def test_removal_inside_a_policy_held_as_text_replaces_the_text(encode):
    doc = {"Policy": encode(policy("a", "b"))}
    ops = patch.removal(doc, ["/Policy/Statement/0"])
    [op] = ops
    assert op["op"] == "replace" and op["path"] == "/Policy" and isinstance(op["value"], str)
    after = patch.apply(doc, ops)
    assert [s["Sid"] for s in patch.decode_text(after["Policy"])["Statement"]] == ["b"]
    assert patch.resolve(doc, "/Policy/Statement/1/Sid") == "b"


def test_edit_adds_replaces_and_removes():
    doc = {"B": {"Versioning": {"Status": "Suspended"}, "Tags": {}}}
    ops = patch.edit(doc, {"/B/Versioning": lambda old: {**old, "Status": "Enabled"},
                           "/B/Logging": lambda old: {"LoggingEnabled": {"TargetBucket": "logs"}},
                           "/B/Tags": lambda old: patch.REMOVE})
    assert patch.apply(doc, ops) == {"B": {"Versioning": {"Status": "Enabled"},
                                           "Logging": {"LoggingEnabled": {"TargetBucket": "logs"}}}}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=8), st.booleans())
def test_removal_keeps_exactly_the_others(keep, as_text):
    sids = [f"s{i}" for i in range(len(keep))]
    body = policy(*sids)
    doc = {"Policy": json.dumps(body) if as_text else body}
    gone = [f"/Policy/Statement/{i}" for i, k in enumerate(keep) if not k]
    after = patch.apply(doc, patch.removal(doc, gone))
    left = patch.decode_text(after["Policy"])["Statement"]
    assert [s["Sid"] for s in left] == [s for s, k in zip(sids, keep) if k]
