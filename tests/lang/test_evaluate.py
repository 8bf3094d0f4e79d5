"""The evaluator: what rules mean at run time.

Three-valued answers (unknown never passes), absent values, quantifiers, parameters from the audit
profile, messages, evidence, fingerprints and locations, the engine-backed built-ins and principal
selectors, and compile-once. Snapshots are small fragments (s3audit.lang.ruletests.expand_fragment).
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.errors import RuleError
from s3audit.findings import FINDINGS_FORMAT
from s3audit.lang import check as check_module
from s3audit.lang.evaluate import compile_program, run_rules
from s3audit.lang.parse import parse_rules
from s3audit.lang.program import Program
from s3audit.lang.ruletests import expand_fragment
from s3audit.snapshot.load import snapshot_from_dict

ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def program(text: str, params=None):
    return compile_program(Program.from_files([parse_rules(text, "t.s3r")]), params)


def snap(fragment: dict):
    return snapshot_from_dict(expand_fragment(fragment))


def run(text: str, fragment: dict, params=None):
    return run_rules(program(text, params), snap(fragment)).findings


def rule(body: str, kind: str = "bucket b", where: str = "", message: str = "{b.name}") -> str:
    w = f" where {where}" if where else ""
    return f'rule R "t"\n  severity high\n  controls "t:1"\n  for {kind}{w}\n  {body}\n  message "{message}"\n'


def by_subject(findings):
    return {f.subject: f.status.value for f in findings}


# ------------------------------------------------------------------------------ three-valued answers
def test_unknown_requirement_is_an_unknown_finding_with_what_was_missing():
    fs = run(rule('require b.encryption.algorithm == "aws:kms"'),
             {"buckets": [{"Name": "a", "Errors": {"GetBucketEncryption": "AccessDenied"}}]})
    (f,) = fs
    assert f.status.value == "unknown"
    assert {"kind": "unknown", "missing": ["GetBucketEncryption failed for bucket `a` (AccessDenied), so its "
                                           "default encryption is unknown"]} in f.evidence


def test_unknown_filter_reports_unknown_only_when_the_requirement_fails():
    text = rule('require b.encryption.algorithm == "aws:kms"', where='b.tags["data-class"] == "pci"')
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}
    aes = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    err = {"GetBucketTagging": "AccessDenied"}
    fs = run(text, {"buckets": [{"Name": "ok", "Errors": err, "Encryption": kms},
                                {"Name": "bad", "Errors": err, "Encryption": aes},
                                {"Name": "other", "Tags": {"data-class": "internal"}, "Encryption": aes}]})
    assert by_subject(fs) == {"arn:aws:s3:::bad": "unknown"}


@pytest.mark.parametrize("expr, expected", [
    # and/or with an unknown side: a known false (true) side decides
    ('b.region == "x" and b.tags["k"] == "v"', {"arn:aws:s3:::a": "open"}),
    ('b.region == "eu-west-1" or b.tags["k"] == "v"', {}),
    ('b.region == "x" or b.tags["k"] == "v"', {"arn:aws:s3:::a": "unknown"}),
    ('not (b.tags["k"] == "v")', {"arn:aws:s3:::a": "unknown"}),
    ('any r in b.lifecycle.rules: r.enabled', {"arn:aws:s3:::a": "open"}),
    ('count(r in b.lifecycle.rules: r.enabled) == 0', {}),
])
def test_connectives_with_unknown_operands(expr, expected):
    fs = run(rule(f"require {expr}"), {"buckets": [{"Name": "a", "Region": "eu-west-1",
                                                    "Errors": {"GetBucketTagging": "AccessDenied"}}]})
    assert by_subject(fs) == expected


def test_quantifier_over_partly_unknown_elements():
    text = rule("require all d in b.replication.destinations: d.region matches [\"eu-*\"]")
    rep = {"Role": "r", "Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::known"}},
                                  {"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}}]}
    frag = {"buckets": [{"Name": "a", "Replication": rep}, {"Name": "known", "Region": "eu-west-1"}]}
    assert by_subject(run(text, frag)) == {"arn:aws:s3:::a": "unknown"}
    frag["buckets"][1]["Region"] = "us-east-1"  # one known element fails: all is false whatever the other
    assert by_subject(run(text, frag)) == {"arn:aws:s3:::a": "open"}


# ------------------------------------------------------------------------------------------ absent values
@pytest.mark.parametrize("expr, fails", [
    ('b.encryption.kms_key == "k"', True),
    ('b.encryption.kms_key != "k"', False),
    ('present(b.encryption.kms_key)', True),
    ('not present(b.policy)', False),
    ('len(b.policy.statements) == 0', False),
    ('not any s in b.policy.statements: s.effect == "Allow"', False),
    ('b.tags["missing"] in ["x"]', True),
    ('b.logging.target matches "*"', True),
    ('b.object_lock.retention > 1d', True),
])
def test_absent_values(expr, fails):
    fs = run(rule(f"require {expr}"), {"buckets": [{"Name": "a"}]})
    assert bool(fs) is fails


# ------------------------------------------------------------------------------------------- parameters
PARAMS = '''param regions: set<string> = {"eu-*"}
param max_age: duration = 30d
param limits: map<duration> = {"pci": 1y}
param count_limit: number = 2
'''


def test_profile_values_replace_defaults_with_the_declared_types():
    text = PARAMS + rule('require b.region matches regions and max_age >= 60d and limits["pci"] == 2y '
                         'and count_limit == 3')
    frag = {"buckets": [{"Name": "a", "Region": "us-east-1"}]}
    assert run(text, frag) != []
    assert run(text, frag, {"regions": ["us-*"], "max_age": "9w", "limits": {"pci": "2y"}, "count_limit": 3}) == []


@pytest.mark.parametrize("params, message", [
    ({"max_age": 30}, "parameter `max_age` is declared as `duration` but the profile gives `30`"),
    ({"regions": "eu-*"}, "parameter `regions` is declared as `set<string>` but the profile gives a string"),
    ({"limits": {"pci": True}}, "parameter `limits` is declared as `map<duration>` but the profile gives `True` for key `pci`"),
])
def test_bad_profile_values(params, message):
    with pytest.raises(RuleError, match=message.replace("`", "`").replace("[", r"\[").replace("(", r"\(")):
        program(PARAMS + rule("require true"), params)


def test_unknown_and_missing_parameters_are_rule_errors():
    with pytest.raises(RuleError) as e:
        program(PARAMS + rule("require true"), {"region": ["x"]})
    assert "the profile sets `region`, which no rule file declares" in str(e.value)
    assert "did you mean `regions`?" in str(e.value)
    with pytest.raises(RuleError) as e:
        program("param needed: string\n" + rule('require b.name != needed'))
    assert "t.s3r:1:7: error: parameter `needed` has no default and the profile does not set it" in str(e.value)
    assert run("param needed: string\n" + rule('require b.name != needed'), {"buckets": [{"Name": "a"}]},
               {"needed": "a"}) != []


def test_rule_errors_render_every_diagnostic():
    with pytest.raises(RuleError) as e:
        program(rule("require b.versioning.enabeld") + rule("require b.nam == 1").replace('rule R', 'rule R2'))
    text = str(e.value)
    assert "t.s3r:5:24: error: versioning has no field `enabeld`" in text and "did you mean `enabled`?" in text
    assert "t.s3r:11:13: error: bucket has no field `nam`" in text


# ------------------------------------------------------------------------------------ messages and findings
def test_messages_render_values_as_people_read_them():
    text = rule("require false", message='{b.name}: {b.lifecycle.rules[0].expiration}, {b.tags}, '
                                         '{b.versioning.enabled}, {b.encryption.kms_key}, {len(b.tags)}')
    frag = {"buckets": [{"Name": "a", "Tags": {"k": "v"},
                         "Lifecycle": {"Rules": [{"Status": "Enabled", "Expiration": {"Days": 30}}]}}]}
    (f,) = run(text, frag)
    assert f.message == "a: 30d, k=v, false, none, 1"


def test_finding_json_follows_the_contract_and_fingerprints_ignore_wording_and_place():
    text = rule('require b.versioning.enabled', message="{b.name} is not versioned")
    (f,) = run(text, {"buckets": [{"Name": "a"}]})
    out = f.to_json()
    assert set(out) == {"rule", "severity", "controls", "subject", "message", "status", "evidence", "location",
                        "fingerprint"}
    assert (out["rule"], out["severity"], out["controls"], out["subject"], out["status"], out["location"]) == \
           ("R", "high", ["t:1"], "arn:aws:s3:::a", "open", None)
    assert {"kind": "fact", "expression": "b.versioning.enabled", "value": False} in out["evidence"]
    # another wording, and the bucket elsewhere in the snapshot: the same finding, the same fingerprint
    (g,) = run(text.replace("is not versioned", "has no versioning"),
               {"buckets": [{"Name": "other", "Versioning": {"Status": "Enabled"}}, {"Name": "a"}]})
    assert g.fingerprint == f.fingerprint and g.message != f.message and g.pointer != f.pointer
    json.dumps(out)
    assert FINDINGS_FORMAT == "s3audit.findings/v1"


def test_make_finding_is_the_same_frozen_finding():
    from dataclasses import FrozenInstanceError, fields

    from s3audit.findings import Finding, Location, Severity, Status, make_finding
    args = ("R", Severity.HIGH, ("t:1",), "arn:aws:s3:::a", "m", Status.UNKNOWN, ({"kind": "fact"},),
            Location("f.tf", 3, 1), "/accounts/0", ("k",))
    fast, slow = make_finding(*args), Finding(*args)
    assert fast == slow and fast.fingerprint == slow.fingerprint and fast.to_json() == slow.to_json()
    assert all(getattr(fast, f.name) == getattr(slow, f.name) for f in fields(Finding))
    with pytest.raises(FrozenInstanceError):
        fast.message = "x"


def test_locations_come_from_the_snapshot_when_it_has_them():
    doc = expand_fragment({"buckets": [{"Name": "a"}]})
    doc["locations"] = {"/accounts/0/s3/buckets/0": {"file": "main.tf", "line": 12, "column": 1}}
    (f,) = run_rules(program(rule("require b.versioning.enabled")), snapshot_from_dict(doc)).findings
    assert f.location.to_json() == {"file": "main.tf", "line": 12, "column": 1}


def test_statement_findings_point_at_the_statement():
    text = rule('forbid s.effect == "Allow" and "s3:*" in s.actions', kind="statement s",
                message="{s.label} of {s.policy.label}")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Fine", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::a/*"},
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "arn:aws:s3:::a/*"}]}
    (f,) = run(text, {"buckets": [{"Name": "a", "Policy": policy}]})
    assert f.subject == "arn:aws:s3:::a" and f.pointer == "/accounts/0/s3/buckets/0/Policy/Statement/1"
    assert f.message == "#1 of bucket policy of arn:aws:s3:::a" and f.key == ("bucket", "a", "#1")


# ------------------------------------------------------------------------------- engine-backed built-ins
TLS = {"Sid": "Tls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
       "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::a/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_decision_record_and_its_evidence():
    text = rule('require decision(principal: b.account, action: "s3:GetObject", resource: b.objects, '
                'context: {"aws:SecureTransport": false}).denied',
                message='{decision(principal: b.account, action: "s3:GetObject", resource: b.objects)}')
    assert run(text, {"buckets": [{"Name": "a", "Policy": {"Version": "2012-10-17", "Statement": [TLS]}}]}) == []
    (f,) = run(text, {"buckets": [{"Name": "a"}]})
    assert f.message == "allow"
    (d,) = [e for e in f.evidence if e.get("kind") == "decision"]
    assert d["principal"] == "arn:aws:iam::111122223333:root" and d["decision"] == "allow"
    assert d["context"] == {"aws:SecureTransport": False}


@pytest.mark.parametrize("who, expected", [
    ("external", True), ("anonymous", False), ('"999999999999"', True), ('"888888888888"', False),
    ('external - "999999999999"', False), ('anyone - anonymous - b.account', True),
    ('"arn:aws:iam::999999999999:role/*"', True),
])
def test_allowed_with_principal_selectors(who, expected):
    grant = {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:role/etl"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"}
    text = rule(f'forbid allowed(principal: {who}, action: "s3:GetObject", resource: b.objects)')
    fs = run(text, {"buckets": [{"Name": "a", "Policy": {"Version": "2012-10-17", "Statement": [grant]}}]})
    assert bool(fs) is expected


@pytest.mark.parametrize("value, expected", [
    ('"arn:aws:iam::999999999999:root"', True), ('"999999999999"', True), ('"arn:aws:iam::111122223333:role/x"', False),
    ('"glue.amazonaws.com"', False), ('"*"', False),
])
def test_membership_in_external(value, expected):
    org = {"id": "o-1", "management_account": "111122223333", "accounts": [{"Id": "111122223333", "Parent": "r"}]}
    fs = run(rule(f"forbid {value} in external"), {"organization": org, "buckets": [{"Name": "a"}]})
    assert bool(fs) is expected


def test_a_list_of_actions_is_allowed_if_any_is_and_denied_only_if_all_are():
    grant = {"Sid": "Acl", "Effect": "Allow", "Principal": {"AWS": "999999999999"}, "Action": "s3:PutBucketAcl",
             "Resource": "arn:aws:s3:::a"}
    frag = {"buckets": [{"Name": "a", "Policy": {"Version": "2012-10-17", "Statement": [grant]}}]}
    actions = '["s3:PutBucketPolicy", "s3:PutBucketAcl"]'
    (f,) = run(rule(f'forbid allowed(principal: external, action: {actions}, resource: b.arn)'), frag)
    assert '"action": "s3:PutBucketAcl"' in json.dumps(f.evidence)
    assert run(rule(f'require denied(principal: external, action: {actions}, resource: b.arn)'), frag) != []
    assert run(rule('require denied(principal: external, action: ["s3:PutBucketPolicy"], resource: b.arn)'),
               frag) == []


def test_denied_for_anyone_is_answered_by_a_universal_deny_or_by_representatives():
    text = rule('require denied(principal: anyone, action: "s3:*", resource: b.objects, '
                'context: {"aws:SecureTransport": false})')
    assert run(text, {"buckets": [{"Name": "a", "Policy": {"Version": "2012-10-17", "Statement": [TLS]}}]}) == []
    # a deny written per action still denies every S3 action only if it lists them all
    partial = dict(TLS, Action=["s3:GetObject", "s3:PutObject"])
    (f,) = run(text, {"buckets": [{"Name": "a", "Policy": {"Version": "2012-10-17", "Statement": [partial]}}]})
    assert f.status.value == "open"


def test_public_reports_the_reasons():
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "Web", "Effect": "Allow", "Principal": "*",
                                                      "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"}]}
    text = rule('forbid public(b, access: "read")')
    (f,) = run(text, {"buckets": [{"Name": "a", "Policy": policy,
                                   "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}]})
    (p,) = [e for e in f.evidence if e.get("kind") == "public"]
    assert p["public"] is True and "statement `Web` grants s3:GetObject" in p["reasons"][0]
    assert run(text, {"public_access_block": ALL_ON, "buckets": [{"Name": "a", "Policy": policy}]}) == []


def test_principal_and_access_point_subjects():
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "999999999999"},
                                                     "Action": "sts:AssumeRole"}]}
    iam = {"RoleDetailList": [{"RoleName": "x", "Arn": "arn:aws:iam::111122223333:role/x",
                               "AssumeRolePolicyDocument": trust, "Tags": [{"Key": "team", "Value": "a"}]}],
           "UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::111122223333:user/u"}]}
    text = rule('forbid p.kind == "role" and any s in p.trust.statements: any x in s.principals: x in external',
                kind="principal p", message="{p.name} ({p.tags[\"team\"]})")
    (f,) = run(text, {"iam": iam})
    assert (f.subject, f.message, f.pointer) == ("arn:aws:iam::111122223333:role/x", "x (a)",
                                                 "/accounts/0/iam/RoleDetailList/0")
    ap_policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                         "Resource": "arn:aws:s3:eu-west-1:111122223333:accesspoint/web/object/*"}]}
    aps = [{"Name": "web", "Bucket": "a", "NetworkOrigin": "Internet", "Region": "eu-west-1", "Policy": ap_policy},
           {"Name": "vpc", "Bucket": "a", "NetworkOrigin": "VPC", "Region": "eu-west-1", "Policy": ap_policy,
            "VpcConfiguration": {"VpcId": "vpc-1"}}]
    text = rule("forbid public(ap)", kind="access_point ap", message="{ap.name}")
    fs = run(text, {"buckets": [{"Name": "a"}], "access_points": aps})
    assert [f.subject for f in fs] == ["arn:aws:s3:eu-west-1:111122223333:accesspoint/web"]
    assert run(text, {"public_access_block": ALL_ON, "buckets": [{"Name": "a"}], "access_points": aps}) == []


def test_definitions_and_nested_quantifiers():
    text = ('def tagged(b: bucket, k: string) = present(b.tags[k]) and b.tags[k] != ""\n'
            'def both(b: bucket) = tagged(b, "owner") and tagged(b, "data-class")\n'
            + rule('require both(b) and all r in b.lifecycle.rules: any t in r.transitions: t.after <= 30d'))
    good = {"Name": "g", "Tags": {"owner": "x", "data-class": "y"},
            "Lifecycle": {"Rules": [{"Status": "Enabled", "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}]}]}}
    bad = {"Name": "b", "Tags": {"owner": "x"}}
    assert by_subject(run(text, {"buckets": [good, bad]})) == {"arn:aws:s3:::b": "open"}


# -------------------------------------------------------------------------------------------- compile once
def test_rules_are_compiled_once_and_run_on_many_snapshots(monkeypatch):
    p = program(rule("require b.versioning.enabled"))

    def no_more_checking(*a, **k):
        raise AssertionError("the checker ran again")

    monkeypatch.setattr(check_module, "check_program", no_more_checking)
    one = run_rules(p, snap({"buckets": [{"Name": "a"}]})).findings
    two = run_rules(p, snap({"buckets": [{"Name": "b"}, {"Name": "c", "Versioning": {"Status": "Enabled"}}]})).findings
    assert [f.subject for f in one] == ["arn:aws:s3:::a"] and [f.subject for f in two] == ["arn:aws:s3:::b"]


# ----------------------------------------------------------------------------------------------- property
_TAGS = st.dictionaries(st.sampled_from(["owner", "data-class", "team"]), st.sampled_from(["", "a", "pci"]), max_size=3)


@settings(max_examples=40, deadline=None)
@given(st.lists(_TAGS, min_size=1, max_size=4))
def test_require_and_forbid_not_agree_with_a_python_reading(tag_sets):
    cond = 'present(b.tags["owner"]) and b.tags["owner"] != "" or b.tags["data-class"] == "pci"'
    frag = {"buckets": [{"Name": f"b{i}", "Tags": t} for i, t in enumerate(tag_sets)]}
    req = {f.subject for f in run(rule(f"require {cond}"), frag)}
    forb = {f.subject for f in run(rule(f"forbid not ({cond})"), frag)}
    expected = {f"arn:aws:s3:::b{i}" for i, t in enumerate(tag_sets)
                if not (t.get("owner") or t.get("data-class") == "pci")}
    assert req == forb == expected
