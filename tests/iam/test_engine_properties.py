"""Properties of the authorization engine over generated policies, requests and small estates.

- adding a Deny statement never makes anything more allowed (allow > conditional > deny);
- adding an Allow statement never makes anything less allowed;
- the order of statements never matters;
- with every context key the policies read supplied (a value, or None for absent), no decision is
  conditional;
- the wildcard matcher agrees with a naive recursive glob.

Estates are small (two accounts, an optional organization with an SCP and an RCP, three principals and
two buckets) and carry no Block Public Access: RestrictPublicBuckets deliberately makes an added public
Allow cut a policy's other cross-account grants (access-control-block-public-access.html), which is
tested as a documented case in test_engine.py rather than excluded from a law.
"""
from __future__ import annotations

import copy
import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.iam.engine import Engine, Request
from s3audit.iam.logic import Tri
from s3audit.iam.patterns import Pattern
from s3audit.snapshot.load import snapshot_from_dict

from .estate import build

A, B, X = "111111111111", "222222222222", "444455556666"
ALICE = f"arn:aws:iam::{A}:user/alice"
BEA = f"arn:aws:iam::{B}:user/bea"
ETL = f"arn:aws:iam::{A}:role/etl"
PRINCIPALS = [ALICE, BEA, f"arn:aws:sts::{A}:assumed-role/etl/run1", "anonymous", f"arn:aws:iam::{X}:user/xavier",
              f"arn:aws:iam::{A}:root"]
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetBucketAcl"]
RESOURCES = ["arn:aws:s3:::data-a", "arn:aws:s3:::data-a/home/alice/x", "arn:aws:s3:::data-a/reports/q1",
             "arn:aws:s3:::data-b", "arn:aws:s3:::data-b/k"]

ACTION_VALUES = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:Get*", "s3:*", "*", "s3:*Object",
                 "S3:deleteobject", ["s3:GetObject", "s3:ListBucket"]]
RESOURCE_VALUES = ["*", "arn:aws:s3:::data-a", "arn:aws:s3:::data-a/*", "arn:aws:s3:::data-?/*",
                   "arn:aws:s3:::data-b/*", "arn:aws:s3:::data-a/home/${aws:username}/*",
                   ["arn:aws:s3:::data-b", "arn:aws:s3:::data-b/*"]]
PRINCIPAL_VALUES = ["*", {"AWS": "*"}, {"AWS": f"arn:aws:iam::{A}:root"}, {"AWS": B}, {"AWS": ALICE}, {"AWS": ETL},
                    {"AWS": [BEA, f"arn:aws:iam::{B}:root"]}, {"AWS": f"arn:aws:iam::{X}:root"},
                    {"Service": "logging.s3.amazonaws.com"}]
# NotPrincipal values that never leave a caller's identity chain half-listed (that case is unknown by
# design, reference_policies_elements_notprincipal.html, and not a matter of request context).
NOT_PRINCIPAL_VALUES = [{"AWS": f"arn:aws:iam::{A}:root"}, {"AWS": [ALICE, A]}, {"AWS": [BEA, f"arn:aws:iam::{B}:root"]},
                        {"AWS": X}, {"Service": "logging.s3.amazonaws.com"}]
# Conditions over keys that are decided once they are supplied.
CONDITIONS = [
    {"Bool": {"aws:SecureTransport": "false"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringLike": {"s3:prefix": ["home/*", ""]}},
    {"StringEquals": {"aws:PrincipalAccount": A}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "blue"}},
    {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}},
    {"Null": {"aws:SourceVpce": "true"}},
    {"StringEquals": {"aws:PrincipalType": "User"}},
    {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/etl"}},
    {"ForAnyValue:StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}},
]
CONTEXT_KEYS = {"aws:SecureTransport": ["true", "false"], "s3:prefix": ["home/alice/", "", None],
                "aws:SourceVpce": ["vpce-1", "vpce-2", None], "aws:PrincipalTag/team": ["blue", "red", None],
                "aws:SourceIp": ["203.0.113.9", "198.51.100.1", "2001:db8::1"],
                "aws:CalledVia": [["athena.amazonaws.com"], ["glue.amazonaws.com", "athena.amazonaws.com"], None]}

_sid = st.integers(0, 10**6).map(lambda n: f"S{n}")


@st.composite
def statements(draw, kind: str, effect: str | None = None):
    """One statement for a policy of ``kind`` (identity | boundary | scp | bucket | rcp)."""
    s = {"Sid": draw(_sid), "Effect": effect or draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"]))}
    s["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = draw(st.sampled_from(ACTION_VALUES))
    s["NotResource" if draw(st.integers(0, 6)) == 0 else "Resource"] = draw(st.sampled_from(RESOURCE_VALUES))
    if kind == "bucket":
        if draw(st.integers(0, 6)) == 0:
            s["NotPrincipal"] = draw(st.sampled_from(NOT_PRINCIPAL_VALUES))
        else:
            s["Principal"] = draw(st.sampled_from(PRINCIPAL_VALUES))
    if kind == "rcp":
        s["Principal"] = "*"
    if draw(st.integers(0, 2)) == 0:
        s["Condition"] = draw(st.sampled_from(CONDITIONS))
    return s


def _policy(kind: str, max_size: int = 4):
    return st.lists(statements(kind), min_size=0, max_size=max_size)


@st.composite
def estates(draw, organization: bool | None = None):
    """A terse estate (tests/iam/estate.py) with generated policies everywhere (and, when `organization`
    is true or drawn so, an organization with an SCP and an RCP)."""
    def identity(extra: dict):
        stmts = draw(_policy("identity"))
        return {**extra, **({"policy": stmts} if stmts else {})}

    def bucket():
        stmts = draw(_policy("bucket"))
        return {"policy": stmts} if stmts else {}

    boundary = draw(st.one_of(st.none(), _policy("boundary", 2)))
    a = {"users": {"alice": identity({"tags": {"team": "blue"}})},
         "roles": {"etl": identity({"boundary": "limit"} if boundary is not None else {})},
         "buckets": {"data-a": bucket()}}
    if boundary is not None:
        a["managed"] = {"limit": boundary or [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    b = {"users": {"bea": identity({})}, "buckets": {"data-b": bucket()}}
    estate = {"accounts": {A: a, B: b}}
    if organization or (organization is None and draw(st.booleans())):
        estate["organization"] = {
            "management": "999999999999", "units": {"prod": "root"}, "accounts": {A: "prod", B: "prod"},
            "scps": [{"name": "Guard", "targets": ["root"],
                      "policy": [{"Sid": "Base", "Effect": "Allow", "Action": "*", "Resource": "*"},
                                 *draw(_policy("scp", 2))]},
                     {"name": "FullAWSAccess", "targets": ["prod", A, B], "policy": "FullAWSAccess"}],
            "rcps": [{"name": "Perimeter", "targets": ["root"], "policy": draw(_policy("rcp", 2)) or
                      [{"Sid": "Nothing", "Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketAcl",
                        "Resource": "arn:aws:s3:::nothing"}]}]}
    return estate


def _policy_slots(estate: dict) -> list[tuple[str, list]]:
    """Every statement list of the estate, with the kind of policy it is."""
    slots = []
    for acct in estate["accounts"].values():
        for group in ("users", "roles"):
            for body in acct.get(group, {}).values():
                slots.append(("identity", body.setdefault("policy", [])))
        for body in acct.get("buckets", {}).values():
            slots.append(("bucket", body.setdefault("policy", [])))
        for body in acct.get("managed", {}).values():
            slots.append(("boundary", body))
    org = estate.get("organization")
    if org:
        slots.append(("scp", org["scps"][0]["policy"]))
        slots.append(("rcp", org["rcps"][0]["policy"]))
    return slots


def _clean(estate: dict) -> dict:
    """Drop empty policies (an empty Statement list is not a policy AWS accepts)."""
    out = copy.deepcopy(estate)
    for acct in out["accounts"].values():
        for group in ("users", "roles", "buckets"):
            for body in acct.get(group, {}).values():
                if "policy" in body and not body["policy"]:
                    del body["policy"]
    return out


requests = st.tuples(st.sampled_from(PRINCIPALS), st.sampled_from(ACTIONS), st.sampled_from(RESOURCES))
request_lists = st.lists(requests, min_size=4, max_size=8, unique=True)
_RANK = {"deny": 0, "conditional": 1, "allow": 2}


def _engine(estate: dict) -> Engine:
    engine = Engine(snapshot_from_dict(build(_clean(estate))))
    engine.compile_all()
    return engine


def _decide(engine: Engine, reqs, context=None):
    return [engine.decide(Request(p, a, r, context or {})) for p, a, r in reqs]


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(estates(), request_lists, st.data())
def test_adding_a_deny_never_allows_more(estate, reqs, data):
    before = _decide(_engine(estate), reqs)
    kind, slot = data.draw(st.sampled_from(_policy_slots(estate)))
    slot.append(data.draw(statements(kind, "Deny")))
    after = _decide(_engine(estate), reqs)
    for req, old, new in zip(reqs, before, after):
        assert _RANK[new.decision] <= _RANK[old.decision], (req, kind, old.decision, new.decision)


@SETTINGS
@given(estates(), request_lists, st.data())
def test_adding_an_allow_never_allows_less(estate, reqs, data):
    before = _decide(_engine(estate), reqs)
    kind, slot = data.draw(st.sampled_from(_policy_slots(estate)))
    slot.append(data.draw(statements(kind, "Allow")))
    after = _decide(_engine(estate), reqs)
    for req, old, new in zip(reqs, before, after):
        assert _RANK[new.decision] >= _RANK[old.decision], (req, kind, old.decision, new.decision)


def _summary(d):
    return (d.decision,
            frozenset((r.source, r.statement, r.effect) for r in d.reasons),
            frozenset(c["key"].lower() for res in d.conditions for c in res.conditions if "key" in c),
            frozenset(d.assumptions))


@SETTINGS
@given(estates(), request_lists, st.randoms(use_true_random=False))
def test_statement_order_never_matters(estate, reqs, rnd: random.Random):
    before = [_summary(d) for d in _decide(_engine(estate), reqs)]
    for _, slot in _policy_slots(estate):
        rnd.shuffle(slot)
    after = [_summary(d) for d in _decide(_engine(estate), reqs)]
    assert before == after


@SETTINGS
@given(estates(), request_lists, st.fixed_dictionaries({k: st.sampled_from(v) for k, v in CONTEXT_KEYS.items()}))
def test_with_every_key_supplied_nothing_is_conditional(estate, reqs, context):
    for (p, a, r), d in zip(reqs, _decide(_engine(estate), reqs, context)):
        assert d.decision != "conditional", (p, a, r, [c.to_json() for c in d.conditions], d.assumptions)


# ---- the wildcard matcher against a naive reference ----

def naive_glob(pattern: str, value: str) -> bool:
    """`*` any run (also empty), `?` exactly one character, everything else literal."""
    if not pattern:
        return not value
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        return naive_glob(rest, value) or (bool(value) and naive_glob(pattern, value[1:]))
    if not value:
        return False
    return (head == "?" or head == value[0]) and naive_glob(rest, value[1:])


def naive_arn_glob(pattern: str, value: str) -> bool:
    """ARN matching: wildcards stay within each of the first five colon-separated segments."""
    if pattern.count(":") < 5:
        return naive_glob(pattern, value)
    p, v = pattern.split(":", 5), value.split(":", 5)
    return len(v) == 6 and all(naive_glob(x, y) for x, y in zip(p, v))


_pattern_text = st.text(alphabet="ab*?:/", max_size=9)
_value_text = st.text(alphabet="abAB:/", max_size=9)


@settings(max_examples=300, deadline=None)
@given(_pattern_text, _value_text)
def test_pattern_agrees_with_naive_glob(pattern, value):
    assert (Pattern(pattern).matches(value) is Tri.TRUE) == naive_glob(pattern, value)


@settings(max_examples=300, deadline=None)
@given(_pattern_text, _value_text)
def test_case_insensitive_pattern_agrees_with_naive_glob(pattern, value):
    got = Pattern(pattern, case_sensitive=False).matches(value) is Tri.TRUE
    assert got == naive_glob(pattern.lower(), value.lower())


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab*?:/", min_size=5, max_size=14), st.text(alphabet="ab:/", max_size=14))
def test_arn_pattern_agrees_with_naive_segment_glob(pattern, value):
    assert (Pattern(pattern, arn=True).matches(value) is Tri.TRUE) == naive_arn_glob(pattern, value)


# ---- the engine's memoisation (plans, shared organization layers) never changes an answer ----

_partial_context = st.dictionaries(st.sampled_from(sorted(CONTEXT_KEYS)), st.none(), max_size=3).flatmap(
    lambda d: st.fixed_dictionaries({k: st.sampled_from(CONTEXT_KEYS[k]) for k in d}))


# Few principals, actions and buckets, many keys and contexts: requests that share a plan.
_plan_mates = st.tuples(st.sampled_from([ALICE, BEA, f"arn:aws:sts::{A}:assumed-role/etl/run1", "anonymous"]),
                        st.sampled_from(["s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"]),
                        st.sampled_from(["arn:aws:s3:::data-a/home/alice/x", "arn:aws:s3:::data-a/reports/q1",
                                         "arn:aws:s3:::data-a/home/bob/y", "arn:aws:s3:::data-b/k"]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(organization=True), st.lists(st.tuples(_plan_mates, _partial_context), min_size=8, max_size=16))
def test_memoised_decisions_equal_fresh_ones(estate, reqs):
    snapshot = snapshot_from_dict(build(_clean(estate)))
    shared = Engine(snapshot)
    for (p, a, r), ctx in reqs * 2:  # every request twice: the second time from the memo
        got = shared.decide(Request(p, a, r, ctx)).to_json()
        want = Engine(snapshot).decide(Request(p, a, r, ctx)).to_json()
        assert got == want, (p, a, r, ctx)


# The same context values as JSON may spell them: true, "true" and 1 are different request values.
_typed_context = _partial_context.map(lambda d: {k: {"true": True, "false": False}.get(v, v) if isinstance(v, str)
                                                 else v for k, v in d.items()})
_spelled_context = st.one_of(_partial_context, _typed_context,
                             st.sampled_from([{"aws:SecureTransport": 1}, {"aws:SecureTransport": 0},
                                              {"aws:SecureTransport": 1.0}, {"aws:SecureTransport": [True, 0]}]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(organization=True), st.lists(st.tuples(_plan_mates, _spelled_context, st.integers(0, 5)),
                                            min_size=8, max_size=24))
def test_memoised_decisions_equal_fresh_ones_across_memo_clearing_and_value_spellings(estate, reqs):
    """Plans memoise decisions by numbered resource and context profiles shared between plans, targets and
    requests; forgetting the memos (as the access graph does when they grow) must drop every holder of a
    number together, and contexts equal as Python values but not as request values must not share one."""
    snapshot = snapshot_from_dict(build(_clean(estate)))
    shared = Engine(snapshot)
    for (p, a, r), ctx, forget in reqs * 2:
        d = shared.decide(Request(p, a, r, ctx))
        want = Engine(snapshot).decide(Request(p, a, r, ctx))
        assert d.to_json() == want.to_json() and d.grants == want.grants, (p, a, r, ctx)
        assert d.json_text == json.dumps(want.to_json())
        if forget == 0:
            shared.clear_request_cache()
        elif forget == 1:
            shared._forget_memos()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(organization=True), st.lists(st.tuples(_plan_mates, _partial_context), min_size=8, max_size=16))
def test_a_class_that_misses_statements_falls_back_to_plans_per_action(estate, reqs):
    """If _consulted() ever forgot a policy, actions would be told apart by too little; the tripwire in
    decide() must notice and keep every answer right (here it forgets every policy)."""
    snapshot = snapshot_from_dict(build(_clean(estate)))
    blind = Engine(snapshot)
    blind._consulted = lambda caller, t: ()
    for (p, a, r), ctx in reqs * 2:
        want = Engine(snapshot).decide(Request(p, a, r, ctx)).to_json()
        assert blind.decide(Request(p, a, r, ctx)).to_json() == want, (p, a, r, ctx)


# ---- the resource index (s3audit/iam/resource_index.py) never changes a decision ----

_INDEXED_RESOURCES = ["arn:aws:s3:::data-a/home/*", "arn:aws:s3:::data-a/reports/q1", "arn:aws:s3:::data-*",
                      "arn:aws:s3:::data-a/home/alice/x", "arn:aws:s3:::data-b/k", "arn:aws:s3:::data-a/h*"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(estates(), st.lists(st.tuples(_plan_mates, _partial_context), min_size=6, max_size=12), st.data())
def test_looking_statements_up_by_resource_decides_as_matching_each(estate, reqs, data):
    """Long policies (16 statements and more) are looked up by the literal prefixes of their resources; the
    decisions, their reasons and residual conditions are those of matching every statement."""
    from s3audit.iam import engine as engine_module
    for kind, slot in _policy_slots(estate):
        if kind in ("identity", "bucket"):
            for _ in range(data.draw(st.integers(16, 24))):
                s = data.draw(statements(kind))
                if "Resource" in s and data.draw(st.booleans()):
                    s["Resource"] = data.draw(st.sampled_from(_INDEXED_RESOURCES))
                slot.append(s)
    snapshot = snapshot_from_dict(build(_clean(estate)))
    saved = engine_module.INDEXED_FROM
    try:
        engine_module.INDEXED_FROM = 10 ** 9
        plain = Engine(snapshot)
        want = [plain.decide(Request(p, a, r, ctx)).to_json() for (p, a, r), ctx in reqs * 2]
        engine_module.INDEXED_FROM = 1
        indexed = Engine(snapshot)
        got = [indexed.decide(Request(p, a, r, ctx)).to_json() for (p, a, r), ctx in reqs * 2]
    finally:
        engine_module.INDEXED_FROM = saved
    assert got == want


@SETTINGS
@given(estates(), request_lists)
def test_an_unplanned_decision_is_the_planned_one(estate, reqs):
    """``Engine.decide_unplanned`` (what the principal stage asks) decides in full, making no plan: it gives the
    decision ``decide`` gives, whose plans answer the second round from their memos."""
    planned, unplanned = _engine(estate), _engine(estate)
    reqs = [*reqs, *((p, "sts:AssumeRole", ETL) for p in PRINCIPALS), (ALICE, "iam:PassRole", ETL)]
    for _ in range(2):
        for p, a, r in reqs:
            request = Request(p, a, r, {})
            assert unplanned.decide_unplanned(request) == planned.decide(request), (p, a, r)
