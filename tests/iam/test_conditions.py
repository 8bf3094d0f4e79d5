"""The Condition element: AWS's documented cases (cases/conditions.yaml), the interface the engine relies on,
structural errors, hypothesis properties against a naive reference evaluator, and the AWS managed-policy corpus."""
from __future__ import annotations

import base64
import gzip
import json
import random
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.errors import PolicyError
from s3audit.iam.conditions import (KNOWN_OPERATORS, NEGATED_OPERATORS, ConditionBlock, compile_conditions,
                                    parse_operator)
from s3audit.iam.context import Context
from s3audit.iam.logic import Tri

OPS_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
SETS_PAGE = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
             "reference_policies_condition-single-vs-multi-valued-context-keys.html")
MULTI_PAGE = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
              "reference_policies_condition-logic-multiple-context-keys-or-values.html")

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "conditions.yaml").read_text())["cases"]
TRI = {"true": Tri.TRUE, "false": Tri.FALSE, "unknown": Tri.UNKNOWN}


def compile_case(case: dict) -> ConditionBlock:
    return compile_conditions(case["condition"], version=case.get("version", "2012-10-17"),
                              pointer="/Statement/0/Condition", file="case.json")


def context_of(case: dict) -> Context:
    return Context.of(case.get("context") or {}, absent=case.get("absent") or (), closed=case.get("closed", False))


# --- the table --------------------------------------------------------------------------------------------------

def test_cases_are_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for c in CASES:
        assert c["doc"].startswith("https://docs.aws.amazon.com/"), c["name"]
        assert c["expect"] in TRI, c["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case):
    block = compile_case(case)
    result, residual = block.evaluate(context_of(case))
    assert result is TRI[case["expect"]], f"{case['name']} ({case['doc']})"
    if result is Tri.UNKNOWN:
        assert residual and all(c.evaluate(context_of(case)) is Tri.UNKNOWN for c in residual)
    else:
        assert residual == ()


def test_cases_cover_every_operator_and_set_operator():
    seen = set()
    for c in CASES:
        for op in c["condition"]:
            p = parse_operator(op)
            seen.add((p.set_op, p.base, p.if_exists))
    bases = {b for _, b, _ in seen}
    assert KNOWN_OPERATORS <= bases, sorted(KNOWN_OPERATORS - bases)
    for set_op in ("ForAllValues", "ForAnyValue"):
        assert any(s == set_op and b in NEGATED_OPERATORS for s, b, _ in seen), set_op
        assert any(s == set_op and b not in NEGATED_OPERATORS for s, b, _ in seen), set_op
        assert any(s == set_op and i for s, _, i in seen), set_op


# A policy value and a request value that matches it, for every operator (OPS_PAGE).
SAMPLES = {
    "StringEquals": ("abc", "abc"), "StringNotEquals": ("abc", "xyz"),
    "StringEqualsIgnoreCase": ("abc", "ABC"), "StringNotEqualsIgnoreCase": ("abc", "xyz"),
    "StringLike": ("a*", "abc"), "StringNotLike": ("a*", "xyz"),
    "NumericEquals": ("10", "10"), "NumericNotEquals": ("10", "11"), "NumericLessThan": ("10", "9"),
    "NumericLessThanEquals": ("10", "10"), "NumericGreaterThan": ("10", "11"),
    "NumericGreaterThanEquals": ("10", "10"),
    "DateEquals": ("2024-01-01T00:00:00Z", "1704067200"), "DateNotEquals": ("2024-01-01T00:00:00Z", "2024-01-02"),
    "DateLessThan": ("2024-01-01T00:00:00Z", "2023-12-31"), "DateLessThanEquals": ("2024-01-01", "2024-01-01"),
    "DateGreaterThan": ("2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"),
    "DateGreaterThanEquals": ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
    "Bool": ("true", "true"), "BinaryEquals": ("QmluYXJ5", "QmluYXJ5"),
    "IpAddress": ("10.0.0.0/8", "10.1.2.3"), "NotIpAddress": ("10.0.0.0/8", "192.168.1.1"),
    "ArnEquals": ("arn:aws:iam::*:role/a", "arn:aws:iam::111122223333:role/a"),
    "ArnLike": ("arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/a"),
    "ArnNotEquals": ("arn:aws:iam::*:role/a", "arn:aws:iam::111122223333:role/b"),
    "ArnNotLike": ("arn:aws:iam::*:role/a*", "arn:aws:iam::111122223333:role/b"),
}


def test_samples_cover_every_operator_but_null():
    assert set(SAMPLES) == KNOWN_OPERATORS - {"Null"}


@pytest.mark.parametrize("base", sorted(SAMPLES))
def test_every_operator_and_its_if_exists_form(base):
    """OPS_PAGE: a missing key makes a positive operator false and a negated one true; ...IfExists (every
    operator but Null) is true on a missing key; a present key is compared; an unknown key is unknown."""
    policy, request = SAMPLES[base]
    negated = base in NEGATED_OPERATORS
    for op in (base, base + "IfExists"):
        block = compile_conditions({op: {"k": policy}}, version="2012-10-17", pointer="/C")
        assert block.problems == ()
        if_exists = op.endswith("IfExists")
        expected_absent = Tri.TRUE if (if_exists or negated) else Tri.FALSE
        assert block.evaluate(Context.of(absent=["k"]))[0] is expected_absent, op
        assert block.evaluate(Context.of({"k": request}))[0] is Tri.TRUE, op
        assert block.evaluate(Context.of({"K": request}))[0] is Tri.TRUE, op  # key names fold
        assert block.evaluate(Context.of())[0] is Tri.UNKNOWN, op


# --- interface --------------------------------------------------------------------------------------------------

def test_clause_shape_pointer_and_json():
    block = compile_conditions({"ForAnyValue:StringLikeIfExists": {"aws:PrincipalTag/a/b": ["x*", 5, True]}},
                               version="2012-10-17", pointer="/Statement/3/Condition", file="p.json")
    (clause,) = block.clauses
    assert clause.operator == "ForAnyValue:StringLikeIfExists"
    assert clause.key == "aws:PrincipalTag/a/b"
    assert clause.values == ("x*", "5", "true")
    assert clause.pointer == "/Statement/3/Condition/ForAnyValue:StringLikeIfExists/aws:PrincipalTag~1a~1b"
    assert clause.to_json() == {"operator": "ForAnyValue:StringLikeIfExists", "key": "aws:PrincipalTag/a/b",
                                "values": ["x*", "5", "true"]}
    json.dumps(clause.to_json())


def test_keys_are_folded_and_include_policy_variables():
    block = compile_conditions({"StringEquals": {"AWS:PrincipalAccount": "${aws:ResourceAccount}",
                                                 "s3:prefix": "home/${AWS:UserName, 'x'}/"},
                                "Null": {"aws:TokenIssueTime": "true"}},
                               version="2012-10-17", pointer="")
    assert block.keys == {"aws:principalaccount", "aws:resourceaccount", "s3:prefix", "aws:username",
                          "aws:tokenissuetime"}
    old = compile_conditions({"StringEquals": {"AWS:PrincipalAccount": "${aws:ResourceAccount}"}},
                             version="2008-10-17", pointer="")
    assert old.keys == {"aws:principalaccount"}  # no variables before 2012-10-17


def test_residual_holds_exactly_the_unknown_clauses():
    block = compile_conditions({"StringEquals": {"a": "1", "b": "2"}, "Bool": {"c": "true"}},
                               version="2012-10-17", pointer="")
    result, residual = block.evaluate(Context.of({"a": "1"}))
    assert result is Tri.UNKNOWN
    assert [c.key for c in residual] == ["b", "c"]
    assert block.evaluate(Context.of({"a": "1", "b": "2", "c": "TRUE"})) == (Tri.TRUE, ())
    assert block.evaluate(Context.of({"a": "0"})) == (Tri.FALSE, ())


def test_empty_and_missing_blocks_are_true():
    for raw in (None, {}):
        block = compile_conditions(raw, version="2012-10-17", pointer="/Statement/0/Condition")
        assert block.evaluate(Context.of()) == (Tri.TRUE, ())
        assert block.keys == frozenset() and block.problems == ()


def test_operator_names_parse():
    p = parse_operator("ForAllValues:StringNotLikeIfExists")
    assert (p.set_op, p.base, p.if_exists, p.negated) == ("ForAllValues", "StringNotLike", True, True)
    assert parse_operator("stringequals").base == "StringEquals"
    for bad in ("StringEqualz", "ForSomeValues:StringEquals", "NullIfExists", "ForAnyValue:Null", "IfExists",
                "StringEqualsIfExistsIfExists"):
        assert parse_operator(bad).base is None, bad


# --- problems (warnings, not errors) ---------------------------------------------------------------------------

def test_unknown_operator_is_recorded_once_and_evaluates_unknown():
    block = compile_conditions({"StringEqualz": {"aws:username": "a", "aws:userid": "b"},
                                "StringEquals": {"aws:username": "a"}},
                               version="2012-10-17", pointer="")
    assert block.problems == ("unknown condition operator `StringEqualz`",)
    ctx = Context.of({"aws:username": "a", "aws:userid": "b"})
    result, residual = block.evaluate(ctx)
    assert result is Tri.UNKNOWN and [c.operator for c in residual] == ["StringEqualz", "StringEqualz"]


@pytest.mark.parametrize("condition, problem", [
    ({"NumericLessThan": {"s3:max-keys": "ten"}}, "`ten` is not a valid value for `NumericLessThan` on `s3:max-keys`"),
    ({"DateLessThan": {"aws:CurrentTime": "soon"}}, "`soon` is not a valid value for `DateLessThan` on `aws:CurrentTime`"),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/40"}}, "`10.0.0.0/40` is not a valid value for `IpAddress` on `aws:SourceIp`"),
    ({"BinaryEquals": {"k": "%%%"}}, "`%%%` is not a valid value for `BinaryEquals` on `k`"),
    ({"Bool": {"aws:SecureTransport": "yes"}}, "`yes` is not a valid value for `Bool` on `aws:SecureTransport`"),
    ({"Null": {"aws:TokenIssueTime": "maybe"}}, "`maybe` is not `true` or `false` for `Null` on `aws:TokenIssueTime`"),
    ({"StringEquals": {}}, "condition operator `StringEquals` has no condition keys"),
])
def test_unparseable_values_are_problems(condition, problem):
    block = compile_conditions(condition, version="2012-10-17", pointer="")
    assert block.problems == (problem,)


# --- structural errors -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, message, pointer", [
    (["StringEquals"], "`Condition` must be an object, not a list", "/Statement/0/Condition"),
    ("x", "`Condition` must be an object, not a string", "/Statement/0/Condition"),
    ({"StringEquals": ["a"]}, "condition operator `StringEquals` must map condition keys to values, not a list",
     "/Statement/0/Condition/StringEquals"),
    ({"StringEquals": {"k": None}}, "condition value for `k` must be a string, number or boolean, not null",
     "/Statement/0/Condition/StringEquals/k"),
    ({"StringEquals": {"a/b": {"x": 1}}}, "condition value for `a/b` must be a string, number or boolean, not an object",
     "/Statement/0/Condition/StringEquals/a~1b"),
    ({"StringEquals": {"k": ["a", ["b"]]}}, "condition value for `k` must be a string, number or boolean, not a list",
     "/Statement/0/Condition/StringEquals/k/1"),
    ({"StringEquals": {"k": []}}, "condition key `k` has an empty list of values", "/Statement/0/Condition/StringEquals/k"),
    ({"StringEquals": {" ": "a"}}, "empty condition key under `StringEquals`", "/Statement/0/Condition/StringEquals/ "),
])
def test_malformed_blocks_raise_policy_errors_with_a_place(condition, message, pointer):
    with pytest.raises(PolicyError) as info:
        compile_conditions(condition, version="2012-10-17", pointer="/Statement/0/Condition", file="bucket.json")
    assert info.value.message == message
    assert info.value.place.file == "bucket.json" and info.value.place.pointer == pointer


# --- properties --------------------------------------------------------------------------------------------------
# (1) A deliberately naive reference evaluator for the String* operators, written from the AWS pages above, with its
# own glob and its own variable substitution, agrees with the real one on fully known contexts.

STRING_BASES = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
                "StringLike", "StringNotLike"]
VALUE_TOKENS = ["a", "b", "A", "/", ":", "\n", "*", "?", "$", "${*}", "${?}", "${$}", "${v:x}", "${v:y, 'a*'}"]
STAR, ONE = object(), object()


def ref_tokens(text_tokens, version, ctx):
    """Policy value tokens -> glob tokens (literal strings, STAR, ONE), or None if a variable has no value."""
    if version != "2012-10-17":
        return [STAR if ch == "*" else ONE if ch == "?" else ch for ch in "".join(text_tokens)]
    out = []
    for t in text_tokens:
        if t in ("${*}", "${?}", "${$}"):
            out.append(t[2])
        elif t.startswith("${v:"):
            name, _, default = t[2:-1].partition(", ")
            got = ctx.get(name)
            if got is None:
                if not default:
                    return None
                got = [default.strip("'")]
            out.append(got[0])
        else:
            out.extend(STAR if ch == "*" else ONE if ch == "?" else ch for ch in t)
    return out


def ref_glob(tokens, s):
    if not tokens:
        return s == ""
    t, rest = tokens[0], tokens[1:]
    if t is STAR:
        return any(ref_glob(rest, s[i:]) for i in range(len(s) + 1))
    if t is ONE:
        return s != "" and ref_glob(rest, s[1:])
    return s.startswith(t) and ref_glob(rest, s[len(t):])


def ref_value_matches(base, text_tokens, value, version, ctx):
    tokens = ref_tokens(text_tokens, version, ctx)
    if tokens is None:
        return False
    if "Like" in base:
        return ref_glob(tokens, value)
    literal = "".join("*" if t is STAR else "?" if t is ONE else t for t in tokens)
    if "IgnoreCase" in base:
        return literal.lower() == value.lower()
    return literal == value


def ref_evaluate(block_tokens, ctx, version):
    """AND over operators and keys; OR over values (NOR for negated); set operators over request values."""
    for op, entries in block_tokens:
        prefix, _, rest = op.rpartition(":")
        if_exists = rest.endswith("IfExists")
        base = rest[: -len("IfExists")] if if_exists else rest
        negated = "Not" in base
        for key, values in entries:
            request = ctx.get(key.lower())
            if not request:
                ok = True if if_exists else True if prefix == "ForAllValues" else (
                    False if prefix == "ForAnyValue" else negated)
            else:
                def one(v):
                    m = any(ref_value_matches(base, t, v, version, ctx) for t in values)
                    return not m if negated else m
                ok = (all(map(one, request)) if prefix == "ForAllValues" else
                      any(map(one, request)) if prefix == "ForAnyValue" else one(request[0]))
            if not ok:
                return False
    return True


operators = st.builds(lambda prefix, base, ie: prefix + base + ie, st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]),
                      st.sampled_from(STRING_BASES), st.sampled_from(["", "IfExists"]))
value_tokens = st.lists(st.sampled_from(VALUE_TOKENS), max_size=4)
string_blocks = st.lists(st.tuples(operators, st.lists(st.tuples(st.sampled_from(["k1", "K1", "k2"]),
                                                                 st.lists(value_tokens, min_size=1, max_size=3)),
                                                       min_size=1, max_size=2, unique_by=lambda e: e[0])),
                         min_size=1, max_size=3, unique_by=lambda e: e[0])
request_text = st.text(alphabet="abA/:\n*?$", max_size=5)


@st.composite
def instance_of(draw, policy_text: str) -> str:
    """A request value shaped like a policy value: wildcards filled in (so that matches are common)."""
    out = []
    for ch in policy_text:
        out.append(draw(request_text) if ch == "*" else draw(st.sampled_from("a\n?*")) if ch == "?" else ch)
    return "".join(out)


@st.composite
def string_case(draw):
    block_tokens = draw(string_blocks)
    version = draw(st.sampled_from(["2012-10-17", "2008-10-17"]))
    plain_keys = {k.lower() for op, entries in block_tokens if ":" not in op for k, _ in entries}
    texts = sorted({"".join(t) for _, entries in block_tokens for _, values in entries for t in values})
    request = st.one_of(request_text, st.sampled_from(texts).flatmap(instance_of),
                        st.sampled_from(texts).map(str.upper))
    ctx = {}
    for key in ("k1", "k2"):
        if draw(st.booleans()):
            if key in plain_keys:
                ctx[key] = [draw(request)]  # a plain operator meets one value (see the multi-value cases)
            else:
                ctx[key] = draw(st.lists(request, max_size=3))
    for var in ("v:x", "v:y"):
        if draw(st.booleans()):
            ctx[var] = [draw(st.text(alphabet="ab*?", max_size=3))]
    return block_tokens, version, ctx


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(string_case())
def test_string_operators_agree_with_the_reference_model(case):
    block_tokens, version, ctx = case
    raw = {op: {key: ["".join(t) for t in values] for key, values in entries} for op, entries in block_tokens}
    block = compile_conditions(raw, version=version, pointer="")
    context = Context.of(ctx, absent=[k for k in ("k1", "k2", "v:x", "v:y") if k not in ctx])
    expected = ref_evaluate(block_tokens, ctx, version)
    assert block.evaluate(context)[0] is Tri.of(expected)


# (2) With every key the block reads supplied (present with valid values, or absent), the result is never UNKNOWN.
# Keys are named by family so that each is given values its operators can parse; a key read by a plain (set-free)
# operator gets one value, as AWS documents for single-valued keys.

FAMILY_BASES = {
    "s": STRING_BASES,
    "n": ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
          "NumericGreaterThanEquals"],
    "d": ["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
          "DateGreaterThanEquals"],
    "b": ["Bool"], "x": ["BinaryEquals"], "i": ["IpAddress", "NotIpAddress"],
    "a": ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"], "z": ["Null"],
}
numbers = st.one_of(st.integers(-1000, 1000).map(str),
                    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False).map(str))
dates = st.one_of(
    st.integers(10_000, 4_000_000_000).map(str),
    st.datetimes(min_value=__import__("datetime").datetime(1980, 1, 1),
                 max_value=__import__("datetime").datetime(2100, 1, 1)).flatmap(
        lambda dt: st.sampled_from([dt.strftime("%Y-%m-%dT%H:%M:%SZ"), dt.strftime("%Y-%m-%d"),
                                    dt.strftime("%Y-%m-%dT%H:%M+02:00"), dt.strftime("%Y-%m")])))
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
family_policy_values = {
    "s": st.lists(st.sampled_from(VALUE_TOKENS), max_size=4).map("".join),
    "n": numbers, "d": dates,
    "b": st.sampled_from(["true", "false", "True", "FALSE", "${v:x}"]),
    "x": st.binary(max_size=6).map(lambda b: base64.b64encode(b).decode()),
    "i": st.one_of(st.tuples(ipv4, st.integers(0, 32)).map(lambda t: f"{t[0]}/{t[1]}"),
                   st.tuples(ipv6, st.integers(0, 128)).map(lambda t: f"{t[0]}/{t[1]}"), ipv4),
    "a": st.sampled_from(["arn:aws:s3:::b/*", "arn:aws:iam::*:role/${v:x}", "arn:aws:iam::1:role/r", "*",
                          "arn:aws:*:*:*:*"]),
    "z": st.sampled_from(["true", "false"]),
}
family_request_values = {
    "s": request_text, "n": numbers, "d": dates, "b": st.sampled_from(["true", "false", "TRUE", "False"]),
    "x": st.binary(max_size=6).map(lambda b: base64.b64encode(b).decode()),
    "i": st.one_of(ipv4, ipv6),
    "a": st.sampled_from(["arn:aws:s3:::b/k", "arn:aws:iam::1:role/r", "arn:aws:iam::1:role/a", "x"]),
    "z": request_text,
}


@st.composite
def any_block(draw):
    raw: dict = {}
    for _ in range(draw(st.integers(1, 4))):
        family = draw(st.sampled_from(sorted(FAMILY_BASES)))
        base = draw(st.sampled_from(FAMILY_BASES[family]))
        prefix = "" if family == "z" else draw(st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]))
        suffix = "" if family == "z" else draw(st.sampled_from(["", "IfExists"]))
        entries = raw.setdefault(prefix + base + suffix, {})
        key = f"{family}:{draw(st.integers(1, 2))}"
        entries[key] = draw(st.lists(family_policy_values[family], min_size=1, max_size=3))
    return raw


def plain_keys(block: ConditionBlock) -> set[str]:
    return {c.key.lower() for c in block.clauses if c.parsed.set_op is None}


@st.composite
def full_context(draw, block: ConditionBlock):
    values, absent = {}, []
    single = plain_keys(block)
    for key in sorted(block.keys):
        if draw(st.booleans()):
            absent.append(key)
            continue
        family = "s" if key.startswith("v:") else key.split(":")[0]
        gen = family_request_values[family]
        values[key] = [draw(gen)] if key in single or key.startswith("v:") else draw(st.lists(gen, max_size=3))
    return Context.of(values, absent=absent)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_key_supplied_means_never_unknown(data):
    block = compile_conditions(data.draw(any_block()), version="2012-10-17", pointer="")
    assert block.problems == ()
    ctx = data.draw(full_context(block))
    result, residual = block.evaluate(ctx)
    assert result is not Tri.UNKNOWN and residual == ()


# (3) Clause order and value order never change the result (contexts here may leave keys unknown).

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.randoms(use_true_random=False))
def test_clause_and_value_order_do_not_matter(data, rnd: random.Random):
    raw = data.draw(any_block())
    block = compile_conditions(raw, version="2012-10-17", pointer="")
    ctx = data.draw(full_context(block))
    forget = data.draw(st.sets(st.sampled_from(sorted(block.keys))))
    ctx = Context.of({k: v for k, v in ctx.values.items() if k not in forget},
                     absent=[k for k in ctx.absent if k not in forget])
    ops = list(raw.items())
    rnd.shuffle(ops)
    shuffled = {}
    for op, entries in ops:
        items = list(entries.items())
        rnd.shuffle(items)
        shuffled[op] = {k: rnd.sample(v, len(v)) for k, v in items}
    other = compile_conditions(shuffled, version="2012-10-17", pointer="")
    (r1, res1), (r2, res2) = block.evaluate(ctx), other.evaluate(ctx)
    assert r1 is r2
    assert sorted((c.operator, c.key) for c in res1) == sorted((c.operator, c.key) for c in res2)


# --- the AWS managed-policy corpus -------------------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpora" / "aws-managed-policies.json.gz"


def test_every_condition_block_in_the_aws_managed_policies_compiles():
    path = CORPUS
    policies = json.loads(gzip.decompress(path.read_bytes()))["policies"]
    raw = []
    for name, policy in policies.items():
        doc = policy["Document"]
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        for i, stmt in enumerate(statements):
            if "Condition" in stmt:
                raw.append((name, doc.get("Version"), f"/Statement/{i}/Condition", stmt["Condition"]))
    started = time.perf_counter()
    blocks = [compile_conditions(c, version=v, pointer=p, file=n) for n, v, p, c in raw]
    elapsed = time.perf_counter() - started
    print(f"\ncompiled {len(blocks)} condition blocks from {len(policies)} AWS managed policies "
          f"in {elapsed * 1000:.0f} ms")
    assert len(blocks) > 3000
    unknown_ops = [(n, pr) for (n, *_), b in zip(raw, blocks) for pr in b.problems if "unknown condition operator" in pr]
    assert unknown_ops == []
    # Every key absent (a closed context): nothing is left to chance, so nothing is UNKNOWN.
    closed = Context.of(closed=True)
    assert all(b.evaluate(closed)[0] is not Tri.UNKNOWN for b in blocks)
