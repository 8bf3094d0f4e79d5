"""The KMS key in S3 decisions, and requests on keys themselves, on hand-built snapshots.

Each case cites the AWS page its expectation comes from:

- KMS_ACCESS: https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html (no principal may use a
  key unless the key policy allows it, directly or through the statement that lets IAM policies allow it)
- DEFAULT_POLICY: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
- CROSS_ACCOUNT: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
  (the key policy and the external account's IAM policies must both allow; only some operations work across accounts)
- GRANTS: https://docs.aws.amazon.com/kms/latest/developerguide/grants.html and
  https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html
- SSE_KMS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html (reading needs
  kms:Decrypt, writing kms:GenerateDataKey; the AWS managed key aws/s3 cannot be used across accounts; KMS
  requests are signed, so SSE-KMS objects cannot be read anonymously)
- MULTIPART: https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions (a
  multipart upload of an SSE-KMS object also needs kms:Decrypt)
- VIA_SERVICE: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
- ENCRYPTION_CONTEXT: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context
  (aws:s3:arn is the object's ARN, or the bucket's with S3 Bucket Keys)
- AWS_MANAGED: https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
- KEY_STATE: https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
- SCP: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html (an SCP limits what
  the member accounts' principals may do, KMS requests included)
- RCP: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html (an RCP limits what
  may be done to the member accounts' resources; AWS KMS is one of the services RCPs support)
"""
from __future__ import annotations

import copy
import json

import pytest

from s3audit.iam.engine import Engine, Request
from s3audit.snapshot.load import snapshot_from_dict

from .estate import build

A, B = "111111111111", "222222222222"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-0000-0000-0000-00000000000a"
OBJ = "arn:aws:s3:::data/reports/q4.csv"
TLS = {"aws:SecureTransport": "true"}


def root_statement(account: str = A) -> dict:
    return {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*", "Resource": "*"}


def key(policy=None, grants=(), arn: str = KEY, **extra) -> dict:
    k = {"KeyId": arn.rsplit("/", 1)[1], "Arn": arn, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
         "Region": arn.split(":")[3], "Grants": list(grants), "KeyRotationEnabled": True,
         "Policy": {"Version": "2012-10-17", "Statement": policy if policy is not None else [root_statement()]}}
    k.update(extra)
    return k


def estate(keys, users=None, roles_b=None, bucket=None, kms_key=KEY, accounts_b=True) -> Engine:
    data = {"kms_key": kms_key, "policy": [], **(bucket or {})}
    if not data["policy"]:
        data.pop("policy")
    accounts = {A: {"users": users or {}, "buckets": {"data": data}, "kms": keys}}
    if accounts_b:
        accounts[B] = {"roles": roles_b or {}, "kms": []}
    return Engine(snapshot_from_dict(build({"accounts": accounts})))


def allow(*actions, resource="*") -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


READ = allow("s3:GetObject", resource="arn:aws:s3:::data/*")
DECRYPT = allow("kms:Decrypt", resource=KEY)


def decide(engine, principal, action="s3:GetObject", resource=OBJ, context=TLS):
    return engine.decide(Request(principal, action, resource, context))


def user(name: str, account: str = A) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def kms_reasons(d) -> list[tuple]:
    return [(r.source, r.statement, r.effect) for r in d.reasons if r.layer == "kms"]


# ---- SSE_KMS, DEFAULT_POLICY: same account, with and without kms:Decrypt ----

def test_same_account_read_needs_kms_decrypt():
    engine = estate([key()], users={"alice": {"policy": [READ, DECRYPT]},
                                    "bob": {"policy": [allow("s3:GetObject*", resource="arn:aws:s3:::data/*")]}})
    alice = decide(engine, user("alice"))
    assert alice.decision == "allow"
    assert kms_reasons(alice) == [
        (f"KMS key {KEY}", None, "Allow"),
        (f"identity policy alice-0 of {user('alice')}", "#1", "Allow"),
        (f"key policy of {KEY}", "Enable IAM User Permissions", "Allow")]
    bob = decide(engine, user("bob"))
    assert bob.decision == "deny"
    assert kms_reasons(bob)[0] == (f"KMS key {KEY}", None, "ImplicitDeny")
    assert "needs kms:Decrypt on it, which is denied" in bob.reasons[0].note
    # the assumption the deny rests on: objects are under the default key, which uploads need not name
    assert any("taken to be encrypted under its default KMS key" in a and "does not make uploads name this one" in a
               for a in bob.assumptions)
    # what S3 alone says of bob is unchanged: the key is what stops him
    assert decide(engine, user("bob"), "s3:GetObjectTagging").decision == "allow"


def test_the_assumption_names_a_bucket_policy_that_enforces_the_key():
    enforce = {"Sid": "OnlyOurKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
               "Resource": "arn:aws:s3:::data/*",
               "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY}}}
    engine = estate([key()], users={"bob": {"policy": [READ]}}, bucket={"policy": [enforce]})
    bob = decide(engine, user("bob"))
    assert bob.decision == "deny"
    assert any("makes every upload name that key (statement OnlyOurKey)" in a for a in bob.assumptions)


# ---- KMS_ACCESS, DEFAULT_POLICY: a key policy that does and does not delegate to IAM ----

def test_a_key_policy_without_the_iam_statement_ignores_iam_policies():
    names_carol = {"Sid": "CarolUses", "Effect": "Allow", "Principal": {"AWS": user("carol")},
                   "Action": "kms:Decrypt", "Resource": "*"}
    engine = estate([key(policy=[names_carol])],
                    users={"alice": {"policy": [READ, allow("kms:*")]}, "carol": {"policy": [READ]}})
    # alice's IAM policy allows kms:* but the key policy does not let IAM policies count
    assert decide(engine, user("alice")).decision == "deny"
    # carol has no IAM permission on the key; the key policy names her, which suffices in its account
    carol = decide(engine, user("carol"))
    assert carol.decision == "allow"
    assert (f"key policy of {KEY}", "CarolUses", "Allow") in kms_reasons(carol)


def test_a_delegating_key_policy_lets_iam_policies_allow():
    engine = estate([key()], users={"alice": {"policy": [READ, DECRYPT]}})
    assert decide(engine, user("alice")).decision == "allow"
    assert decide(engine, user("alice"), "kms:Decrypt", KEY, {}).decision == "allow"


# ---- GRANTS ----

def grant(grantee: str, ops=("Decrypt",), constraints=None, name="g1") -> dict:
    g = {"GrantId": name, "Name": name, "KeyId": KEY, "GranteePrincipal": grantee, "Operations": list(ops)}
    if constraints:
        g["Constraints"] = constraints
    return g


def test_a_grant_allows_decrypt_without_any_other_permission_on_the_key():
    engine = estate([key(policy=[], grants=[grant(user("dave"))])], users={"dave": {"policy": [READ]}})
    d = decide(engine, user("dave"))
    assert d.decision == "allow"
    assert any(r.source == f"grant g1 of {KEY}" and r.effect == "Grant" for r in d.reasons)
    # a grant of another operation does not
    engine = estate([key(policy=[], grants=[grant(user("dave"), ops=("Encrypt",))])], users={"dave": {"policy": [READ]}})
    assert decide(engine, user("dave")).decision == "deny"


@pytest.mark.parametrize("bucket_key, constraint, expected", [
    (True, "arn:aws:s3:::data", "allow"),                 # Bucket Keys: the context is the bucket's ARN
    (False, OBJ, "allow"),                                 # without: the object's ARN
    (False, "arn:aws:s3:::data", "deny"),                  # ... which the bucket's ARN is not
    (True, "arn:aws:s3:::other-bucket", "deny"),
])
def test_a_grant_constrained_to_an_encryption_context(bucket_key, constraint, expected):
    g = grant(user("dave"), constraints={"EncryptionContextSubset": {"aws:s3:arn": constraint}})
    engine = estate([key(policy=[], grants=[g])], users={"dave": {"policy": [READ]}},
                    bucket={"bucket_key": bucket_key})
    assert decide(engine, user("dave")).decision == expected
    # asked of the key directly, the context is the request's: unknown, so the grant may apply
    direct = decide(engine, user("dave"), "kms:Decrypt", KEY, {})
    assert direct.decision == "conditional"
    assert direct.conditions[0].to_json()["explanation"] == f"only with the encryption context aws:s3:arn={constraint}"


# ---- CROSS_ACCOUNT ----

CROSS = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:role/reader"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::data/*"}
KEY_FOR_B = {"Sid": "AccountB", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
             "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
READER = f"arn:aws:iam::{B}:role/reader"


@pytest.mark.parametrize("key_policy, identity, expected", [
    ([root_statement(), KEY_FOR_B], [READ, DECRYPT], "allow"),   # both sides allow
    ([root_statement(), KEY_FOR_B], [READ], "deny"),             # the key policy alone does not
    ([root_statement()], [READ, DECRYPT], "deny"),               # the IAM policy alone does not
])
def test_cross_account_read_needs_the_key_policy_and_the_callers_policy(key_policy, identity, expected):
    engine = estate([key(policy=key_policy)], roles_b={"reader": {"policy": identity}}, bucket={"policy": [CROSS]})
    d = decide(engine, READER)
    assert d.decision == expected
    assert decide(engine, READER, "s3:GetObjectTagging").decision == "deny"  # the bucket grants only GetObject


def test_cross_account_key_operations_kms_does_not_perform_are_denied():
    everything = {"Sid": "AccountBAll", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                  "Action": "kms:*", "Resource": "*"}
    engine = estate([key(policy=[root_statement(), everything])], roles_b={"reader": {"policy": [allow("kms:*")]}})
    assert decide(engine, READER, "kms:Decrypt", KEY, {}).decision == "allow"
    d = decide(engine, READER, "kms:ScheduleKeyDeletion", KEY, {})
    assert d.decision == "deny" and "not one of the operations KMS performs across accounts" in d.reasons[0].note


# ---- SSE_KMS, AWS_MANAGED: aws/s3 across accounts ----

AWS_S3_ARN = f"arn:aws:kms:us-east-1:{A}:key/aaaaaaaa-0000-0000-0000-0000000000s3"
AWS_S3_POLICY = [
    {"Sid": "Allow access through S3 for all principals in the account that are authorized to use S3",
     "Effect": "Allow", "Principal": {"AWS": "*"},
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
     "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": A,
                                                     "kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
     "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
     "Resource": "*"}]


@pytest.mark.parametrize("collected", [True, False])
def test_aws_s3_cannot_be_used_from_another_account(collected):
    keys = [key(policy=AWS_S3_POLICY, arn=AWS_S3_ARN, KeyManager="AWS",
                Aliases=[{"AliasName": "alias/aws/s3"}])] if collected else []
    everything = [READ, allow("kms:*")]
    engine = estate(keys, users={"alice": {"policy": [READ]}}, roles_b={"reader": {"policy": everything}},
                    bucket={"policy": [CROSS]}, kms_key="")
    # its own account's principals use it through S3 with no permission on the key of their own
    alice = decide(engine, user("alice"))
    assert alice.decision == "allow"
    if not collected:  # the snapshot lacks the key: the policy AWS documents stands in, and says so
        assert any(r.source == f"key policy of arn:aws:kms:us-east-1:{A}:alias/aws/s3 (as AWS documents it)"
                   for r in alice.reasons)
    # another account's role is granted the objects by the bucket and holds kms:*: still denied
    reader = decide(engine, READER)
    assert reader.decision == "deny"
    assert any("AWS managed key: only principals of its own account" in (r.note or "") for r in reader.reasons)


# ---- VIA_SERVICE ----

def test_kms_via_service_is_decided_for_s3_requests_and_left_open_for_direct_ones():
    via_s3 = {"Sid": "EveThroughS3", "Effect": "Allow", "Principal": {"AWS": user("eve")}, "Action": "kms:Decrypt",
              "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}
    engine = estate([key(policy=[via_s3])], users={"eve": {"policy": [READ]}})
    assert decide(engine, user("eve")).decision == "allow"          # S3 asks KMS for her: ViaService is S3's
    direct = decide(engine, user("eve"), "kms:Decrypt", KEY, {})
    assert direct.decision == "conditional"
    assert direct.conditions[0].to_json()["conditions"] == [
        {"operator": "StringEquals", "key": "kms:ViaService", "values": ["s3.us-east-1.amazonaws.com"]}]
    assert decide(engine, user("eve"), "kms:Decrypt", KEY,
                  {"kms:ViaService": "s3.us-east-1.amazonaws.com"}).decision == "allow"
    assert decide(engine, user("eve"), "kms:Decrypt", KEY, {"kms:ViaService": None}).decision == "deny"
    # a bucket of another region: S3 there calls KMS as s3.eu-west-1.amazonaws.com
    other_region = estate([key(policy=[via_s3])], users={"eve": {"policy": [READ]}}, bucket={"region": "eu-west-1"})
    assert decide(other_region, user("eve")).decision == "deny"


def test_kms_caller_account_is_the_callers():
    mine = {"Sid": "OwnAccount", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
            "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": A}}}
    engine = estate([key(policy=[mine])], users={"alice": {"policy": [READ]}},
                    roles_b={"reader": {"policy": [READ, DECRYPT]}}, bucket={"policy": [CROSS]})
    assert decide(engine, user("alice")).decision == "allow"
    assert decide(engine, READER).decision == "deny"


# ---- MULTIPART ----

WRITE = allow("s3:PutObject", resource="arn:aws:s3:::data/*")


@pytest.mark.parametrize("kms_actions, expected", [
    (["kms:GenerateDataKey", "kms:Decrypt"], "allow"),
    (["kms:GenerateDataKey"], "conditional"),   # one request works; a multipart upload also needs Decrypt
    (["kms:Decrypt"], "deny"),                  # no data key: no upload at all
])
def test_writes_need_generate_data_key_and_multipart_uploads_decrypt(kms_actions, expected):
    engine = estate([key()], users={"frank": {"policy": [WRITE, allow(*kms_actions, resource=KEY)]}})
    d = decide(engine, user("frank"), "s3:PutObject")
    assert d.decision == expected
    if expected == "conditional":
        (residual,) = d.conditions
        assert residual.statement == "kms:Decrypt for multipart uploads"
        assert residual.to_json()["explanation"].startswith("only in a single request: multipart uploads")


# ---- unknowns: never "allow" ----

def test_a_key_policy_that_could_not_be_read_makes_the_answer_conditional():
    unreadable = key(Errors={"GetKeyPolicy": "AccessDeniedException"})
    del unreadable["Policy"]
    engine = estate([unreadable], users={"alice": {"policy": [READ, allow("kms:*")]}, "bob": {"policy": [READ]}})
    for who in ("alice", "bob"):
        d = decide(engine, user(who))
        assert d.decision == "conditional", who
        assert any("key policy of" in a and "could not be read" in a for a in d.assumptions)


def test_a_key_the_snapshot_lacks_makes_the_answer_conditional():
    engine = estate([], users={"alice": {"policy": [READ, DECRYPT]}})
    d = decide(engine, user("alice"))
    assert d.decision == "conditional"
    assert f"KMS key `{KEY}` is not in the snapshot" in " ".join(d.assumptions)
    # KMS keys not collected at all (no `kms` section): the same, saying so
    snapshot = build({"accounts": {A: {"users": {"alice": {"policy": [READ, DECRYPT]}},
                                       "buckets": {"data": {"kms_key": KEY}}}}})
    d = decide(Engine(snapshot_from_dict(snapshot)), user("alice"))
    assert d.decision == "conditional" and "the account's KMS keys were not collected" in " ".join(d.assumptions)


def test_unreadable_grants_may_allow_anyone():
    k = key(policy=[], Errors={"ListGrants": "AccessDeniedException"})
    del k["Grants"]
    engine = estate([k], users={"dave": {"policy": [READ]}})
    assert decide(engine, user("dave")).decision == "conditional"


# ---- SCP, RCP: the organization's guard rails decide the KMS request S3 makes for the caller ----

def org_estate(scps=(), rcps=()) -> Engine:
    outsider = "333333333333"
    return Engine(snapshot_from_dict(build({
        "accounts": {A: {"users": {"alice": {"policy": [READ, DECRYPT]}},
                         "buckets": {"data": {"kms_key": KEY, "policy": [
                             {**CROSS, "Principal": {"AWS": f"arn:aws:iam::{outsider}:role/reader"}}]}},
                         "kms": [key(policy=[root_statement(), {**KEY_FOR_B, "Principal": {"AWS": f"arn:aws:iam::{outsider}:root"}}])]},
                     outsider: {"roles": {"reader": {"policy": [READ, DECRYPT]}}, "kms": []}},
        "organization": {"accounts": {A: "root"}, "scps": [{"targets": ["root"]}, *scps],
                         "rcps": [{"targets": ["root"]}, *rcps]}})))


def test_an_scp_that_denies_kms_decrypt_denies_the_read():
    # an SCP attached to the account must allow too (each level of the path must): it allows all but Decrypt
    no_decrypt = {"targets": [A], "policy": [{"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
                                             {"Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt",
                                              "Resource": "*"}]}
    assert decide(org_estate(), user("alice")).decision == "allow"
    d = decide(org_estate(scps=[no_decrypt]), user("alice"))
    assert d.decision == "deny"
    assert any(r.layer == "kms" and r.source.startswith("SCP") and r.statement == "NoDecrypt" and r.effect == "Deny"
               for r in d.reasons)
    # S3's policies alone still allow her: the key's request is what the SCP stops
    assert org_estate(scps=[no_decrypt]).decide_policies(Request(user("alice"), "s3:GetObject", OBJ, TLS)).decision == "allow"


def test_an_rcp_on_the_keys_account_stops_callers_outside_the_organization():
    outsider = "arn:aws:iam::333333333333:role/reader"
    org_only = {"targets": [A], "policy": [
        {"Sid": "KeysStayInTheOrg", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-exampleorg1"},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}
    # the bucket, the key policy and the caller's own policies all allow: only the RCP stands in the way
    assert decide(org_estate(), outsider).decision == "allow"
    d = decide(org_estate(rcps=[org_only]), outsider)
    assert d.decision == "deny"
    assert any(r.layer == "kms" and r.source.startswith("RCP") and r.statement == "KeysStayInTheOrg"
               for r in d.reasons)
    # the organization's own principals are not stopped by it
    assert decide(org_estate(rcps=[org_only]), user("alice")).decision == "allow"


# ---- KEY_STATE, anonymous ----

def test_a_disabled_key_decrypts_nothing():
    engine = estate([key(KeyState="Disabled")], users={"alice": {"policy": [READ, DECRYPT]}})
    d = decide(engine, user("alice"))
    assert d.decision == "deny" and any("is Disabled" in (r.note or "") for r in d.reasons)


def test_sse_kms_objects_are_not_readable_anonymously():
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}
    everyone = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    engine = estate([key(policy=[root_statement(), everyone])], bucket={"policy": [public], "bpa": "none"})
    d = decide(engine, "anonymous")
    assert d.decision == "deny" and any("only signed requests" in (r.note or "") for r in d.reasons)


# ---- explain on a key ----

def test_explain_a_kms_request_from_the_command_line(tmp_path, capsys):
    from s3audit.cli import main
    snapshot = build({"accounts": {A: {"users": {"alice": {"policy": [DECRYPT]}}, "buckets": {}, "kms": [key()]}}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(snapshot))
    code = main(["explain", str(path), "--principal", user("alice"), "--action", "kms:Decrypt", "--resource", KEY,
                 "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["decision"] == "allow"
    assert [(r["source"], r["statement"]) for r in out["reasons"] if r["layer"] != "scp"] == [
        (f"identity policy alice-0 of {user('alice')}", "#0"), (f"key policy of {KEY}", "Enable IAM User Permissions")]


# ---- memoised answers equal fresh ones ----

def test_memoised_answers_equal_fresh_ones():
    via = {"Sid": "Via", "Effect": "Allow", "Principal": {"AWS": user("eve")}, "Action": "kms:Decrypt", "Resource": "*",
           "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}
    g = grant(user("dave"), constraints={"EncryptionContextSubset": {"aws:s3:arn": OBJ}})
    description = {"accounts": {A: {"users": {"alice": {"policy": [READ, WRITE, DECRYPT]}, "eve": {"policy": [READ]},
                                              "dave": {"policy": [READ]}},
                                    "buckets": {"data": {"kms_key": KEY}}, "kms": [key(policy=[root_statement(), via],
                                                                                        grants=[g])]}}}
    snapshot = snapshot_from_dict(build(description))
    requests = [(p, a, r, c) for p in (user("alice"), user("eve"), user("dave"))
                for a in ("s3:GetObject", "s3:PutObject", "kms:Decrypt")
                for r in ((OBJ, "arn:aws:s3:::data/other.csv") if a != "kms:Decrypt" else (KEY,))
                for c in ({}, TLS, {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
                          {"kms:EncryptionContext:aws:s3:arn": OBJ})]
    engine = Engine(snapshot)
    for _ in range(2):
        for p, a, r, c in requests:
            assert engine.decide(Request(p, a, r, c)).json_text == Engine(snapshot).decide(
                Request(p, a, r, copy.deepcopy(c))).json_text, (p, a, r, c)
