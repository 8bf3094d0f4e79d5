"""can-act-as edges: privilege escalation techniques, each naming the actions that make it possible.

AWS pages: passing a role to a service (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html),
instance profiles (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html),
managing access keys and passwords of other users
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_admin-change-user.html),
managed policy versions (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html),
permissions boundaries (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html),
modifying a role's trust policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/roles-managingrole-editing-api.html).
"""
from __future__ import annotations

import pytest

from s3audit.graph.build import CAN_ACCESS, CAN_ACT_AS, build_graph
from s3audit.graph.escalation import PASS_ROLE_SERVICES
from s3audit.graph.paths import paths_to

from .estates import (account, allow, bucket, deny, doc, group, managed, role, snapshot, trust, user)

A = "222222222222"


def arn(what: str) -> str:
    return f"arn:aws:iam::{A}:{what}"


def act_as(graph, u, v) -> dict[str, dict]:
    if not graph.g.has_edge(u, v):
        return {}
    return {a["technique"]: a for a in graph.g[u][v].values() if a["kind"] == CAN_ACT_AS}


def privileged_role(service="lambda.amazonaws.com", **kw):
    return role(A, "privileged", [trust({"Service": service})], allow("s3:*", "*"), **kw)


def test_pass_role_to_lambda_with_create_and_invoke():
    s = snapshot(account(A, users=[user(A, "dev", allow(["iam:PassRole", "lambda:CreateFunction",
                                                         "lambda:InvokeFunction"], "*"))],
                         roles=[privileged_role()], buckets=[bucket("vault")]))
    g = build_graph(s)
    e = act_as(g, arn("user/dev"), arn("role/privileged"))["pass-role:lambda.amazonaws.com"]
    assert e["decision"] == "allow"
    assert e["actions"] == ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction")
    [p] = paths_to(g, "vault", "read", {arn("user/dev")})
    assert [h.kind for h in p.hops] == ["act-as", "access"]


def test_pass_role_alone_or_compute_alone_is_not_enough():
    only_pass = snapshot(account(A, users=[user(A, "dev", allow("iam:PassRole", "*"))], roles=[privileged_role()]))
    assert not act_as(build_graph(only_pass), arn("user/dev"), arn("role/privileged"))
    only_lambda = snapshot(account(A, users=[user(A, "dev", allow(["lambda:CreateFunction", "lambda:InvokeFunction"],
                                                                  "*"))], roles=[privileged_role()]))
    assert not act_as(build_graph(only_lambda), arn("user/dev"), arn("role/privileged"))


def test_pass_role_limited_to_another_service_does_not_count():
    s = snapshot(account(A, users=[user(A, "dev", allow("iam:PassRole", "*", Condition={
        "StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}),
        allow(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"))], roles=[privileged_role()]))
    assert not act_as(build_graph(s), arn("user/dev"), arn("role/privileged"))


def test_pass_role_to_a_role_the_service_does_not_trust_does_not_count():
    s = snapshot(account(A, users=[user(A, "dev", allow(["iam:PassRole", "lambda:*"], "*"))],
                         roles=[privileged_role("glue.amazonaws.com")]))
    assert not act_as(build_graph(s), arn("user/dev"), arn("role/privileged"))


def test_explicit_deny_on_the_compute_action_cuts_the_edge():
    denied = snapshot(account(A, users=[user(A, "dev", allow(["iam:PassRole", "lambda:*"], "*"),
                                             deny(["lambda:InvokeFunction", "lambda:CreateEventSourceMapping",
                                                   "lambda:AddPermission"]))],
                              roles=[privileged_role()]))
    assert not act_as(build_graph(denied), arn("user/dev"), arn("role/privileged"))
    denied_pass = snapshot(account(A, users=[user(A, "dev", allow(["iam:PassRole", "lambda:*"], "*"),
                                                  deny("iam:PassRole", arn("role/privileged")))],
                                   roles=[privileged_role()]))
    assert not act_as(build_graph(denied_pass), arn("user/dev"), arn("role/privileged"))


@pytest.mark.parametrize("service", sorted(PASS_ROLE_SERVICES))
def test_every_compute_service_escalates_with_its_first_technique(service):
    actions, needs_profile = PASS_ROLE_SERVICES[service][0]
    profiles = [arn("instance-profile/privileged")] if needs_profile else []
    s = snapshot(account(A, users=[user(A, "dev", allow(["iam:PassRole", *actions], "*"))],
                         roles=[privileged_role(service, profiles=profiles)]))
    e = act_as(build_graph(s), arn("user/dev"), arn("role/privileged"))[f"pass-role:{service}"]
    assert set(e["actions"]) == {"iam:PassRole", *actions}
    assert e["service"] == service


def test_ec2_needs_an_instance_profile_or_the_right_to_make_one():
    no_profile = snapshot(account(A, users=[user(A, "dev", allow(["iam:PassRole", "ec2:RunInstances"], "*"))],
                                  roles=[privileged_role("ec2.amazonaws.com")]))
    assert not act_as(build_graph(no_profile), arn("user/dev"), arn("role/privileged"))
    can_make = snapshot(account(A, users=[user(A, "dev", allow(["iam:PassRole", "ec2:RunInstances",
                                                                "iam:CreateInstanceProfile",
                                                                "iam:AddRoleToInstanceProfile"], "*"))],
                                roles=[privileged_role("ec2.amazonaws.com")]))
    e = act_as(build_graph(can_make), arn("user/dev"), arn("role/privileged"))["pass-role:ec2.amazonaws.com"]
    assert "iam:CreateInstanceProfile" in e["actions"]


def test_compute_permission_scoped_to_a_name_prefix_still_counts():
    """The caller names the function it creates: a grant on `function:team-*` is enough."""
    s = snapshot(account(A, users=[user(A, "dev", allow("iam:PassRole", arn("role/privileged")),
                                        allow(["lambda:CreateFunction", "lambda:InvokeFunction"],
                                              f"arn:aws:lambda:*:{A}:function:team-*"))],
                         roles=[privileged_role()]))
    assert act_as(build_graph(s), arn("user/dev"), arn("role/privileged"))


@pytest.mark.parametrize("action", ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"])
def test_credentials_of_another_user(action):
    s = snapshot(account(A, users=[user(A, "helpdesk", allow(action, arn("user/*"))),
                                   user(A, "admin", allow("*"))]))
    g = build_graph(s)
    e = act_as(g, arn("user/helpdesk"), arn("user/admin"))["credentials"]
    assert e["actions"] == (action,) and e["decision"] == "allow"
    assert not act_as(g, arn("user/helpdesk"), arn("user/helpdesk"))  # its own keys give it nothing new


def test_update_assume_role_policy_lets_a_principal_trust_itself():
    s = snapshot(account(A, users=[user(A, "ops", allow("iam:UpdateAssumeRolePolicy", arn("role/privileged")))],
                         roles=[privileged_role()]))
    e = act_as(build_graph(s), arn("user/ops"), arn("role/privileged"))["trust-policy"]
    assert e["actions"] == ("iam:UpdateAssumeRolePolicy",)


@pytest.mark.parametrize("statement", [
    allow("iam:PutUserPolicy", arn("user/dev")),
    allow("iam:AttachUserPolicy", arn("user/dev")),
    allow("iam:PutGroupPolicy", arn("group/devs")),
    allow("iam:AttachGroupPolicy", arn("group/devs")),
    allow("iam:CreatePolicyVersion", arn("policy/dev-policy")),
    allow("iam:SetDefaultPolicyVersion", arn("policy/dev-policy")),
])
def test_self_grant_leads_to_the_account(statement):
    policy = managed(A, "dev-policy", allow("s3:ListAllMyBuckets"))
    # SetDefaultPolicyVersion escalates through a version that grants more than the default (test_techniques.py)
    policy["PolicyVersionList"].append({"VersionId": "v2", "IsDefaultVersion": False, "Document": doc(allow("*"))})
    s = snapshot(account(A, users=[user(A, "dev", statement, groups=["devs"], attached=[arn("policy/dev-policy")])],
                         groups=[group(A, "devs")], policies=[policy], buckets=[bucket("vault")]))
    g = build_graph(s)
    e = act_as(g, arn("user/dev"), arn("root"))["self-grant"]
    assert e["decision"] == "allow" and e["actions"] == (statement["Action"],)
    [p] = paths_to(g, "vault", "read", {arn("user/dev")})
    assert [h.target for h in p.hops] == [arn("root"), "arn:aws:s3:::vault"]


def test_role_attaching_policies_to_itself():
    s = snapshot(account(A, roles=[role(A, "ci", [trust({"AWS": A})], allow("iam:AttachRolePolicy", arn("role/ci")))]))
    assert act_as(build_graph(s), arn("role/ci"), arn("root"))["self-grant"]["decision"] == "allow"


def test_self_grant_under_a_permissions_boundary_is_conditional():
    boundary = arn("policy/boundary")
    s = snapshot(account(A, users=[user(A, "dev", allow("iam:PutUserPolicy", arn("user/dev")), boundary=boundary)],
                         policies=[managed(A, "boundary", allow(["iam:PutUserPolicy", "s3:GetObject"]))]))
    e = act_as(build_graph(s), arn("user/dev"), arn("root"))["self-grant"]
    assert e["decision"] == "conditional"
    assert "permissions boundary" in e["conditions"][0].conditions[0]["note"]


def test_policy_change_on_someone_else_is_not_a_self_grant():
    s = snapshot(account(A, users=[user(A, "dev", allow("iam:PutUserPolicy", arn("user/other"))),
                                   user(A, "other")]))
    assert not act_as(build_graph(s), arn("user/dev"), arn("root"))


def test_join_group_then_use_the_groups_access():
    s = snapshot(account(A, users=[user(A, "dev", allow("iam:AddUserToGroup", arn("group/admins")))],
                         groups=[group(A, "admins", allow("s3:*", "*"))], buckets=[bucket("vault")]))
    g = build_graph(s)
    e = act_as(g, arn("user/dev"), arn("group/admins"))["join-group"]
    assert e["actions"] == ("iam:AddUserToGroup",)
    [p] = paths_to(g, "vault", "read", {arn("user/dev")})
    assert [h.kind for h in p.hops] == ["act-as", "access"] and p.hops[0].target == arn("group/admins")


def test_modify_a_role_one_can_assume():
    s = snapshot(account(A, users=[user(A, "dev", allow(["sts:AssumeRole", "iam:PutRolePolicy"], arn("role/weak")))],
                         roles=[role(A, "weak", [trust({"AWS": A})])]))
    g = build_graph(s)
    [e] = [a for a in g.g[arn("user/dev")][arn("root")].values() if a["kind"] == CAN_ACT_AS]
    assert e["technique"] == f"modify-and-become:{arn('role/weak')}"
    assert set(e["actions"]) == {"iam:PutRolePolicy", "sts:AssumeRole"}


def test_account_root_can_act_as_its_users_and_roles():
    s = snapshot(account(A, users=[user(A, "u")], roles=[role(A, "r", [])]))
    g = build_graph(s)
    assert act_as(g, arn("root"), arn("user/u"))["credentials"]["decision"] == "allow"
    assert act_as(g, arn("root"), arn("role/r"))["trust-policy"]["decision"] == "allow"


def test_service_linked_roles_are_not_rewritable():
    s = snapshot(account(A, roles=[role(A, "AWSServiceRoleForX", [trust({"Service": "x.amazonaws.com"})],
                                        path="/aws-service-role/x.amazonaws.com/")]))
    g = build_graph(s)
    n = f"arn:aws:iam::{A}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
    assert not act_as(g, arn("root"), n)


def test_access_edges_do_not_count_as_escalation():
    s = snapshot(account(A, users=[user(A, "dev", allow("s3:*", "*"))], buckets=[bucket("b")]))
    g = build_graph(s)
    assert {a["kind"] for _, _, a in g.g.out_edges(arn("user/dev"), data=True)} == {CAN_ACCESS}
