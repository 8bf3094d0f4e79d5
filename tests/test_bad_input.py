"""No mistake passes in silence (issue 11): an input that could not be read is exit 2 with the file, the place and
one sentence, never a pass, a traceback, a hang or runaway memory; a crash is exit 3, never findings.

The generated inputs of tests/fuzz cover the same ground at random; these are the cases the issue names.
"""
from __future__ import annotations

import copy
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


from .clirun import ROOT, cli, in_repository  # noqa: F401 (a fixture)

CORPUS = ROOT / "tests" / "fuzz" / "corpus"
SNAPSHOT = json.loads((CORPUS / "snapshot.json").read_text())
PLAN = "fixtures/terraform-plans/new-public-bucket.json"
TEMPLATE = "fixtures/cloudformation/private-bucket.yaml"


pytestmark = pytest.mark.usefixtures("in_repository")


def refused(capsys, argv, where: str, what: str = "") -> str:
    """Run the command; assert exit 2, one line that starts with ``where`` (the file and the place) and says
    ``what``, nothing on standard output and no traceback."""
    status, out, err = cli(capsys, *argv)
    assert status == 2, (status, out[-500:], err)
    assert out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"s3audit: {where}"), err
    assert what in err, err
    return err


def write(tmp_path, name: str, data) -> Path:
    path = tmp_path / name
    if isinstance(data, (dict, list)):
        path.write_text(json.dumps(data))
    elif isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


# ---- item 2: no silent pass ----

def test_an_empty_snapshot_is_refused(capsys, tmp_path):
    empty = write(tmp_path, "empty.json", "")
    refused(capsys, ["check", empty], f"{empty}: ", "the file is empty")
    refused(capsys, ["explain", empty, "--principal", "anonymous", "--action", "s3:GetObject", "--resource",
                     "arn:aws:s3:::b/k"], f"{empty}: ", "the file is empty")
    no_accounts = write(tmp_path, "none.json", {**SNAPSHOT, "accounts": []})
    for argv in (["check", no_accounts], ["report", no_accounts], ["paths", no_accounts, "--from", "external"]):
        refused(capsys, argv, f"{no_accounts}: at /accounts: ", "holds no account")


@pytest.mark.parametrize("cut", [2, 7, 11, 15, 25, 30])
def test_a_snapshot_whose_format_marker_is_cut(capsys, tmp_path, cut):
    text = json.dumps(SNAPSHOT)
    path = write(tmp_path, "cut.json", text[:text.index('"format"') + cut])
    refused(capsys, ["check", path], f"{path}:1:", "invalid JSON")


def test_a_positional_file_of_no_kind_is_an_error_unless_skipped(capsys, tmp_path):
    notes = write(tmp_path, "notes.txt", "hello\n")
    refused(capsys, ["check", notes], f"{notes}: ", "not a snapshot, a Terraform file or directory, a plan or")
    other = write(tmp_path, "package.json", {"name": "web", "version": "1.0.0"})
    refused(capsys, ["check", other], f"{other}: ", 'without the marker `"format": "s3audit.snapshot/v1"`')
    status, out, err = cli(capsys, "check", notes, other, "--skip-unrecognized")  # as the pre-commit hook runs it
    assert status == 0 and f"skipped {notes}" in err and "nothing to check" in err


def test_missing_or_empty_iac_inputs_are_refused(capsys, tmp_path):
    refused(capsys, ["check", "--terraform", tmp_path / "nope"], f"{tmp_path / 'nope'}: ", "no such directory")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("no Terraform here\n")
    refused(capsys, ["check", "--terraform", empty], f"{empty}: ", "no Terraform configuration here")
    refused(capsys, ["check", empty], f"{empty}: ", "no Terraform configuration here")  # positional directory
    refused(capsys, ["check", "--terraform", TEMPLATE], f"{TEMPLATE}: ", "not a directory")
    refused(capsys, ["check", "--cloudformation", tmp_path / "t.yaml"], f"{tmp_path / 't.yaml'}: ", "no such file")
    refused(capsys, ["check", "--terraform-plan", tmp_path / "p.json"], f"{tmp_path / 'p.json'}: ", "no such file")
    refused(capsys, ["check", "--terraform-plan", write(tmp_path, "e.json", "")], f"{tmp_path / 'e.json'}: ",
            "the file is empty")


# Every input of every command, each made unreadable in each way: exit 2 naming it, never a pass.
BROKEN = {
    "missing": None,
    "a directory": "DIR",
    "empty": b"",
    "not UTF-8": b"\xff\xfe\x80\x81",
    "garbage": b"\x00\x01{[",
}
COMMANDS = [
    ("check", lambda x, t: ["check", x]),
    ("check --live", lambda x, t: ["check", "--live", x, "--terraform-plan", PLAN]),
    ("check --baseline", lambda x, t: ["check", "s3audit/demo/estate.json", "--baseline", x]),
    ("check --profile", lambda x, t: ["check", "s3audit/demo/estate.json", "--profile", f"{x}.yaml"]),
    ("check --rules", lambda x, t: ["check", "s3audit/demo/estate.json", "--rules", f"{x}.s3r"]),
    ("check --cloudformation", lambda x, t: ["check", "--cloudformation", x]),
    ("check --terraform-plan", lambda x, t: ["check", "--terraform-plan", x]),
    ("diff old", lambda x, t: ["diff", x, "s3audit/demo/estate.json"]),
    ("diff new", lambda x, t: ["diff", "s3audit/demo/estate.json", x]),
    ("report", lambda x, t: ["report", x, "-o", t / "r.html"]),
    ("explain", lambda x, t: ["explain", x, "--principal", "anonymous", "--action", "s3:GetObject", "--resource",
                              "arn:aws:s3:::b/k"]),
    ("explain --requests", lambda x, t: ["explain", "s3audit/demo/estate.json", "--requests", x]),
    ("paths", lambda x, t: ["paths", x, "--from", "external"]),
    ("scan --snapshot", lambda x, t: ["scan", "--history", t / "history", "--snapshot", x]),
    ("rules check", lambda x, t: ["rules", "check", f"{x}.s3r"]),
]


@pytest.mark.parametrize("how", sorted(BROKEN))
@pytest.mark.parametrize("command", [c for c, _ in COMMANDS])
def test_an_input_that_cannot_be_read_is_never_a_pass(capsys, tmp_path, command, how):
    argv_of = dict(COMMANDS)[command]
    path = tmp_path / "input"
    argv = argv_of(str(path), tmp_path)
    target = Path(next(a for a in argv if str(a).startswith(str(path))))
    data = BROKEN[how]
    if data == "DIR":
        target.mkdir()
    elif data is not None:
        target.write_bytes(data)
    if command == "explain --requests" and how == "empty":
        return  # an empty requests file asks nothing: no answer, exit 0 (see test_cli_explain)
    if command in ("check --rules", "rules check") and how == "empty":
        return  # an empty rule file holds no rule: it is read, and adds nothing
    status, out, err = cli(capsys, *argv)
    assert status == 2, (command, how, status, err)
    assert str(target) in err.splitlines()[0] and "Traceback" not in err and out == ""
    assert not (tmp_path / "r.html").exists()


# ---- item 5: bad input is the file, the place, one sentence ----

def test_a_corrupt_gzip_snapshot(capsys, tmp_path):
    packed = gzip.compress(json.dumps(SNAPSHOT).encode())
    cut = write(tmp_path, "cut.json.gz", packed[:len(packed) // 2])
    refused(capsys, ["check", cut], f"{cut}: ", "not a valid gzip file")
    flipped = bytearray(packed)
    flipped[len(packed) // 2] ^= 0xFF
    bad = write(tmp_path, "flipped.json.gz", bytes(flipped))
    refused(capsys, ["explain", bad, "--principal", "anonymous", "--action", "s3:GetObject", "--resource",
                     "arn:aws:s3:::b/k"], f"{bad}: ", "not a valid gzip file")
    trailing = write(tmp_path, "trailing.json.gz", packed + b"garbage")
    refused(capsys, ["check", trailing], f"{trailing}: ", "not a valid gzip file")


def test_a_gzip_bomb_is_not_read_whole(capsys, tmp_path, monkeypatch):
    from s3audit import fileio
    monkeypatch.setattr(fileio, "MAX_INFLATED", 1 << 20)
    bomb = write(tmp_path, "bomb.json.gz", gzip.compress(b" " * (8 << 20)))
    refused(capsys, ["check", bomb], f"{bomb}: ", "decompresses to more than 1 MiB")


def test_json_nested_100000_deep(capsys, tmp_path):
    deep = write(tmp_path, "deep.json", '{"format": "s3audit.snapshot/v1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(capsys, ["check", deep], f"{deep}:1:", "nested more than 200 deep")
    inner = {**SNAPSHOT}
    inner["accounts"] = copy.deepcopy(SNAPSHOT["accounts"])
    value: list = []
    for _ in range(250):  # within Python's recursion limit, past s3audit's
        value = [value]
    inner["accounts"][0]["s3"]["buckets"][0]["Website"] = {"RoutingRules": value}
    path = write(tmp_path, "inner.json", inner)
    refused(capsys, ["check", path], f"{path}:1:", "nested more than 200 deep")


@pytest.mark.parametrize("pointer, value, what", [
    ("/accounts/0/s3/buckets/0/Acl/Owner/ID", ["c0ffee"], "expected string, found an array"),
    ("/accounts/0/s3/buckets/0/Acl/Grants/0/Grantee/Type", ["CanonicalUser"], "expected one of `CanonicalUser`"),
    ("/accounts/0/s3/buckets/0/Acl/Grants/1/Grantee/URI", {"uri": 1}, "expected string, found an object"),
    ("/accounts/0/s3/buckets/0/Encryption/Rules/0", "AES256", "expected object, found a string"),
    ("/accounts/0/s3/buckets/0/Encryption/Rules", "AES256", "expected array, found a string"),
    ("/accounts/0/s3/buckets/0/Lifecycle/Rules/0/Expiration/Days", "30", "expected integer, found a string"),
    ("/accounts/0/s3/buckets/0/Lifecycle/Rules/0/Expiration/Days", 2.5, "expected integer"),
    ("/accounts/0/s3/buckets/0/Lifecycle/Rules/0/Transitions/0/Days", -1, "must be at least 0"),
    ("/accounts/0/s3/buckets/0/ObjectLock/Rule/DefaultRetention/Days", True, "expected integer, found a boolean"),
    ("/accounts/0/s3/buckets/0/Versioning/Status", 1, "expected string, found a number"),
    ("/accounts/0/s3/buckets/0/Replication/Rules/0/Destination/Bucket", None, "expected string, found null"),
    ("/accounts/0/s3/buckets/0/Name", "a/b", "expected a bucket or access point name"),
    ("/accounts/0/s3/access_points/0/Region", "eu:west", "expected a region name such as eu-west-1"),
    ("/accounts/0/iam/UserDetailList/0/AttachedManagedPolicies/0/PolicyArn", "pass", "expected an ARN"),
    ("/accounts/0/iam/RoleDetailList/0/Arn", "arn:aws:iam:", "expected an ARN"),
])
def test_wrongly_typed_snapshot_values_are_placed_by_pointer(capsys, tmp_path, pointer, value, what):
    doc = copy.deepcopy(SNAPSHOT)
    *parents, last = [int(p) if p.isdigit() else p for p in pointer.split("/")[1:]]
    node = doc
    for p in parents:
        node = node[p]
    node[last] = value
    path = write(tmp_path, "typed.json", doc)
    refused(capsys, ["check", path], f"{path}: at {pointer}: ", what)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_in_lifecycle_days(capsys, tmp_path, literal):
    text = json.dumps(SNAPSHOT).replace('"Days": 30', f'"Days": {literal}', 1)
    path = write(tmp_path, "nan.json", text)
    err = refused(capsys, ["check", path], f"{path}:1:", "")
    assert "is not JSON" in err or "too large" in err
    column = int(err.split(":")[3])
    assert text[column - 1:].startswith(literal)  # the place is the literal itself


def test_yaml_alias_bombs_and_self_references_in_a_profile(capsys, tmp_path):
    lines = ["profile: bomb", 'a0: &a0 ["lol"]'] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]"
                                                     for i in range(1, 10)]
    bomb = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    refused(capsys, ["check", "s3audit/demo/estate.json", "--profile", bomb], f"{bomb}:", "expands to more than 100,000")
    selfref = write(tmp_path, "self.yaml", "profile: x\ndescription: &a [*a]\n")
    refused(capsys, ["check", "s3audit/demo/estate.json", "--profile", selfref], f"{selfref}:2:14: ",
            "refers to a value that contains it")
    ok = write(tmp_path, "ok.yaml", "profile: ok\nsensitive: {data-class: &c [pci]}\nscope: {tags: {data-class: *c}}\n")
    status, _, err = cli(capsys, "check", "s3audit/demo/estate.json", "--profile", ok, "--fail-on", "never")
    assert status == 0, err  # an alias within bounds is ordinary YAML


def _findings(capsys) -> dict:
    status, out, _ = cli(capsys, "check", "s3audit/demo/estate.json", "--format", "json", "--today", "2026-12-01")
    return json.loads(out)


@pytest.mark.parametrize("mutate, pointer, what", [
    (lambda d: d["findings"][0].update(severity="urgent"), "/findings/0/severity", "expected one of `info`"),
    (lambda d: d["findings"][1].update(subject=["arn:aws:s3:::x"]), "/findings/1/subject", "expected string"),
    (lambda d: d["findings"][2].update(location={"file": 1, "line": 1, "column": 1}), "/findings/2/location/file",
     "expected string, found a number"),
    (lambda d: d["findings"][2].update(location={"file": "x.tf", "line": "1", "column": 1}),
     "/findings/2/location/line", "expected integer or null"),
    (lambda d: d["resolved"].append({**d["findings"][0], "controls": "PCI"}), "/resolved/0/controls", "expected array"),
    (lambda d: d["findings"][0].pop("fingerprint"), "/findings/0", "missing required key `fingerprint`"),
    (lambda d: d.update(findings={}), "/findings", "expected array"),
    (lambda d: d["rules"][0].update(severity=3), "/rules/0/severity", "expected one of"),
    (lambda d: d["snapshot"].update(incomplete="all"), "/snapshot/incomplete", "expected array"),
    (lambda d: d.update(format="s3audit.findings/v2"), "/format", "not an s3audit findings file"),
])
def test_malformed_findings_files_for_diff_and_baseline(capsys, tmp_path, mutate, pointer, what):
    doc = _findings(capsys)
    mutate(doc)
    path = write(tmp_path, "findings.json", doc)
    refused(capsys, ["diff", path, "s3audit/demo/estate.json"], f"{path}: at {pointer}: ", what)
    refused(capsys, ["check", "s3audit/demo/estate.json", "--baseline", path], f"{path}: at {pointer}: ", what)


def test_a_lone_surrogate_is_never_echoed_raw(capsys, tmp_path):
    doc = _findings(capsys)
    text = json.dumps(doc).replace(doc["findings"][0]["subject"], doc["findings"][0]["subject"] + "\\udc80", 1)
    path = write(tmp_path, "surrogate.json", text)
    err = refused(capsys, ["diff", path, path], f"{path}: at /findings/0/subject: ", "lone surrogate (\\udc80)")
    assert "\udc80" not in err
    # through a real process: stdout and stderr stay valid UTF-8 whatever the file holds
    done = subprocess.run([sys.executable, "-m", "s3audit", "diff", str(path), str(path)], capture_output=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and done.stdout == b""
    done.stderr.decode("utf-8")


def test_a_snapshot_policy_string_is_strict_json_too(capsys, tmp_path):
    doc = copy.deepcopy(SNAPSHOT)
    doc["accounts"][0]["iam"]["RoleDetailList"][0]["AssumeRolePolicyDocument"] = '{"Version": NaN}'
    path = write(tmp_path, "policy.json", doc)
    refused(capsys, ["check", path], f"{path}: at /accounts/0/iam/RoleDetailList/0/AssumeRolePolicyDocument: ",
            "`NaN` is not JSON")


# ---- item 8: a crash is never mistaken for findings ----

def test_an_internal_error_exits_3_in_one_line(capsys, monkeypatch):
    from s3audit.commands import check

    def broken(args):
        raise RuntimeError("something went wrong\nover two lines")
    monkeypatch.setattr(check, "run", broken)
    status, out, err = cli(capsys, "check", "s3audit/demo/estate.json")
    assert status == 3 and out == ""
    assert err.strip() == ("s3audit: internal error (RuntimeError: something went wrong over two lines); this is a "
                           "bug in s3audit, not a finding; run with --debug or S3AUDIT_DEBUG=1 for the traceback")
    for argv, env in ((["--debug", "check", "s3audit/demo/estate.json"], None),
                      (["check", "s3audit/demo/estate.json", "--debug"], None),
                      (["check", "s3audit/demo/estate.json"], "1")):
        if env:
            monkeypatch.setenv("S3AUDIT_DEBUG", env)
        status, _, err = cli(capsys, *argv)
        assert status == 3 and "Traceback (most recent call last)" in err and "RuntimeError" in err
        assert err.strip().splitlines()[-1].startswith("s3audit: internal error (RuntimeError")


def test_an_internal_error_in_a_real_process_exits_3(tmp_path):
    code = ("import sys; sys.argv = ['s3audit', 'check', 's3audit/demo/estate.json']\n"
            "import s3audit.commands.check as c\n"
            "c.run = lambda args: {}['boom']\n"
            "from s3audit.cli import main; raise SystemExit(main())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "S3AUDIT_DEBUG": ""})
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith("s3audit: internal error (KeyError: 'boom')") and "Traceback" not in done.stderr


@pytest.mark.parametrize("params, where, what", [
    ("params:\n  trusted_accounts: \"999999999999\"\n", "3:21", "is declared as `set<string>` but the profile gives a "
                                                              "string"),
    ("params:\n  trusted_acounts: []\n", "3:3", "the profile sets `trusted_acounts`, which no rule file declares; "
                                                "did you mean `trusted_accounts`?"),
])
def test_a_parameter_the_rules_refuse_is_the_profile_s_error_at_its_line(capsys, tmp_path, params, where, what):
    profile = write(tmp_path, "p.yaml", "profile: p\n" + params)
    refused(capsys, ["check", "s3audit/demo/estate.json", "--profile", profile], f"{profile}:{where}: ", what)
