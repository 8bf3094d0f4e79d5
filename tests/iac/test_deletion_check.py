"""`s3audit check --live LIVE --terraform-plan PLAN` with plans that destroy things, through the real rule
packs and access graph: exactly what each deletion introduces and fixes, and where it is reported.

Where a finding goes when a deletion explains it: the destroyed resource's declaration if the
configuration still has one (an instance `count` no longer makes; a Terraform 1.7 `removed` block),
else its entry in the plan's `resource_changes`.
"""
from __future__ import annotations

import copy
import datetime
import importlib.util
import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .plans import DEMO, PERIMETER, P, change_at, line_of

REAL = all(importlib.util.find_spec(m) is not None for m in ("s3audit.lang.evaluate", "s3audit.graph.paths"))
pytestmark = pytest.mark.skipif(not REAL, reason="the rule evaluator or the access graph is not in this build")
TODAY = "--today=2026-11-24"


def check(cli, live: str, plan: str, *extra):
    status, out, err = cli("check", "--live", live, "--terraform-plan", f"{P}/{plan}.json", TODAY, "--format", "json",
                           *extra)
    assert err == ""
    doc = json.loads(out)
    assert doc["mode"] == "overlay"
    return status, doc


def found(findings) -> Counter:
    """(rule, subject, status, file, line, column) of each finding, counted (a rule may fire several times)."""
    return Counter((f["rule"], f["subject"], f["status"]) + tuple((f["location"] or {}).get(k) for k in
                                                                 ("file", "line", "column")) for f in findings)


def at(location: dict, *findings) -> Counter:
    return Counter(f + (location["file"], location["line"], location["column"]) for f in findings)


CARDHOLDER = "arn:aws:s3:::payments-cardholder-data"


def test_destroying_a_public_access_block_exposes_the_acl_it_was_ignoring(cli):
    """The sandbox account has no account-level BPA, the bucket's ACL grants READ to AllUsers and ACLs are
    enabled (BucketOwnerPreferred); IgnorePublicAcls was all that made S3 ignore the grant
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)."""
    status, doc = check(cli, DEMO, "delete-bucket-public-access-block")
    where = change_at(f"{P}/delete-bucket-public-access-block.json", "aws_s3_bucket_public_access_block.legacy_uploads")
    b = "arn:aws:s3:::sandbox-legacy-uploads"
    assert found(doc["findings"]) == at(where, ("FSBP-S3.2", b, "open"), ("FSBP-S3.8", b, "open"),
                                        ("CIS-2.1.4-bucket", b, "open"), ("FSBP-S3.3", b, "unknown"))
    assert doc["resolved"] == [] and status == 1


def test_destroying_the_role_that_opened_the_external_path_fixes_the_path(cli):
    """The planted chain 999999999999 -> partner-integration -> payments-reader -> cardholder data starts
    with partner-integration's trust; DeleteRole takes the role, its trust and its inline policy
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html)."""
    tf = f"{P}/delete-partner-role/main.tf"
    status, doc = check(cli, DEMO, "delete-partner-role", "--terraform-dir", f"{P}/delete-partner-role")
    where = {"file": tf, "line": line_of(tf, "removed {", 1), "column": 1}
    assert doc["findings"] == [] and status == 0
    assert found(doc["resolved"]) == at(where, ("PCI-7.2.1", CARDHOLDER, "open"),
                                        ("PATH-external-read", CARDHOLDER, "open"),
                                        ("PATH-external-read", "arn:aws:s3:::analytics-ml-features", "unknown"),
                                        ("HYG-trust-external-id", "arn:aws:iam::333333333333:role/partner-integration", "open"),
                                        ("PATH-escalation", "arn:aws:iam::333333333333:role/platform-admin", "open"))


def test_an_instance_count_turns_off_is_reported_on_its_resource_block(cli):
    """DeleteBucketPolicy leaves the bucket with no policy, so nothing denies plain HTTP any more
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html)."""
    tf = f"{P}/delete-tls-policy-count/main.tf"
    status, doc = check(cli, DEMO, "delete-tls-policy-count", "--terraform-dir", f"{P}/delete-tls-policy-count")
    where = {"file": tf, "line": line_of(tf, 'resource "aws_s3_bucket_policy" "cardholder_tls"'), "column": 1}
    assert found(doc["findings"]) == at(where, ("PCI-4.2.1", CARDHOLDER, "open"), ("CIS-2.1.1", CARDHOLDER, "open"),
                                        ("FSBP-S3.5", CARDHOLDER, "open"))
    assert doc["resolved"] == [] and status == 1


def test_destroying_the_account_public_access_block(cli):
    """s3control DeletePublicAccessBlock: the account has no account-level setting any more
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_DeletePublicAccessBlock.html); its buckets
    keep their own, so nothing becomes public."""
    status, doc = check(cli, DEMO, "delete-account-public-access-block")
    where = change_at(f"{P}/delete-account-public-access-block.json", "aws_s3_account_public_access_block.this")
    assert found(doc["findings"]) == at(where, ("FSBP-S3.1", "222222222222", "open"),
                                        ("CIS-2.1.4-account", "222222222222", "open"))
    assert doc["resolved"] == []


def test_memberships_one_closes_six_routes_the_other_opens_one(cli):
    """RemoveUserFromGroup (https://docs.aws.amazon.com/IAM/latest/APIReference/API_RemoveUserFromGroup.html):
    alice leaving platform-admins closes dave's routes through her access keys to the admin roles (to the six
    sensitive buckets they read, the token vault included); dave leaving developers means reaching
    data-developer through bob's keys is now an escalation for him."""
    plan = f"{P}/remove-group-memberships.json"
    status, doc = check(cli, DEMO, "remove-group-memberships")
    dave = "arn:aws:iam::111111111111:user/dave"
    assert found(doc["findings"]) == at(change_at(plan, "aws_iam_user_group_membership.dave"),
                                        ("PATH-escalation", dave, "open"))
    assert all("bob" in f["message"] for f in doc["findings"])
    assert found(doc["resolved"]) == Counter({("PATH-escalation", dave, "open") + tuple(
        change_at(plan, "aws_iam_user_group_membership.alice").values()): 6})
    assert all("alice" in f["message"] for f in doc["resolved"])


def test_detaching_a_managed_policy_from_a_role(cli):
    """DetachRolePolicy (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachRolePolicy.html):
    payments-prod's platform-admin no longer has AdministratorAccess, so dave's route through alice's keys
    to that role reaches no payments data (the token vault's included)."""
    plan = f"{P}/detach-role-policy.json"
    status, doc = check(cli, DEMO, "detach-role-policy")
    assert doc["findings"] == []
    dave = "arn:aws:iam::111111111111:user/dave"
    assert found(doc["resolved"]) == Counter({("PATH-escalation", dave, "open") + tuple(
        change_at(plan, "aws_iam_role_policy_attachment.platform_admin_admin").values()): 3})
    assert {f["message"].split(" read ")[1].split(":")[0] for f in doc["resolved"]} == {
        "payments-ledger-archive", "payments-settlement-reports", "payments-token-vault"}


def test_detaching_an_scp_opens_the_external_path_it_denied(cli):
    """An SCP's Deny applies to every principal of the accounts under its target, the sessions of roles
    that external accounts assume included; DetachPolicy takes it off that target
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html)."""
    status, doc = check(cli, PERIMETER, "detach-scp")
    where = change_at(f"{P}/detach-scp.json", "aws_organizations_policy_attachment.pci_guard_prod")
    assert found(doc["findings"]) == at(where, ("PCI-7.2.1", CARDHOLDER, "open"),
                                        ("PATH-external-read", CARDHOLDER, "open"))
    assert doc["resolved"] == [] and status == 1


def test_destroying_a_bucket_fixes_everything_about_it(cli):
    status, doc = check(cli, DEMO, "delete-bucket")
    where = change_at(f"{P}/delete-bucket.json", "aws_s3_bucket.marketing")
    site = "arn:aws:s3:::sandbox-marketing-site"
    assert doc["findings"] == []
    rules = ["FSBP-S3.2", "FSBP-S3.8", "HYG-public-principal", "PATH-external-read", "PATH-external-read",
             "CIS-2.1.1", "CIS-2.1.4-bucket", "FSBP-S3.15", "FSBP-S3.17", "FSBP-S3.5", "FSBP-S3.9", "CIS-2.1.2",
             "FSBP-S3.13", "FSBP-S3.14", "FSBP-S3.20"]
    assert found(doc["resolved"]) == at(where, *((r, site, "open") for r in rules))


@pytest.mark.parametrize("plan", ["replace-cardholder-policy", "forget-partner-role"])
def test_a_replacement_with_the_same_values_and_a_forget_change_nothing(cli, plan):
    status, doc = check(cli, DEMO, plan)
    assert doc["findings"] == [] and doc["resolved"] == [] and status == 0


def test_without_the_live_estate_deletions_are_noted_and_ignored(cli):
    status, out, _ = cli("check", "--terraform-plan", f"{P}/delete-partner-role.json", TODAY, "--format", "json")
    doc = json.loads(out)
    assert doc["mode"] == "iac" and not any("partner" in f["subject"] for f in doc["findings"])
    assert doc["notes"] == ["the change destroys 2 resources: deletions are only checked against the live "
                            "estate (--live)"]
    status, out, _ = cli("check", "--terraform-plan", f"{P}/forget-partner-role.json", TODAY, "--format", "json")
    assert json.loads(out)["notes"] == []


def test_text_report_places_what_the_change_fixes(cli):
    tf = f"{P}/delete-partner-role/main.tf"
    status, out, _ = cli("check", "--live", DEMO, "--terraform-plan", f"{P}/delete-partner-role.json",
                         "--terraform-dir", f"{P}/delete-partner-role", TODAY)
    fixed = out.split("FIXED BY THE CHANGE (5)\n")[1].split("\n\n")[0].splitlines()
    assert len(fixed) == 5 and all(line.endswith(f"({tf}:{line_of(tf, 'removed {')}:1)") for line in fixed)


# ---- property: a plan that replaces objects with identical values changes no finding ----

def _load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


LIVE = _load(DEMO)


def _policy_text(document) -> str:
    """A policy as a plan carries it: JSON text. A snapshot may hold the document as an object or, as the raw
    API returns it, as text already (docs/snapshot-format.md); text is not encoded a second time."""
    return document if isinstance(document, str) else json.dumps(document)


def _replaceable(doc: dict) -> dict[str, list[tuple[str, str, dict]]]:
    """Per account, the (type, name, values) of resources a plan could replace with their live values."""
    out: dict[str, list] = {}
    for acct in doc["accounts"]:
        items = out.setdefault(acct["id"], [])
        for b in acct["s3"].get("buckets") or []:
            n = b["Name"].replace("-", "_")
            if b.get("Policy"):
                items.append(("aws_s3_bucket_policy", n, {"bucket": b["Name"], "id": b["Name"],
                                                          "policy": _policy_text(b["Policy"])}))
            if b.get("PublicAccessBlock"):
                p = b["PublicAccessBlock"]
                items.append(("aws_s3_bucket_public_access_block", n, {
                    "bucket": b["Name"], "id": b["Name"], "block_public_acls": p["BlockPublicAcls"],
                    "block_public_policy": p["BlockPublicPolicy"], "ignore_public_acls": p["IgnorePublicAcls"],
                    "restrict_public_buckets": p["RestrictPublicBuckets"]}))
        for r in acct["iam"].get("RoleDetailList") or []:
            n = r["RoleName"].replace("-", "_")
            for p in r.get("RolePolicyList") or []:
                items.append(("aws_iam_role_policy", f"{n}_{len(items)}", {
                    "id": f"{r['RoleName']}:{p['PolicyName']}", "name": p["PolicyName"], "role": r["RoleName"],
                    "policy": _policy_text(p["PolicyDocument"])}))
            for a in r.get("AttachedManagedPolicies") or []:
                items.append(("aws_iam_role_policy_attachment", f"{n}_{len(items)}", {
                    "id": f"{r['RoleName']}-{len(items)}", "role": r["RoleName"], "policy_arn": a["PolicyArn"]}))
        for u in acct["iam"].get("UserDetailList") or []:
            if u.get("GroupList"):
                items.append(("aws_iam_user_group_membership", u["UserName"], {
                    "id": f"terraform-{u['UserName']}", "user": u["UserName"], "groups": list(u["GroupList"])}))
    for p in (doc.get("organization") or {}).get("policies") or []:
        for t in p["Targets"]:
            for items in out.values():
                items.append(("aws_organizations_policy_attachment", f"{p['Id']}_{t}".replace("-", "_"), {
                    "id": f"{t}:{p['Id']}", "policy_id": p["Id"], "target_id": t}))
    return out


REPLACEABLE = _replaceable(LIVE)


def _plan(resources: list[tuple[str, str, dict, list[str]]]) -> dict:
    changes, planned = [], []
    for rtype, name, values, actions in resources:
        address = f"{rtype}.{name}"
        planned.append({"address": address, "mode": "managed", "type": rtype, "name": name, "values": values})
        changes.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                        "change": {"actions": actions, "before": values, "after": values, "after_unknown": {}},
                        "action_reason": "replace_by_request"})
    return {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {
        "resources": planned}}, "resource_changes": changes, "configuration": {"root_module": {"resources": []}}}


@pytest.fixture(scope="module")
def live_findings():
    from s3audit.audit import evaluate
    from s3audit.profile import load_profile
    from s3audit.snapshot.load import snapshot_from_dict
    run = evaluate(snapshot_from_dict(copy.deepcopy(LIVE)), load_profile("default"), today=datetime.date(2026, 11, 24))
    return Counter((f.fingerprint, f.status) for f in run.findings)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(REPLACEABLE)).flatmap(lambda account: st.tuples(st.just(account), st.lists(
    st.tuples(st.sampled_from(REPLACEABLE[account]), st.sampled_from([["delete", "create"], ["create", "delete"]])),
    min_size=1, max_size=5, unique_by=lambda x: (x[0][0], x[0][1])))))
def test_a_plan_replacing_resources_with_their_live_values_changes_no_finding(tmp_path_factory, live_findings, case):
    """Terraform replaces a resource by destroying the `before` object and creating the `after` one, in
    either order (https://developer.hashicorp.com/terraform/internals/json-format); with identical values
    the estate after apply is the estate before, and so are the findings."""
    from s3audit.audit import evaluate
    from s3audit.profile import load_profile
    from s3audit.snapshot.load import snapshot_from_dict
    from s3audit.sources.iac import load_change
    account, picked = case
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps(_plan([(t, n, v, actions) for (t, n, v), actions in picked])))
    change = load_change(terraform_plans=[str(path)], live=copy.deepcopy(LIVE), account_id=account)
    edges = ("aws_iam_role_policy_attachment", "aws_iam_user_group_membership", "aws_organizations_policy_attachment")
    assert len(change.removals) == sum(1 for (t, _, _), _ in picked if t not in edges)
    run = evaluate(snapshot_from_dict(change.snapshot), load_profile("default"), today=datetime.date(2026, 11, 24))
    assert Counter((f.fingerprint, f.status) for f in run.findings) == live_findings


def test_what_an_update_fixes_is_placed_on_the_change_too(cli, tmp_path):
    """Not a deletion: a bucket policy added to a live bucket in another account of the estate (bucket names
    are global) fixes the TLS findings, which are placed on the policy it sets."""
    tf = tmp_path / "main.tf"
    tf.write_text('''resource "aws_s3_bucket_policy" "raw_events_tls" {
  bucket = "analytics-raw-events"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid = "DenyInsecureTransport", Effect = "Deny", Principal = "*", Action = "s3:*"
      Resource = ["arn:aws:s3:::analytics-raw-events", "arn:aws:s3:::analytics-raw-events/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
''')
    status, out, _ = cli("check", "--live", DEMO, "--terraform", tmp_path, TODAY, "--format", "json")
    doc = json.loads(out)
    assert doc["findings"] == [] and status == 0
    raw = "arn:aws:s3:::analytics-raw-events"
    assert found(doc["resolved"]) == at({"file": str(tf), "line": 3, "column": 3}, ("CIS-2.1.1", raw, "open"),
                                        ("FSBP-S3.5", raw, "open"))
