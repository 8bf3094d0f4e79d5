"""The engine's answers for STS and IAM requests, which the access graph's hops rest on.

AWS documents the rules these cases check:
- trust policies must always allow explicitly; naming the account delegates to identity policies:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
- across accounts both the trust policy and the caller's identity policy must allow:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
- sts:ExternalId for third parties:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
- MFA conditions: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
- web identity and SAML federation:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html
- iam:PassRole and iam:PassedToService: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
- SCPs: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
- RCPs apply to S3, STS, KMS, SQS and Secrets Manager only:
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
"""
from __future__ import annotations

import pytest

from s3audit.errors import InputError
from s3audit.iam.engine import Engine, Request

from .estates import (FULL_ACCESS_SCP, account, allow, bucket, deny, group, organization, role, scp, snapshot,
                      trust, user)

M, A, B, X = "111111111111", "222222222222", "333333333333", "999999999999"


def arn(acct: str, what: str) -> str:
    return f"arn:aws:iam::{acct}:{what}"


def decide(s, principal, action, resource, **context):
    return Engine(s).decide(Request(principal, action, resource, context))


def test_same_account_trust_naming_the_user_needs_no_identity_policy():
    s = snapshot(account(A, users=[user(A, "bob")], roles=[role(A, "r", [trust({"AWS": arn(A, "user/bob")})])]))
    d = decide(s, arn(A, "user/bob"), "sts:AssumeRole", arn(A, "role/r"))
    assert d.decision == "allow"
    assert any(r.layer == "trust" and r.effect == "Allow" for r in d.reasons)


def test_same_account_trust_naming_the_account_needs_the_identity_policy():
    trusting = role(A, "r", [trust({"AWS": A})])
    without = snapshot(account(A, users=[user(A, "bob")], roles=[trusting]))
    assert decide(without, arn(A, "user/bob"), "sts:AssumeRole", arn(A, "role/r")).decision == "deny"
    with_policy = snapshot(account(A, users=[user(A, "bob", allow("sts:AssumeRole", arn(A, "role/r")))],
                                   roles=[trusting]))
    assert decide(with_policy, arn(A, "user/bob"), "sts:AssumeRole", arn(A, "role/r")).decision == "allow"


def test_identity_policy_alone_does_not_assume_a_role_whose_trust_is_silent():
    s = snapshot(account(A, users=[user(A, "bob", allow("sts:AssumeRole", "*"))],
                         roles=[role(A, "r", [trust({"AWS": arn(A, "user/alice")})])]))
    d = decide(s, arn(A, "user/bob"), "sts:AssumeRole", arn(A, "role/r"))
    assert d.decision == "deny"


def test_cross_account_needs_both_trust_and_identity():
    r = role(B, "r", [trust({"AWS": arn(A, "user/bob")})])
    silent = snapshot(account(A, users=[user(A, "bob")]), account(B, roles=[r]))
    assert decide(silent, arn(A, "user/bob"), "sts:AssumeRole", arn(B, "role/r")).decision == "deny"
    granted = snapshot(account(A, users=[user(A, "bob", allow("sts:AssumeRole", arn(B, "role/r")))]),
                       account(B, roles=[r]))
    assert decide(granted, arn(A, "user/bob"), "sts:AssumeRole", arn(B, "role/r")).decision == "allow"


def test_external_account_root_is_assumed_to_allow_its_own_principals():
    s = snapshot(account(B, roles=[role(B, "r", [trust({"AWS": X})])]))
    d = decide(s, arn(X, "root"), "sts:AssumeRole", arn(B, "role/r"))
    assert d.decision == "allow"


def test_external_id_leaves_a_conditional_answer_until_the_request_gives_it():
    s = snapshot(account(B, roles=[role(B, "r", [trust({"AWS": X}, condition={
        "StringEquals": {"sts:ExternalId": "partner-7"}})])]))
    d = decide(s, arn(X, "root"), "sts:AssumeRole", arn(B, "role/r"))
    assert d.decision == "conditional"
    assert d.conditions[0].conditions[0]["key"] == "sts:ExternalId"
    assert decide(s, arn(X, "root"), "sts:AssumeRole", arn(B, "role/r"),
                  **{"sts:ExternalId": "partner-7"}).decision == "allow"
    assert decide(s, arn(X, "root"), "sts:AssumeRole", arn(B, "role/r"),
                  **{"sts:ExternalId": "other"}).decision == "deny"


def test_mfa_condition_is_conditional():
    s = snapshot(account(A, users=[user(A, "bob", allow("sts:AssumeRole", "*"))],
                         roles=[role(A, "admin", [trust({"AWS": A}, condition={
                             "Bool": {"aws:MultiFactorAuthPresent": "true"}})])]))
    d = decide(s, arn(A, "user/bob"), "sts:AssumeRole", arn(A, "role/admin"))
    assert d.decision == "conditional"
    assert d.conditions[0].conditions[0]["key"] == "aws:MultiFactorAuthPresent"


def test_explicit_deny_in_the_trust_policy_wins():
    s = snapshot(account(B, roles=[role(B, "r", [trust({"AWS": X}), trust({"AWS": X}, effect="Deny")])]))
    d = decide(s, arn(X, "root"), "sts:AssumeRole", arn(B, "role/r"))
    assert d.decision == "deny"
    assert any(r.effect == "Deny" and r.layer == "trust" for r in d.reasons)


def test_scp_denying_assume_role_cuts_it():
    full = scp("FullAWSAccess", allow("*"), targets=["r-root", A])
    org = organization([M, A, B], M, [full, scp("NoAssume", deny("sts:AssumeRole"), targets=[A])])
    s = snapshot(account(M), account(A, users=[user(A, "bob", allow("sts:AssumeRole", "*"))]),
                 account(B, roles=[role(B, "r", [trust({"AWS": A})])]), org=org)
    d = decide(s, arn(A, "user/bob"), "sts:AssumeRole", arn(B, "role/r"))
    assert d.decision == "deny"
    assert [(r.layer, r.effect, r.source) for r in d.reasons] == [("scp", "Deny", "SCP NoAssume (p-NoAssume)")]


def test_web_identity_provider_assumes_role_named_as_federated():
    provider = arn(A, "oidc-provider/token.actions.githubusercontent.com")
    s = snapshot(account(A, roles=[role(A, "ci", [trust({"Federated": provider}, "sts:AssumeRoleWithWebIdentity",
                                                        {"StringEquals": {
                                                            "token.actions.githubusercontent.com:aud":
                                                                "sts.amazonaws.com"}})])]))
    d = decide(s, provider, "sts:AssumeRoleWithWebIdentity", arn(A, "role/ci"))
    assert d.decision == "conditional"  # the token's audience is known only at request time
    other = arn(A, "oidc-provider/example.com")
    assert decide(s, other, "sts:AssumeRoleWithWebIdentity", arn(A, "role/ci")).decision == "deny"
    # A web identity user is not an AWS principal: it cannot call sts:AssumeRole.
    assert decide(s, provider, "sts:AssumeRole", arn(A, "role/ci")).decision == "deny"


def test_public_web_identity_provider_by_name():
    s = snapshot(account(A, roles=[role(A, "app", [trust({"Federated": "accounts.google.com"},
                                                         "sts:AssumeRoleWithWebIdentity")])]))
    assert decide(s, "accounts.google.com", "sts:AssumeRoleWithWebIdentity", arn(A, "role/app")).decision == "allow"


def test_saml_provider():
    provider = arn(A, "saml-provider/corp")
    s = snapshot(account(A, roles=[role(A, "sso", [trust({"Federated": provider}, "sts:AssumeRoleWithSAML",
                                                         {"StringEquals": {
                                                             "SAML:aud": "https://signin.aws.amazon.com/saml"}})])]))
    d = decide(s, provider, "sts:AssumeRoleWithSAML", arn(A, "role/sso"))
    assert d.decision == "conditional"


def test_pass_role_is_decided_by_identity_policies_with_passed_to_service():
    s = snapshot(account(A, users=[user(A, "dev", allow("iam:PassRole", arn(A, "role/*"), Condition={
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}))], roles=[role(A, "fn", [])]))
    dev = arn(A, "user/dev")
    assert decide(s, dev, "iam:PassRole", arn(A, "role/fn")).decision == "conditional"
    assert decide(s, dev, "iam:PassRole", arn(A, "role/fn"),
                  **{"iam:PassedToService": "lambda.amazonaws.com"}).decision == "allow"
    assert decide(s, dev, "iam:PassRole", arn(A, "role/fn"),
                  **{"iam:PassedToService": "glue.amazonaws.com"}).decision == "deny"


def test_iam_actions_on_another_account_are_denied_without_a_resource_policy():
    s = snapshot(account(A, users=[user(A, "dev", allow("iam:*"))]), account(B, users=[user(B, "victim")]))
    d = decide(s, arn(A, "user/dev"), "iam:CreateAccessKey", arn(B, "user/victim"))
    assert d.decision == "deny"
    assert decide(s, arn(A, "user/dev"), "iam:CreateAccessKey", arn(A, "user/dev")).decision == "allow"


def test_rcps_do_not_govern_iam_actions_but_do_govern_sts():
    rcp = scp("NoExternal", deny("*", **{"Principal": "*"}), type="RESOURCE_CONTROL_POLICY")
    full_rcp = scp("RCPFull", {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                   type="RESOURCE_CONTROL_POLICY")
    org = organization([M, A], M, [FULL_ACCESS_SCP, full_rcp, rcp])
    s = snapshot(account(M), account(A, users=[user(A, "dev", allow(["iam:PassRole", "sts:AssumeRole"]))],
                                     roles=[role(A, "r", [trust({"AWS": A})])]), org=org)
    assert decide(s, arn(A, "user/dev"), "iam:PassRole", arn(A, "role/r")).decision == "allow"
    assert decide(s, arn(A, "user/dev"), "sts:AssumeRole", arn(A, "role/r")).decision == "deny"


def test_group_caller_stands_for_a_member_with_the_group_policies():
    s = snapshot(account(A, groups=[group(A, "readers", allow("s3:GetObject", "arn:aws:s3:::b/*"))],
                         buckets=[bucket("b")]))
    d = decide(s, arn(A, "group/readers"), "s3:GetObject", "arn:aws:s3:::b/k")
    assert d.decision == "allow"


def test_role_missing_from_an_account_outside_the_snapshot_has_an_unknown_trust():
    s = snapshot(account(A, users=[user(A, "bob", allow("sts:AssumeRole", "*"))]))
    d = decide(s, arn(A, "user/bob"), "sts:AssumeRole", arn(X, "role/elsewhere"))
    assert d.decision == "conditional"
    assert any("outside the snapshot" in a for a in d.assumptions)


def test_not_an_arn_is_bad_input():
    s = snapshot(account(A))
    with pytest.raises(InputError):
        decide(s, arn(A, "root"), "iam:PassRole", "not-an-arn")
