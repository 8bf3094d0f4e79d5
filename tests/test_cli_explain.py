"""`s3audit explain`: the command-line contract other tools depend on (issue 2, item 6).

One request or many (`--requests FILE.jsonl`), text or JSON; exit status 0 for any decision and 2,
with a `file:line` or `file: at /pointer` message and no traceback, for bad input.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from s3audit.cli import main

from .iam.estate import build

A = "111111111111"
ALICE = f"arn:aws:iam::{A}:user/alice"
BOB = f"arn:aws:iam::{A}:user/bob"
ROOT = Path(__file__).resolve().parent.parent

ESTATE = {
    "accounts": {
        A: {
            "users": {
                "alice": {"policy": {"Sid": "AliceReads", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                     "Resource": ["arn:aws:s3:::data-a", "arn:aws:s3:::data-a/*"]}},
                "bob": {"policy": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data-a",
                                   "Condition": {"Bool": {"aws:SecureTransport": "true"},
                                                 "StringLike": {"s3:prefix": "home/bob/*"}}}},
                "carol": {"policy": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                     "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}}}},
            },
            "buckets": {
                "data-a": {"policy": {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                      "Resource": "arn:aws:s3:::data-a/*",
                                      "Condition": {"Bool": {"aws:SecureTransport": "false"}}}},
                "site": {"policy": {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                    "Resource": "arn:aws:s3:::site/*"}},
            },
        }
    }
}


@pytest.fixture()
def snapshot(tmp_path) -> Path:
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(build(ESTATE), indent=1))
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["explain", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def one(capsys, snapshot, principal, action, resource, *extra):
    code, out, err = run(capsys, snapshot, "--principal", principal, "--action", action, "--resource", resource,
                         "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


# ---- one request ----

def test_json_has_exactly_the_contract_keys(capsys, snapshot):
    d = one(capsys, snapshot, ALICE, "s3:GetObject", "arn:aws:s3:::data-a/x.csv")
    assert set(d) == {"decision", "reasons", "conditions", "assumptions"}
    assert d["decision"] == "allow"
    assert d["reasons"] and all({"source", "statement", "effect"} <= set(r) for r in d["reasons"])
    assert {"statement": "AliceReads", "effect": "Allow"}.items() <= d["reasons"][0].items()
    assert d["conditions"] == [] and d["assumptions"] == []


def test_exit_status_is_zero_for_a_deny(capsys, snapshot):
    d = one(capsys, snapshot, BOB, "s3:GetObject", "arn:aws:s3:::data-a/x.csv")
    assert d["decision"] == "deny"
    assert any(r["effect"] == "ImplicitDeny" for r in d["reasons"])


def test_text_output_names_the_decision_and_the_reason(capsys, snapshot):
    code, out, err = run(capsys, snapshot, "--principal", ALICE, "--action", "s3:GetObject",
                         "--resource", "arn:aws:s3:::data-a/x.csv")
    assert code == 0 and err == ""
    assert out.startswith(f"ALLOW: {ALICE} s3:GetObject arn:aws:s3:::data-a/x.csv")
    assert "statement AliceReads" in out


def test_anonymous_principal(capsys, snapshot):
    assert one(capsys, snapshot, "anonymous", "s3:GetObject", "arn:aws:s3:::site/index.html")["decision"] == "allow"
    assert one(capsys, snapshot, "anonymous", "s3:GetObject", "arn:aws:s3:::data-a/x.csv")["decision"] == "deny"


def test_without_context_the_answer_is_conditional_with_its_residual_conditions(capsys, snapshot):
    d = one(capsys, snapshot, BOB, "s3:ListBucket", "arn:aws:s3:::data-a")
    assert d["decision"] == "conditional"
    keys = {c["key"] for res in d["conditions"] for c in res["conditions"]}
    assert keys == {"aws:SecureTransport", "s3:prefix"}


def test_context_repeated_supplies_every_key(capsys, snapshot):
    d = one(capsys, snapshot, BOB, "s3:ListBucket", "arn:aws:s3:::data-a",
            "--context", "aws:SecureTransport=true", "--context", "s3:prefix=home/bob/photos/")
    assert d["decision"] == "allow" and d["conditions"] == []
    d = one(capsys, snapshot, BOB, "s3:ListBucket", "arn:aws:s3:::data-a",
            "--context", "aws:SecureTransport=true", "--context", "s3:prefix=home/alice/")
    assert d["decision"] == "deny"
    d = one(capsys, snapshot, BOB, "s3:ListBucket", "arn:aws:s3:::data-a", "--context", "aws:SecureTransport=true")
    assert d["decision"] == "conditional"
    assert {c["key"] for res in d["conditions"] for c in res["conditions"]} == {"s3:prefix"}


def test_a_key_given_twice_is_multi_valued(capsys, snapshot):
    carol = f"arn:aws:iam::{A}:user/carol"
    d = one(capsys, snapshot, carol, "s3:GetObject", "arn:aws:s3:::data-a/x",
            "--context", "aws:CalledVia=glue.amazonaws.com", "--context", "aws:CalledVia=athena.amazonaws.com")
    assert d["decision"] == "allow"
    d = one(capsys, snapshot, carol, "s3:GetObject", "arn:aws:s3:::data-a/x", "--context", "aws:CalledVia=glue.amazonaws.com")
    assert d["decision"] == "deny"


# ---- many requests ----

def test_requests_file_gives_one_line_per_request_in_order(capsys, snapshot, tmp_path):
    lines = [
        {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x.csv"},
        {"principal": BOB, "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x.csv"},
        {"principal": BOB, "action": "s3:ListBucket", "resource": "arn:aws:s3:::data-a"},
        {"principal": BOB, "action": "s3:ListBucket", "resource": "arn:aws:s3:::data-a",
         "context": {"aws:SecureTransport": True, "s3:prefix": ["home/bob/a/"]}},
        {"principal": "anonymous", "action": "s3:PutObject", "resource": "arn:aws:s3:::data-a/up",
         "context": {"aws:SecureTransport": None}},
    ]
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    code, out, err = run(capsys, snapshot, "--requests", requests)
    assert code == 0 and err == ""
    got = [json.loads(x) for x in out.splitlines()]
    assert len(got) == len(lines)
    for obj, want in zip(got, lines):
        assert set(obj) == {"decision", "reasons", "conditions", "assumptions", "request"}
        assert obj["request"] == want
    assert [o["decision"] for o in got] == ["allow", "deny", "conditional", "allow", "deny"]


def test_requests_lines_end_only_at_newlines(capsys, snapshot, tmp_path):
    # U+2028 may stand unescaped inside a JSON string; it does not end a JSON Lines line. CRLF does.
    line = {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/a\u2028b"}
    requests = tmp_path / "requests.jsonl"
    requests.write_text(json.dumps(line, ensure_ascii=False) + "\r\n" + json.dumps(line) + "\r\n", encoding="utf-8")
    code, out, err = run(capsys, snapshot, "--requests", requests)
    assert code == 0, err
    assert out.isascii() and len(out.splitlines()) == 2
    got = [json.loads(x) for x in out.splitlines()]
    assert [g["request"] for g in got] == [line, line] and {g["decision"] for g in got} == {"allow"}


def test_requests_answer_each_line_as_if_it_were_alone(capsys, snapshot, tmp_path):
    # JSON's false and 0 (and true, 1 and 1.0) are equal as Python values but are different request context
    # values ("false" is not "0"): a memo of request contexts must not let one stand in for the other.
    def line(value):
        return json.dumps({"principal": ALICE, "action": "s3:PutObject", "resource": "arn:aws:s3:::data-a/up",
                           "context": {"aws:SecureTransport": value}})

    values = [False, 0, 0.0, True, 1, 1.0, "false", [False, 0]]
    alone = {}
    for i, value in enumerate(values):
        requests = tmp_path / f"alone-{i}.jsonl"
        requests.write_text(line(value) + "\n")
        code, out, _ = run(capsys, snapshot, "--requests", requests)
        assert code == 0
        alone[i] = out
    assert alone[0] != alone[1] and '"TlsOnly"' in alone[0] and '"TlsOnly"' not in alone[1]
    for order in (range(len(values)), reversed(range(len(values)))):
        order = list(order)
        requests = tmp_path / "mixed.jsonl"
        requests.write_text("".join(line(values[i]) + "\n" for i in order))
        code, out, _ = run(capsys, snapshot, "--requests", requests)
        assert code == 0
        assert out.splitlines(keepends=True) == [alone[i] for i in order]


def test_requests_text_format(capsys, snapshot, tmp_path):
    requests = tmp_path / "requests.jsonl"
    requests.write_text(json.dumps({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x"})
                        + "\n\n")
    code, out, _ = run(capsys, snapshot, "--requests", requests, "--format", "text")
    assert code == 0 and out.startswith("ALLOW: ")


# ---- bad input: exit 2, one placed message, no traceback, nothing half-written ----

def _fails(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert out == ""
    assert err.startswith("s3audit: ") and "Traceback" not in err
    return err


REQ = ("--principal", ALICE, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::data-a/x")


def test_missing_snapshot_file(capsys, tmp_path):
    err = _fails(capsys, tmp_path / "nope.json", *REQ)
    assert f"{tmp_path / 'nope.json'}: no such file" in err


def test_snapshot_that_is_not_json(capsys, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format":\n  "s3audit.snapshot/v1",,\n}')
    err = _fails(capsys, path, *REQ)
    assert f"{path}:2:" in err and "invalid JSON" in err


def test_snapshot_that_breaks_the_schema_names_the_pointer(capsys, tmp_path):
    doc = build(ESTATE)
    doc["accounts"][0]["id"] = "1234"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    err = _fails(capsys, path, *REQ)
    assert f"{path}: at /accounts/0/id: " in err and "12-digit" in err


def test_malformed_policy_in_the_snapshot_names_the_pointer(capsys, tmp_path):
    doc = build(ESTATE)
    doc["accounts"][0]["s3"]["buckets"][1]["Policy"]["Statement"][0]["Effect"] = "Permit"
    path = tmp_path / "bad-policy.json"
    path.write_text(json.dumps(doc))
    err = _fails(capsys, path, *REQ)
    assert f"{path}: at /accounts/0/s3/buckets/1/Policy/Statement/0/Effect: " in err and "`Permit`" in err


def test_missing_requests_file(capsys, snapshot, tmp_path):
    err = _fails(capsys, snapshot, "--requests", tmp_path / "none.jsonl")
    assert "none.jsonl: no such file" in err


@pytest.mark.parametrize("bad, where, what", [
    ('{"principal": "anonymous", "action": ', ":2:", "invalid JSON"),
    ('["not", "an", "object"]', ":2", "JSON object"),
    ('{"principal": "anonymous", "resource": "arn:aws:s3:::data-a/x"}', ":2", "`action`"),
    ('{"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x", "context": [1]}',
     ":2", "`context`"),
    ('{"principal": "anonymous", "action": "s3:GetObject", "resource": "data-a/x"}', ":2", "not an S3"),
    ('{"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:us-east-1:111111111111:job/1"}',
     ":2", "not an S3"),
    ('{"principal": "anonymous", "action": "GetObject", "resource": "arn:aws:s3:::data-a/x"}', ":2", "not an action"),
])
def test_bad_requests_line_is_placed(capsys, snapshot, tmp_path, bad, where, what):
    requests = tmp_path / "requests.jsonl"
    good = json.dumps({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x"})
    requests.write_text(good + "\n" + bad + "\n" + good + "\n")
    err = _fails(capsys, snapshot, "--requests", requests)
    assert f"{requests}{where}" in err and what in err


def test_resource_that_is_no_s3_resource_nor_another_services_arn(capsys, snapshot):
    err = _fails(capsys, snapshot, "--principal", ALICE, "--action", "s3:GetObject",
                 "--resource", "arn:aws:s3:us-east-1:111111111111:job/1")
    assert "`arn:aws:s3:us-east-1:111111111111:job/1` is not an S3 bucket, object or access point ARN" in err
    err = _fails(capsys, snapshot, "--principal", ALICE, "--action", "s3:GetObject", "--resource", "data-a/x")
    assert "`data-a/x` is not an S3" in err


def test_another_services_resource_is_decided_by_identity_policies(capsys, snapshot):
    # Since the access graph, the engine also decides IAM/STS and other services' resources (no resource
    # policy recorded: identity policies, boundaries and SCPs decide).
    d = one(capsys, snapshot, ALICE, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111111111111:table/t")
    assert d["decision"] == "deny"


def test_context_without_equals_sign(capsys, snapshot):
    err = _fails(capsys, snapshot, *REQ, "--context", "aws:SecureTransport")
    assert "KEY=VALUE" in err


def test_through_a_subprocess(snapshot):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "s3audit", "explain", str(snapshot), "--principal", "anonymous",
                           "--action", "s3:GetObject", "--resource", "arn:aws:s3:::site/index.html", "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert set(d) == {"decision", "reasons", "conditions", "assumptions"} and d["decision"] == "allow"


# ---- typos are errors, with a suggestion (issue 11, item 3) ----
# A snapshot that holds account A's IAM in full (no collection error) can say that a principal is not there.

@pytest.mark.parametrize("option, value, message", [
    ("--principal", f"arn:aws:iam::{A}:user/alcie", f"user `arn:aws:iam::{A}:user/alcie` is not in account {A}, "
                                                   f"whose IAM the snapshot holds in full; did you mean `{ALICE}`?"),
    ("--principal", f"arn:aws:sts::{A}:assumed-role/alice/s", f"role `arn:aws:sts::{A}:assumed-role/alice/s` is not in "
                                                             f"account {A}"),
    ("--principal", "not-a-principal", "`not-a-principal` is not an ARN, account id, service or `anonymous`"),
    ("--action", "s3:GetObjekt", "`s3:GetObjekt` is not an action AWS documents for s3; did you mean `s3:GetObject`?"),
    ("--action", "s4:GetObject", "no AWS service has the action prefix `s4`; did you mean `s3:GetObject`?"),
    ("--action", "s3:Get*", "`s3:Get*` is a pattern; a request names one action"),
    ("--resource", "arn:aws:s3:::data-b/x", "bucket `data-b` is not in the snapshot; did you mean `data-a`?"),
])
def test_a_typo_is_an_error_with_a_suggestion(capsys, snapshot, option, value, message):
    request = {"--principal": ALICE, "--action": "s3:GetObject", "--resource": "arn:aws:s3:::data-a/x"}
    request[option] = value
    code, out, err = run(capsys, snapshot, *[x for kv in request.items() for x in kv])
    assert code == 2 and out == ""
    assert err.startswith(f"s3audit: {option}: ") and message in err and len(err.strip().splitlines()) == 1


def test_names_the_snapshot_cannot_vouch_for_are_answered_with_an_assumption(capsys, snapshot, tmp_path):
    # a principal of an account outside the snapshot; a bucket unlike any of the snapshot's
    code, out, _ = run(capsys, snapshot, "--principal", "arn:aws:iam::999999999999:role/x", "--action",
                       "s3:GetObject", "--resource", "arn:aws:s3:::somebody-elses-bucket/x", "--format", "json")
    assumptions = json.loads(out)["assumptions"]
    assert code == 0 and any("outside the snapshot" in a for a in assumptions)
    assert any("bucket `somebody-elses-bucket` is not in the snapshot" in a for a in assumptions)
    # an account whose IAM could not be read in full: a principal missing from it may exist
    doc = json.loads(snapshot.read_text())
    doc["accounts"][0]["errors"] = {"iam:GetAccountAuthorizationDetails": "AccessDenied"}
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(doc))
    code, out, _ = run(capsys, partial, "--principal", f"arn:aws:iam::{A}:user/alcie", "--action", "s3:GetObject",
                       "--resource", "arn:aws:s3:::data-a/x", "--format", "json")
    assert code == 0 and any(f"user `arn:aws:iam::{A}:user/alcie` is not in account {A}'s IAM data" in a
                             for a in json.loads(out)["assumptions"])


def test_a_context_key_the_action_never_carries_is_reported_not_dropped(capsys, snapshot):
    """s3:prefix is a key of ListBucket requests, never of GetObject's (Service Authorization Reference:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-actions-as-permissions)."""
    argv = [snapshot, "--principal", BOB, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::data-a/x",
            "--context", "s3:prefix=home/bob/"]
    code, out, _ = run(capsys, *argv, "--format", "json")
    decision = json.loads(out)
    assert code == 0 and "ignored: s3:GetObject requests never carry s3:prefix" in decision["assumptions"]
    code, out, _ = run(capsys, *argv)
    assert "  - ignored: s3:GetObject requests never carry s3:prefix" in out.splitlines()
    # a key the action does carry is used, and not reported
    code, out, _ = run(capsys, snapshot, "--principal", BOB, "--action", "s3:ListBucket", "--resource",
                       "arn:aws:s3:::data-a", "--context", "s3:prefix=home/bob/", "--format", "json")
    assert not any(a.startswith("ignored:") for a in json.loads(out)["assumptions"])


def test_typos_in_a_requests_file_are_errors_at_their_line(capsys, snapshot, tmp_path):
    good = {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x"}
    for key, value, message in (("principal", f"arn:aws:iam::{A}:user/alcie", f"did you mean `{ALICE}`?"),
                                ("action", "s3:GetObjekt", "did you mean `s3:GetObject`?"),
                                ("resource", "arn:aws:s3:::data-b/x", "did you mean `data-a`?")):
        requests = tmp_path / "r.jsonl"
        requests.write_text(json.dumps(good) + "\n" + json.dumps({**good, key: value}) + "\n")
        for fmt in ("json", "text"):
            code, out, err = run(capsys, snapshot, "--requests", requests, "--format", fmt)
            assert code == 2 and out == "", (key, fmt)
            assert err.startswith(f"s3audit: {requests}:2: `{key}`: ") and message in err, err


def test_ignored_keys_in_a_requests_file_are_among_that_line_s_assumptions(capsys, snapshot, tmp_path):
    requests = tmp_path / "r.jsonl"
    line = {"principal": BOB, "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x"}
    requests.write_text(json.dumps(line) + "\n" + json.dumps({**line, "context": {"s3:prefix": "a/"}}) + "\n")
    code, out, _ = run(capsys, snapshot, "--requests", requests)
    first, second = (json.loads(x) for x in out.splitlines())
    assert code == 0 and first["assumptions"] == []
    assert second["assumptions"] == ["ignored: s3:GetObject requests never carry s3:prefix"]


@pytest.mark.parametrize("line, where, what", [
    ('{"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x", "context": '
     '{"aws:EpochTime": NaN}}', ":2:", "`NaN` is not JSON"),
    ('{"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x", "context": '
     '{"s3:max-keys": -Infinity}}', ":2:", "`-Infinity` is not JSON"),
    ('{"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x", "context": '
     '{"s3:max-keys": 1e999}}', ":2:", "too large"),
    ('{"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/\\udc00"}', ":2: at /resource",
     "lone surrogate"),
    ('{"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x", "context": false}', ":2",
     "`context` must be an object"),
    ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", ":2:", "nested more than 200 deep"),
])
def test_request_lines_are_strict_json(capsys, snapshot, tmp_path, line, where, what):
    """Whatever a line holds, the output stays strict JSON: a line it could not hold is bad input."""
    requests = tmp_path / "r.jsonl"
    good = json.dumps({"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::data-a/x"})
    requests.write_text(good + "\n" + line + "\n")
    for fmt in ("json", "text"):
        code, out, err = run(capsys, snapshot, "--requests", requests, "--format", fmt)
        assert code == 2 and out == "" and "Traceback" not in err
        assert err.startswith(f"s3audit: {requests}{where}") and what in err, err
