"""The access graph's nodes and its member-of, can-assume and can-access edges, on hand-built estates.

AWS pages behind the cases: groups are not principals and give their members their policies
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html); role trust and cross-account rules
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html);
S3 access levels (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html);
ACLs and Object Ownership (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html); Block Public Access
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
"""
from __future__ import annotations

from s3audit.graph.build import (ANONYMOUS, AUTHENTICATED, CAN_ACCESS, CAN_ASSUME, MEMBER_OF, build_graph)

from .estates import (FULL_ACCESS_SCP, account, allow, bucket, deny, grant, group, managed, organization, role,
                      scp, snapshot, trust, user)

M, A, B, X = "111111111111", "222222222222", "333333333333", "999999999999"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def arn(acct: str, what: str) -> str:
    return f"arn:aws:iam::{acct}:{what}"


def edges(graph, u, v, kind=None) -> list[dict]:
    if not graph.g.has_edge(u, v):
        return []
    return [a for a in graph.g[u][v].values() if kind is None or a["kind"] == kind]


def access(graph, u, bucket_name, decision=None) -> list[dict]:
    return [a for a in edges(graph, u, f"arn:aws:s3:::{bucket_name}", CAN_ACCESS)
            if decision is None or a["decision"] == decision]


def test_nodes_carry_kind_account_organization_and_tags():
    s = snapshot(account(M),
                 account(A, users=[user(A, "alice", tags={"team": "data"})], groups=[group(A, "devs")],
                         roles=[role(A, "r", [trust({"AWS": X}), trust({"Service": "glue.amazonaws.com"})])],
                         buckets=[bucket("cards", tags={"data-class": "pci"})]),
                 org=organization([M, A], M, [FULL_ACCESS_SCP]))
    g = build_graph(s)
    alice = g.node(arn(A, "user/alice"))
    assert (alice["kind"], alice["account"], alice["in_organization"], alice["external"]) == ("user", A, True, False)
    assert alice["tags"] == {"team": "data"}
    assert g.node(arn(A, "group/devs"))["kind"] == "group"
    assert g.node(arn(A, "root"))["kind"] == "root"
    ext = g.node(arn(X, "root"))
    assert (ext["kind"], ext["in_organization"], ext["external"], ext["in_snapshot"]) == ("root", False, True, False)
    assert g.node("glue.amazonaws.com")["kind"] == "service"
    assert g.node(ANONYMOUS)["external"] and g.node(AUTHENTICATED)["external"]
    cards = g.node("arn:aws:s3:::cards")
    assert (cards["kind"], cards["name"], cards["account"], cards["tags"]) == ("bucket", "cards", A,
                                                                              {"data-class": "pci"})


def test_without_an_organization_external_means_outside_the_snapshot_accounts():
    s = snapshot(account(A, roles=[role(A, "r", [trust({"AWS": B})])]))
    g = build_graph(s)
    assert g.node(arn(A, "root"))["external"] is False
    assert g.node(arn(B, "root"))["external"] is True


def test_member_of_edge_from_user_to_group():
    s = snapshot(account(A, users=[user(A, "alice", groups=["devs"])], groups=[group(A, "devs")]))
    g = build_graph(s)
    [e] = edges(g, arn(A, "user/alice"), arn(A, "group/devs"), MEMBER_OF)
    assert e["decision"] == "allow" and e["actions"] == ()


def test_can_assume_same_account_and_cross_account():
    s = snapshot(account(A, users=[user(A, "alice", allow("sts:AssumeRole", arn(B, "role/reader"))),
                                   user(A, "bob")],
                         roles=[role(A, "local", [trust({"AWS": arn(A, "user/bob")})])]),
                 account(B, roles=[role(B, "reader", [trust({"AWS": A})])]))
    g = build_graph(s)
    [e] = edges(g, arn(A, "user/alice"), arn(B, "role/reader"), CAN_ASSUME)
    assert e["decision"] == "allow" and e["actions"] == ("sts:AssumeRole",) and e["method"] == "sts:AssumeRole"
    assert any(r.layer == "trust" for r in e["reasons"]) and any(r.layer == "identity" for r in e["reasons"])
    assert edges(g, arn(A, "user/bob"), arn(A, "role/local"), CAN_ASSUME)
    # bob has no identity grant, so he cannot assume the cross-account role that trusts his account
    assert not edges(g, arn(A, "user/bob"), arn(B, "role/reader"), CAN_ASSUME)
    # the account root of A can (its identity allows everything in A)
    assert edges(g, arn(A, "root"), arn(B, "role/reader"), CAN_ASSUME)


def test_service_and_federated_principals_assume_roles():
    provider = arn(A, "oidc-provider/token.actions.githubusercontent.com")
    s = snapshot(account(A, roles=[role(A, "fn", [trust({"Service": "lambda.amazonaws.com"})]),
                                   role(A, "ci", [trust({"Federated": provider}, "sts:AssumeRoleWithWebIdentity",
                                                        {"StringLike": {
                                                            "token.actions.githubusercontent.com:sub":
                                                                "repo:corp/*"}})])]))
    g = build_graph(s)
    [svc] = edges(g, "lambda.amazonaws.com", arn(A, "role/fn"), CAN_ASSUME)
    assert svc["decision"] == "allow"
    [fed] = edges(g, provider, arn(A, "role/ci"), CAN_ASSUME)
    assert fed["decision"] == "conditional" and fed["method"] == "sts:AssumeRoleWithWebIdentity"
    assert fed["conditions"][0].conditions[0]["key"] == "token.actions.githubusercontent.com:sub"
    assert g.node(provider)["kind"] == "provider"


def test_trust_everyone_gives_any_authenticated_principal_and_the_account():
    s = snapshot(account(A, users=[user(A, "bob")], roles=[role(A, "open", [trust({"AWS": "*"})])]))
    g = build_graph(s)
    assert edges(g, AUTHENTICATED, arn(A, "role/open"), CAN_ASSUME)
    assert edges(g, arn(A, "user/bob"), arn(A, "role/open"), CAN_ASSUME)
    assert not edges(g, ANONYMOUS, arn(A, "role/open"))


def test_can_access_groups_actions_by_level_and_names_the_grant():
    s = snapshot(account(A, roles=[role(A, "app", [], allow(["s3:GetObject", "s3:ListBucket", "s3:PutObject",
                                                            "s3:PutObjectTagging", "s3:PutBucketPolicy"],
                                                           ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]))],
                         buckets=[bucket("data")]))
    g = build_graph(s)
    [e] = access(g, arn(A, "role/app"), "data")
    assert e["decision"] == "allow"
    assert e["levels"] == {"list": ("s3:ListBucket",), "permissions": ("s3:PutBucketPolicy",),
                           "read": ("s3:GetObject",), "tagging": ("s3:PutObjectTagging",),
                           "write": ("s3:PutObject",)}
    assert e["via"] == ("identity-policy",)
    assert e["scope"] == ("*",)


def test_prefix_scoped_grant_is_found_and_reports_its_prefix():
    s = snapshot(account(A, roles=[role(A, "app", [], allow("s3:GetObject", "arn:aws:s3:::data/reports/*"))],
                         buckets=[bucket("data")]))
    g = build_graph(s)
    [e] = access(g, arn(A, "role/app"), "data")
    assert e["decision"] == "allow" and e["scope"] == ("reports/*",)
    assert e["levels"] == {"read": ("s3:GetObject",)}


def test_bucket_policy_grant_to_another_account_needs_that_accounts_identity_grant():
    s = snapshot(account(A, buckets=[bucket("shared", grant({"AWS": B}, "s3:GetObject", "arn:aws:s3:::shared/*"))]),
                 account(B, roles=[role(B, "reader", [], allow("s3:GetObject", "*")), role(B, "other", [])]))
    g = build_graph(s)
    [e] = access(g, arn(B, "role/reader"), "shared")
    assert e["decision"] == "allow" and set(e["via"]) == {"bucket-policy", "identity-policy"}
    assert not access(g, arn(B, "role/other"), "shared")
    assert access(g, arn(B, "root"), "shared")


def test_public_bucket_policy_reaches_anonymous_and_any_authenticated_principal():
    s = snapshot(account(A, buckets=[bucket("site", grant("*", "s3:GetObject", "arn:aws:s3:::site/*"))]))
    g = build_graph(s)
    assert access(g, ANONYMOUS, "site", "allow")[0]["via"] == ("bucket-policy",)
    assert access(g, AUTHENTICATED, "site", "allow")


def test_acl_grant_to_all_users_and_block_public_access_removing_it():
    acl = [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]
    open_ = snapshot(account(A, buckets=[bucket("legacy", acl=acl, ownership="ObjectWriter")]))
    [e] = access(build_graph(open_), ANONYMOUS, "legacy")
    assert e["via"] == ("acl",) and "s3:ListBucket" in e["levels"]["list"]
    blocked = snapshot(account(A, buckets=[bucket("legacy", acl=acl, ownership="ObjectWriter",
                                                  block={"IgnorePublicAcls": True})]))
    assert not access(build_graph(blocked), ANONYMOUS, "legacy")
    enforced = snapshot(account(A, buckets=[bucket("legacy", acl=acl, ownership="BucketOwnerEnforced")]))
    assert not access(build_graph(enforced), ANONYMOUS, "legacy")


def test_explicit_deny_in_the_bucket_policy_removes_the_edge():
    s = snapshot(account(A, roles=[role(A, "app", [], allow("s3:*", "*"))],
                         buckets=[bucket("locked", grant("*", "s3:*", ["arn:aws:s3:::locked", "arn:aws:s3:::locked/*"],
                                                         effect="Deny", condition={"StringNotEquals": {
                                                             "aws:PrincipalArn": arn(A, "role/break-glass")}}))]))
    g = build_graph(s)
    assert not access(g, arn(A, "role/app"), "locked")


def test_conditional_access_keeps_the_residual_conditions():
    s = snapshot(account(A, roles=[role(A, "app", [], allow("s3:GetObject", "*", Condition={
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))], buckets=[bucket("data")]))
    [e] = access(build_graph(s), arn(A, "role/app"), "data")
    assert e["decision"] == "conditional"
    assert e["conditions"][0].conditions[0]["key"] == "aws:SourceIp"


def test_scp_deny_removes_access_edges():
    full = scp("FullAWSAccess", allow("*"), targets=["r-root", A])  # every level needs an allowing SCP
    org = organization([M, A], M, [full, scp("NoS3Delete", deny("s3:DeleteObject"), targets=[A])])
    s = snapshot(account(M), account(A, roles=[role(A, "app", [], allow(["s3:GetObject", "s3:DeleteObject"], "*"))],
                                     buckets=[bucket("data")]), org=org)
    [e] = access(build_graph(s), arn(A, "role/app"), "data")
    assert e["levels"] == {"read": ("s3:GetObject",)}


def test_missing_managed_policy_makes_access_conditional_not_absent():
    s = snapshot(account(A, roles=[role(A, "app", [], attached=[arn(A, "policy/not-collected")])],
                         buckets=[bucket("data")]))
    [e] = access(build_graph(s), arn(A, "role/app"), "data")
    assert e["decision"] == "conditional"
    assert any("not in the snapshot" in a for a in e["assumptions"])


def test_policy_the_snapshot_marks_unknown_makes_access_conditional_not_absent():
    # docs/snapshot-format.md: IaC readers name an identity policy known only after apply under an `iam:<Kind>/<name>/...`
    # key of the account's errors; that principal's permissions are unknown, never "none".
    acct = account(A, roles=[role(A, "app", [])], users=[user(A, "bob", groups=["etl"])], groups=[group(A, "etl")],
                   buckets=[bucket("data")])
    acct["errors"] = {"iam:Role/app/RolePolicyList/kms": "Unknown: `aws_kms_key.k.arn` is known after apply",
                      "iam:Group/etl/AttachedManagedPolicies": "Unknown: var.policies has no value"}
    g = build_graph(snapshot(acct))
    [e] = access(g, arn(A, "role/app"), "data")
    assert e["decision"] == "conditional"
    assert any("inline policy `kms` of `arn:aws:iam::222222222222:role/app` is unknown" in a for a in e["assumptions"])
    [e] = access(g, arn(A, "user/bob"), "data")  # a member inherits its group's unknown
    assert e["decision"] == "conditional"
    assert any("the attached managed policies of `arn:aws:iam::222222222222:group/etl` are unknown" in a
               for a in e["assumptions"])
    # a known-empty role with no such error still has no access
    acct2 = account(A, roles=[role(A, "app", [])], buckets=[bucket("data")])
    assert access(build_graph(snapshot(acct2)), arn(A, "role/app"), "data") == []


def test_group_policies_give_group_nodes_access_edges():
    s = snapshot(account(A, users=[user(A, "alice", groups=["readers"])],
                         groups=[group(A, "readers", allow("s3:GetObject", "arn:aws:s3:::data/*"))],
                         policies=[managed(A, "unused", allow("s3:GetObject", "*"))], buckets=[bucket("data")]))
    g = build_graph(s)
    assert access(g, arn(A, "group/readers"), "data", "allow")
    assert access(g, arn(A, "user/alice"), "data", "allow")


def test_equivalent_buckets_share_decisions_with_their_own_reasons():
    """Buckets whose policies differ only by their own name are decided once; each edge still points at its
    own bucket's policy."""
    def tls(name):
        return grant("*", "s3:*", [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"], effect="Deny",
                     condition={"Bool": {"aws:SecureTransport": "false"}})
    names = [f"b{i}" for i in range(5)]
    s = snapshot(account(A, roles=[role(A, "app", [], allow("s3:GetObject", "*"))],
                         buckets=[bucket(n, tls(n)) for n in names]))
    g = build_graph(s)
    for i, n in enumerate(names):
        [e] = access(g, arn(A, "role/app"), n)
        assert e["decision"] == "conditional"
        [c] = e["conditions"]
        assert c.source == f"bucket policy of arn:aws:s3:::{n}"
        [r] = [r for r in e["reasons"] if r.layer == "bucket"]
        assert r.pointer == f"/accounts/0/s3/buckets/{i}/Policy/Statement/0"
        assert all(res.startswith(f"arn:aws:s3:::{n}/") or res == f"arn:aws:s3:::{n}" for res in e["resources"])


def test_access_point_is_a_data_node_and_ends_paths_to_its_bucket():
    """A request through an access point needs the access point policy and the bucket policy (here the
    bucket delegates to access points of its account)
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html)."""
    from s3audit.graph.paths import paths_to
    ap_arn = f"arn:aws:s3:us-east-1:{A}:accesspoint/etl"
    delegate = grant("*", "s3:*", ["arn:aws:s3:::lake", "arn:aws:s3:::lake/*"],
                     condition={"StringEquals": {"s3:DataAccessPointAccount": A}})
    ap = {"Name": "etl", "Bucket": "lake", "NetworkOrigin": "Internet", "Region": "us-east-1",
          "Policy": {"Version": "2012-10-17", "Statement": [grant({"AWS": arn(A, "role/etl")}, "s3:GetObject",
                                                                  f"{ap_arn}/object/*")]}}
    s = snapshot(account(A, roles=[role(A, "etl", [], allow("s3:GetObject", f"{ap_arn}/object/*"))],
                         buckets=[bucket("lake", delegate)], access_points=[ap]))
    g = build_graph(s)
    assert g.node(ap_arn)["kind"] == "access-point" and g.node(ap_arn)["bucket"] == "lake"
    assert g.data_nodes_of("lake") == ["arn:aws:s3:::lake", ap_arn]
    [e] = edges(g, arn(A, "role/etl"), ap_arn, CAN_ACCESS)
    assert "s3:GetObject" in e["levels"]["read"] and "access-point-policy" in e["via"]
    [p] = paths_to(g, "lake", "read", {arn(A, "role/etl")})
    assert p.bucket == "lake" and p.hops[-1].target == ap_arn


def test_trust_policy_the_snapshot_marks_unknown_may_trust_anyone():
    # docs/snapshot-format.md: an IaC reader names a trust policy known only after apply under
    # `iam:Role/<name>/AssumeRolePolicyDocument`. Who may assume the role is then unknown, never "nobody":
    # the engine answers "may be possible" (the trust policy is the role's resource policy for STS,
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html),
    # so a path from outside the organization through that role is reported, conditional, with the reason.
    from s3audit.graph.paths import paths_to
    reader = role(A, "reader", [], allow("s3:GetObject", "arn:aws:s3:::data/*"))
    del reader["AssumeRolePolicyDocument"]
    acct = account(A, roles=[reader], buckets=[bucket("data")])
    why = "Unknown: `aws_iam_role.partner.arn` is known after apply"
    acct["errors"] = {"iam:Role/reader/AssumeRolePolicyDocument": why}
    g = build_graph(snapshot(acct))
    [e] = edges(g, AUTHENTICATED, arn(A, "role/reader"), CAN_ASSUME)
    assert e["decision"] == "conditional"
    assert any("the trust policy of `arn:aws:iam::222222222222:role/reader` is unknown "
               "(`aws_iam_role.partner.arn` is known after apply)" in a for a in e["assumptions"])
    # a service may be trusted too: passing the role to Lambda is a possible escalation
    assert edges(g, "lambda.amazonaws.com", arn(A, "role/reader"), CAN_ASSUME)
    external = [p for p in paths_to(g, "data", access="read") if g.node(p.principal)["external"]]
    assert external and all(p.decision == "conditional" for p in external)
    # the same role with no error key and no trust policy: nobody can assume it
    del acct["errors"]
    assert edges(build_graph(snapshot(acct)), AUTHENTICATED, arn(A, "role/reader"), CAN_ASSUME) == []
