"""The bundled demo estate: generated, in sync, valid, and saying what PLANTED says it says.

The estate is the shared fixture of the engine, graph, rule and report tests, and what `s3audit demo` tours;
these tests pin its contract: the generator reproduces the committed files byte for byte, every subject named
in planted.yaml exists, the clean buckets are clean, day 2 differs from day 1 exactly as documented, and both
snapshots pass the package's JSON Schema and loader.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "fixtures/demo/build.py"
ESTATE = REPO / "s3audit/demo/estate.json"
ESTATE_DAY2 = REPO / "s3audit/demo/estate-day2.json"
PLANTED = REPO / "fixtures/demo/planted.yaml"
SCHEMA = REPO / "s3audit/snapshot/schema.json"
GENERATED = ["s3audit/demo/estate.json", "s3audit/demo/estate-day2.json", "fixtures/demo/planted.yaml",
             "fixtures/demo/PLANTED.md"]


def _load_build_module():
    spec = importlib.util.spec_from_file_location("demo_build", BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_module()


@pytest.fixture(scope="module")
def day1() -> dict:
    return json.loads(ESTATE.read_text())


@pytest.fixture(scope="module")
def day2() -> dict:
    return json.loads(ESTATE_DAY2.read_text())


@pytest.fixture(scope="module")
def planted() -> dict:
    return yaml.safe_load(PLANTED.read_text())


def _buckets(snapshot: dict) -> dict[str, dict]:
    return {b["Name"]: b for a in snapshot["accounts"] for b in a["s3"]["buckets"]}


def _principals(snapshot: dict) -> set[str]:
    arns = set()
    for a in snapshot["accounts"]:
        iam = a["iam"]
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
            arns |= {x["Arn"] for x in iam.get(key, [])}
    return arns


def _role(snapshot: dict, arn: str) -> dict:
    return next(r for a in snapshot["accounts"] for r in a["iam"]["RoleDetailList"] if r["Arn"] == arn)


def _subject_exists(snapshot: dict, kind: str, subject: str) -> bool:
    if kind == "bucket":
        return subject in _buckets(snapshot)
    if kind == "account":
        return subject in {a["id"] for a in snapshot["accounts"]}
    if kind == "principal":
        return subject in _principals(snapshot)
    raise AssertionError(f"unknown subject kind {kind!r}")


# --- the generator ------------------------------------------------------------------------------------------

def test_generator_reproduces_the_committed_files(tmp_path):
    subprocess.run([sys.executable, str(BUILD), "--out", str(tmp_path)], check=True, capture_output=True)
    for rel in GENERATED:
        assert (tmp_path / rel).read_bytes() == (REPO / rel).read_bytes(), \
            f"{rel} is out of date: run `python3 fixtures/demo/build.py`"


def test_fixture_links_point_into_the_package():
    for name in ("estate.json", "estate-day2.json"):
        link = REPO / "fixtures/demo" / name
        assert link.is_symlink()
        assert link.resolve() == (REPO / "s3audit/demo" / name).resolve()


def test_the_package_ships_the_estate():
    files = resources.files("s3audit.demo")
    assert json.loads(files.joinpath("estate.json").read_text("utf-8"))["format"] == "s3audit.snapshot/v1"
    assert files.joinpath("estate-day2.json").is_file()


# --- schema and loader --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [ESTATE, ESTATE_DAY2], ids=["day1", "day2"])
def test_estate_is_valid_against_the_package_schema(path):
    if not SCHEMA.exists():
        pytest.skip("s3audit/snapshot/schema.json has not landed yet")
    import jsonschema
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(json.loads(path.read_text()))


@pytest.mark.parametrize("path", [ESTATE, ESTATE_DAY2], ids=["day1", "day2"])
def test_estate_loads_through_the_snapshot_loader(path):
    load = pytest.importorskip("s3audit.snapshot.load")
    snapshot = load.load_snapshot(str(path))
    assert len(snapshot.accounts) == 4
    ml = next(b for b in snapshot.buckets if b.name == "analytics-ml-features")
    from s3audit.snapshot.model import UNKNOWN
    assert ml.policy is UNKNOWN  # a failed GetBucketPolicy is unknown, not "no policy"


# --- planted.yaml against the estate ------------------------------------------------------------------------

def test_every_problem_subject_exists(day1, day2, planted):
    for p in planted["problems"]:
        assert p["families"] and set(p["families"]) <= set(planted["families"]), p["id"]
        assert p["aws_doc"].startswith("https://"), p["id"]
        assert _subject_exists(day1, p["kind"], p["subject"]), p["id"]
    for p in planted["day2"]["problems"]:
        assert _subject_exists(day2, p["kind"], p["subject"]), p["id"]


def test_clean_buckets_exist_are_clean_and_are_nobodys_subject(day1, planted):
    buckets = _buckets(day1)
    subjects = {p["subject"] for p in planted["problems"]}
    assert len(planted["clean_buckets"]) >= 2
    for name in planted["clean_buckets"]:
        assert name in buckets and name not in subjects
        assert build.baseline_gaps(buckets[name]) == []
        owner = next(a for a in day1["accounts"] if name in _buckets({"accounts": [a]}))
        assert owner["s3"]["public_access_block"] == build.ALL_ON


def test_every_non_clean_bucket_has_a_listed_problem(day1, planted):
    subjects = {p["subject"] for p in planted["problems"]}
    for name in _buckets(day1):
        assert name in subjects or name in planted["clean_buckets"], name


def test_every_baseline_gap_is_listed(day1, planted):
    listed = {(p["subject"], code) for p in planted["problems"] for code in p["covers"]}
    for subject, _, code, _ in build.all_gaps(day1):
        assert (subject, code) in listed, (subject, code)


def test_decisions_name_existing_principals_and_resources(day1, planted):
    principals = _principals(day1)
    buckets = _buckets(day1)
    external = {build.root_arn(build.PARTNER_999), build.root_arn(build.VENDOR_888)}
    for d in planted["decisions"]:
        assert d["principal"] in principals | external | {"anonymous"}, d
        assert d["resource"].split(":::", 1)[1].split("/", 1)[0] in buckets, d
        assert d["decision"] in ("allow", "deny")


def test_day2_fixes_one_problem_and_adds_one_public_bucket(day1, day2, planted):
    d2 = planted["day2"]
    assert d2["fixed"] == ["missing-tls-only-policy"]
    assert set(_buckets(day2)) - set(_buckets(day1)) == {d2["new_public_bucket"]}
    assert set(_buckets(day1)) <= set(_buckets(day2))
    new = _buckets(day2)[d2["new_public_bucket"]]
    assert new["PolicyStatus"] == {"IsPublic": True} and new["PublicAccessBlock"] == build.ALL_OFF
    assert build.baseline_gaps(_buckets(day2)["analytics-raw-events"]) == []
    assert day2["taken_at"] == "2026-11-25T02:00:00Z" and day1["taken_at"] == "2026-11-24T02:00:00Z"


# --- the planted chain and other load-bearing details, pinned ------------------------------------------------

def test_the_external_chain_is_wired_as_documented(day1, planted):
    hops = planted["chain"]["hops"]
    assert [h["from"] for h in hops] == ["arn:aws:iam::999999999999:root",
                                         "arn:aws:iam::333333333333:role/partner-integration",
                                         "arn:aws:iam::222222222222:role/payments-reader"]
    partner = _role(day1, "arn:aws:iam::333333333333:role/partner-integration")
    (trust,) = partner["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::999999999999:root"} and "Condition" not in trust
    (assume,) = partner["RolePolicyList"][0]["PolicyDocument"]["Statement"]
    assert assume["Action"] == "sts:AssumeRole"
    assert assume["Resource"] == "arn:aws:iam::222222222222:role/payments-reader"
    reader = _role(day1, "arn:aws:iam::222222222222:role/payments-reader")
    assert reader["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::333333333333:role/partner-integration"}
    read = reader["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]
    assert read["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert set(read["Resource"]) == {"arn:aws:s3:::payments-cardholder-data", "arn:aws:s3:::payments-cardholder-data/*"}


def test_the_rcp_covers_payments_only_and_full_access_policies_are_everywhere(day1):
    policies = {p["Name"]: p for p in day1["organization"]["policies"]}
    assert policies["payments-data-perimeter"]["Targets"] == ["222222222222"]
    assert policies["payments-data-perimeter"]["Type"] == "RESOURCE_CONTROL_POLICY"
    every = {"r-demo", "ou-demo-prod0001", "ou-demo-sbox0001", "111111111111", "222222222222", "333333333333",
             "444444444444"}
    assert set(policies["FullAWSAccess"]["Targets"]) == every
    assert set(policies["RCPFullAWSAccess"]["Targets"]) == every


def test_one_trust_policy_is_url_encoded_text(day1):
    encoded = [r for a in day1["accounts"] for r in a["iam"]["RoleDetailList"]
               if isinstance(r["AssumeRolePolicyDocument"], str)]
    assert [r["RoleName"] for r in encoded] == ["vendor-reader"]
    document = json.loads(unquote(encoded[0]["AssumeRolePolicyDocument"]))
    assert document["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "vx-7f3a9c2e"}}


def test_each_account_has_one_canonical_owner(day1):
    for a in day1["accounts"]:
        owners = {b["Acl"]["Owner"]["ID"] for b in a["s3"]["buckets"]}
        assert len(owners) <= 1 and all(len(o) == 64 for o in owners)
    assert len({b["Acl"]["Owner"]["ID"] for b in _buckets(day1).values()}) == 3  # three accounts own buckets


def test_neutralised_public_acl_bucket(day1):
    b = _buckets(day1)["sandbox-legacy-uploads"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in b["Acl"]["Grants"]
    assert b["PublicAccessBlock"]["IgnorePublicAcls"] is True
    assert b["OwnershipControls"]["Rules"][0]["ObjectOwnership"] != "BucketOwnerEnforced"
    sandbox = next(a for a in day1["accounts"] if a["id"] == "444444444444")
    assert sandbox["s3"]["public_access_block"] is None


def test_unknown_policy_bucket_has_no_policy_key(day1):
    b = _buckets(day1)["analytics-ml-features"]
    assert b["Errors"] == {"GetBucketPolicy": "AccessDenied"} and "Policy" not in b


def test_managed_policies_have_exactly_one_default_version(day1):
    for a in day1["accounts"]:
        for p in a["iam"]["Policies"]:
            defaults = [v for v in p["PolicyVersionList"] if v["IsDefaultVersion"]]
            assert len(defaults) == 1 and defaults[0]["VersionId"] == p["DefaultVersionId"], p["Arn"]


def test_iam_ids_have_aws_shapes(day1):
    import re
    shapes = {"UserDetailList": ("UserId", "AIDA"), "GroupDetailList": ("GroupId", "AGPA"),
              "RoleDetailList": ("RoleId", "AROA"), "Policies": ("PolicyId", "ANPA")}
    seen = set()
    for a in day1["accounts"]:
        for key, (field, prefix) in shapes.items():
            for x in a["iam"][key]:
                assert re.fullmatch(prefix + r"[A-Z0-9]{17}", x[field]), x[field]
                seen.add((x["Arn"], x[field]))
    assert len({i for _, i in seen}) == len(seen)  # no two entities share an id


# --- the engine agrees with the answers the estate was built to give ----------------------------------------

@pytest.fixture(scope="module")
def engine():
    engine_module = pytest.importorskip("s3audit.iam.engine")
    from s3audit.snapshot.load import load_snapshot
    e = engine_module.Engine(load_snapshot(str(ESTATE)))
    e.compile_all()  # every policy of the estate compiles (the planted typo is a diagnostic, not an error)
    return e


def test_planted_decisions_match_the_engine(engine, planted):
    from s3audit.iam.engine import Request
    for d in planted["decisions"]:
        got = engine.decide(Request(d["principal"], d["action"], d["resource"], d["context"]))
        assert got.decision == d["decision"], (d, got.to_json())
