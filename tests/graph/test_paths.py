"""Reachable-data paths: chains of role assumptions across accounts, cuts by SCPs and explicit denies,
conditional hops, the --from filters, and the json / dot / mermaid renderers.

AWS pages: cross-account role chains
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining),
cross-account evaluation (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html),
SCPs (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html),
third-party access with an external id
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html), MFA
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html).
"""
from __future__ import annotations

import json
import re

import pytest

from s3audit.errors import InputError
from s3audit.graph.build import ANONYMOUS, AUTHENTICATED, build_graph
from s3audit.graph.paths import (paths_from, paths_to, render_dot, render_json, render_mermaid, render_text,
                                 select_principals)

from .estates import (account, allow, bucket, deny, grant, group, managed, organization, role, scp, snapshot, trust,
                      user)

M, A, B, C, X = "111111111111", "222222222222", "333333333333", "444444444444", "999999999999"
READ = ["s3:GetObject", "s3:ListBucket"]


def arn(acct: str, what: str) -> str:
    return f"arn:aws:iam::{acct}:{what}"


def reader(acct, name, trusted, bucket_name="vault", **trust_kw):
    return role(acct, name, [trust({"AWS": trusted}, **trust_kw)],
                allow(READ, [f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/*"]))


def hop_targets(p):
    return [h.target for h in p.hops]


def chain_estate(*, middle_scp=None, deny_in_trust=False, external_id=None, mfa=False):
    """external X -> role hop1 in C -> role hop2 in B -> role reader in A -> bucket vault in A."""
    cond = {"StringEquals": {"sts:ExternalId": external_id}} if external_id else None
    if mfa:
        cond = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    hop1 = role(C, "hop1", [trust({"AWS": X}, condition=cond)], allow("sts:AssumeRole", arn(B, "role/hop2")))
    hop2_trust = [trust({"AWS": arn(C, "role/hop1")})]
    if deny_in_trust:
        hop2_trust.append(trust({"AWS": arn(C, "role/hop1")}, effect="Deny"))
    hop2 = role(B, "hop2", hop2_trust, allow("sts:AssumeRole", arn(A, "role/reader")))
    policies = [scp("FullAWSAccess", allow("*"), targets=["r-root", A, B, C])]
    if middle_scp:
        policies.append(middle_scp)
    return snapshot(account(M), account(A, roles=[reader(A, "reader", arn(B, "role/hop2"))], buckets=[bucket("vault")]),
                    account(B, roles=[hop2]), account(C, roles=[hop1]),
                    org=organization([M, A, B, C], M, policies))


def test_chain_of_two_role_assumptions_across_accounts():
    s = chain_estate()
    g = build_graph(s)
    [p] = paths_to(g, "vault", "read", {arn(C, "role/hop1")})
    assert hop_targets(p) == [arn(B, "role/hop2"), arn(A, "role/reader"), "arn:aws:s3:::vault"]
    assert [h.kind for h in p.hops] == ["assume", "assume", "access"]
    assert p.decision == "allow" and p.access == ("s3:GetObject",)


def test_chain_of_three_role_assumptions_from_an_external_account():
    g = build_graph(chain_estate())
    [p] = paths_to(g, "vault", "any", select_principals(g, "external"))
    assert p.principal == arn(X, "root")
    assert hop_targets(p) == [arn(C, "role/hop1"), arn(B, "role/hop2"), arn(A, "role/reader"), "arn:aws:s3:::vault"]
    assert p.access == ("s3:GetObject", "s3:ListBucket")
    assert p.decision == "allow"


def test_external_account_reaches_the_bucket_only_through_an_assumable_role():
    s = snapshot(account(A, roles=[reader(A, "partner", X)], buckets=[bucket("vault")]))
    g = build_graph(s)
    # no direct edge from the external account to the bucket ...
    assert not g.g.has_edge(arn(X, "root"), "arn:aws:s3:::vault")
    # ... but a path through the role it may assume
    [p] = paths_to(g, "vault", "read", select_principals(g, "external"))
    assert [h.kind for h in p.hops] == ["assume", "access"]
    assert p.hops[0].source == arn(X, "root") and p.hops[0].target == arn(A, "role/partner")


def test_an_scp_in_the_middle_account_cuts_the_chain():
    cut = scp("NoAssumeOut", deny("sts:AssumeRole"), targets=[B])
    g = build_graph(chain_estate(middle_scp=cut))
    assert paths_to(g, "vault", "any", select_principals(g, "external")) == []
    # the account's own principals still reach it (the SCP cut only hop2's assumption)
    assert [p.principal for p in paths_to(g, "vault", "read", {arn(A, "role/reader")})] == [arn(A, "role/reader")]


def test_an_explicit_deny_in_a_trust_policy_cuts_the_chain():
    g = build_graph(chain_estate(deny_in_trust=True))
    assert paths_to(g, "vault", "any", select_principals(g, "external")) == []


def test_an_explicit_deny_in_the_bucket_policy_cuts_the_last_hop():
    s = snapshot(account(A, roles=[reader(A, "partner", X)],
                         buckets=[bucket("vault", grant({"AWS": arn(A, "role/partner")}, "s3:*",
                                                        ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"],
                                                        effect="Deny"))]))
    g = build_graph(s)
    assert paths_to(g, "vault", "any", select_principals(g, "external")) == []


@pytest.mark.parametrize("kind", ["external-id", "mfa"])
def test_a_conditional_hop_makes_the_path_conditional(kind):
    g = build_graph(chain_estate(external_id="partner-7") if kind == "external-id" else chain_estate(mfa=True))
    [p] = paths_to(g, "vault", "read", select_principals(g, "external"))
    assert p.decision == "conditional"
    first = p.hops[0]
    assert first.decision == "conditional"
    key = "sts:ExternalId" if kind == "external-id" else "aws:MultiFactorAuthPresent"
    assert first.conditions[0].conditions[0]["key"] == key
    assert all(h.decision == "allow" for h in p.hops[1:])


def test_an_all_allow_path_wins_over_a_shorter_conditional_one():
    s = snapshot(account(A, users=[user(A, "u", allow("sts:AssumeRole", "*"),
                                        allow("s3:GetObject", "arn:aws:s3:::vault/*",
                                              Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
                         roles=[reader(A, "direct", A)], buckets=[bucket("vault")]))
    g = build_graph(s)
    [p] = paths_to(g, "vault", "read", {arn(A, "user/u")})
    assert p.decision == "allow" and hop_targets(p) == [arn(A, "role/direct"), "arn:aws:s3:::vault"]


def test_max_hops_bounds_the_paths():
    g = build_graph(chain_estate())
    ext = select_principals(g, "external")
    assert paths_to(g, "vault", "any", ext, max_hops=3) == []
    assert len(paths_to(g, "vault", "any", ext, max_hops=4)) == 1
    with pytest.raises(InputError):
        paths_to(g, "vault", "any", ext, max_hops=0)


def test_paths_from_a_principal_list_every_bucket_it_reaches():
    s = snapshot(account(A, users=[user(A, "u", allow(READ, ["arn:aws:s3:::one", "arn:aws:s3:::one/*"]),
                                        allow("sts:AssumeRole", arn(A, "role/r")))],
                         roles=[reader(A, "r", A, "two")], buckets=[bucket("one"), bucket("two"), bucket("three")]))
    g = build_graph(s)
    found = paths_from(g, {arn(A, "user/u")}, "read")
    assert [(p.bucket, len(p.hops)) for p in found] == [("one", 1), ("two", 2)]


def test_access_levels_filter_the_last_hop():
    s = snapshot(account(A, roles=[role(A, "w", [], allow("s3:PutObject", "arn:aws:s3:::b/*"))], buckets=[bucket("b")]))
    g = build_graph(s)
    assert [p.principal for p in paths_to(g, "b", "write")][:1] == [arn(A, "role/w")]
    assert arn(A, "role/w") not in [p.principal for p in paths_to(g, "b", "read")]
    [p] = paths_to(g, "b", "any", {arn(A, "role/w")})
    assert p.access == ("s3:PutObject",)


def test_from_filters():
    s = snapshot(account(M),
                 account(A, users=[user(A, "u", allow("s3:GetObject", "*"))], roles=[reader(A, "partner", X)],
                         buckets=[bucket("vault", grant("*", "s3:GetObject", "arn:aws:s3:::vault/*"))]),
                 org=organization([M, A], M, [scp("FullAWSAccess", allow("*"), targets=["r-root"])]))
    g = build_graph(s)
    assert select_principals(g, "anonymous") == {ANONYMOUS}
    external = select_principals(g, "external")
    assert {arn(X, "root"), ANONYMOUS, AUTHENTICATED} <= external
    assert arn(A, "user/u") not in external and arn(M, "root") not in external
    assert select_principals(g, f"arn:aws:iam::{A}:role/*") == {arn(A, "role/partner")}
    assert select_principals(g, A) == {arn(A, "root")}
    with pytest.raises(InputError):
        select_principals(g, arn(A, "user/nobody"))
    assert {p.principal for p in paths_to(g, "vault", "read", {ANONYMOUS})} == {ANONYMOUS}


def test_unknown_bucket_is_bad_input():
    g = build_graph(snapshot(account(A)))
    with pytest.raises(InputError, match="bucket `nope` is not in the snapshot"):
        paths_to(g, "nope")


def test_json_contract():
    g = build_graph(chain_estate(external_id="partner-7"))
    out = json.loads(render_json(g, paths_to(g, "vault", "read", select_principals(g, "external"))))
    assert set(out) == {"paths"}
    [p] = out["paths"]
    assert set(p) == {"principal", "bucket", "access", "decision", "hops"}
    assert (p["principal"], p["bucket"], p["access"], p["decision"]) == (arn(X, "root"), "vault", ["s3:GetObject"],
                                                                         "conditional")
    for h in p["hops"]:
        assert set(h) == {"from", "to", "kind", "actions", "conditions", "reasons"}
        assert h["kind"] in {"assume", "act-as", "access", "member-of"}
        assert all({"source", "statement", "effect", "layer"} <= set(r) for r in h["reasons"])
    assert [h["kind"] for h in p["hops"]] == ["assume", "assume", "assume", "access"]
    assert p["hops"][-1]["to"] == "vault"
    assert p["hops"][0]["conditions"][0]["conditions"] == [
        {"operator": "StringEquals", "key": "sts:ExternalId", "values": ["partner-7"]}]


def test_text_explains_every_hop():
    g = build_graph(chain_estate(external_id="partner-7"))
    text = render_text(g, paths_to(g, "vault", "read", select_principals(g, "external")))
    assert f"{arn(X, 'root')} -> vault  [conditional, 4 hops]" in text
    assert "only if: StringEquals sts:ExternalId partner-7" in text
    assert text.count("because:") >= 4


def _dot_ok(text: str) -> None:
    lines = text.strip().splitlines()
    assert lines[0] == "digraph paths {" and lines[-1] == "}"
    declared = set(re.findall(r"^  (n\d+) \[label=", text, re.M))
    for a, b in re.findall(r"^  (n\d+) -> (n\d+) \[", text, re.M):
        assert a in declared and b in declared
    for label in re.findall(r'label="((?:[^"\\]|\\.)*)"', text):
        assert "\n" not in label
    assert text.count("{") == text.count("}")


def _mermaid_ok(text: str) -> None:
    lines = text.strip().splitlines()
    assert lines[0] == "flowchart LR"
    declared = set()
    for line in lines[1:]:
        m = re.fullmatch(r'  (n\d+)(\["[^"]*"\]|\[\("[^"]*"\)\])', line)
        if m:
            declared.add(m.group(1))
            continue
        m = re.fullmatch(r'  (n\d+) (-->|-\.->)\|"[^"]*"\| (n\d+)', line)
        if m:
            assert m.group(1) in declared and m.group(3) in declared
            continue
        assert re.fullmatch(r"  classDef external .*|  class (n\d+,?)+ external", line), line


def test_dot_and_mermaid_are_well_formed():
    g = build_graph(chain_estate(external_id='quote"d'))
    found = paths_to(g, "vault", "any")
    assert found
    dot = render_dot(g, found)
    _dot_ok(dot)
    assert "style=dashed" in dot  # the conditional hop
    assert "shape=cylinder" in dot
    mermaid = render_mermaid(g, found)
    _mermaid_ok(mermaid)
    assert "-.->" in mermaid and '[("vault")]' in mermaid


def test_drawings_of_no_paths_are_still_well_formed():
    g = build_graph(snapshot(account(A, buckets=[bucket("b")])))
    _dot_ok(render_dot(g, []))
    _mermaid_ok(render_mermaid(g, []))


def test_paths_do_not_continue_from_a_group_through_membership():
    """A group node stands for some member; a member's own edges (its boundary included) decide for it
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)."""
    boundary = arn(A, "policy/no-s3")
    s = snapshot(account(A, users=[user(A, "capped", groups=["readers"], boundary=boundary),
                                   user(A, "plain", groups=["readers"])],
                         groups=[group(A, "readers", allow(READ, ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"]))],
                         policies=[managed(A, "no-s3", allow("iam:*"))], buckets=[bucket("vault")]))
    g = build_graph(s)
    assert g.g.has_edge(arn(A, "user/capped"), arn(A, "group/readers"))  # the membership is a fact of the graph
    reach = {p.principal: p for p in paths_to(g, "vault", "read")}
    assert arn(A, "user/capped") not in reach
    assert [h.kind for h in reach[arn(A, "user/plain")].hops] == ["access"]
    assert [h.kind for h in reach[arn(A, "group/readers")].hops] == ["access"]
