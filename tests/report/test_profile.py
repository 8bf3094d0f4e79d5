"""Audit profiles: loading with file:line errors, rule selection, scope, severity overrides and waivers."""
from __future__ import annotations

import datetime as dt
import os
import textwrap

import pytest
from hypothesis import given, settings, strategies as st

from s3audit.errors import Place, ProfileError
from s3audit.findings import Finding, Severity, Status
from s3audit.profile import (PROFILE_NAMES, Profile, Scope, Waiver, apply_waivers, builtin_profiles_dir, load_profile,
                             parse_profile)
from s3audit.snapshot.load import load_snapshot
from s3audit.subjects import SubjectIndex

TODAY = dt.date(2026, 11, 24)


def profile_text(text: str, file: str = "policies/test.yaml") -> Profile:
    return parse_profile(textwrap.dedent(text).lstrip("\n"), file)


def error_of(text: str) -> ProfileError:
    with pytest.raises(ProfileError) as exc:
        profile_text(text)
    return exc.value


def finding(rule="R1", subject="arn:aws:s3:::b1", severity=Severity.HIGH, status=Status.OPEN, key=()):
    return Finding(rule, severity, ("X:1",), subject, f"{rule} on {subject}", status=status, key=key)


WAIVERS = """
profile: w
waivers:
  - rule: R1
    resource: "arn:aws:s3:::b1"
    reason: accepted risk
    owner: team-a
    expires: 2026-12-31
  - rule: R2
    resource: "b2"
    reason: website
    owner: team-b
    expires: 2026-11-01
  - rule: R3
    resource: "arn:aws:s3:::nothing-*"
    reason: legacy
    owner: team-c
    expires: 2027-01-01
"""


# ---- loading ----

def test_every_builtin_profile_loads_and_names_its_packs():
    names = sorted(n[:-5] for n in os.listdir(builtin_profiles_dir()) if n.endswith(".yaml"))
    assert names == sorted(PROFILE_NAMES)
    packs = {n: load_profile(n).packs for n in names}
    assert packs["default"] is None  # every pack
    assert packs == {"default": None, "fsbp": ("aws-fsbp",), "cis": ("cis-aws",), "pci": ("pci-dss",), "gdpr": ("gdpr",),
                     "governance": ("governance",), "hygiene": ("hygiene",)}
    assert load_profile("default").threshold() == Severity.HIGH
    assert load_profile("pci").threshold() == Severity.MEDIUM


def test_repository_policies_are_the_builtin_profiles():
    for name in PROFILE_NAMES:
        assert load_profile(f"policies/{name}.yaml").name == name


def test_full_profile_is_read():
    p = profile_text("""
        profile: payments
        description: PCI scope only
        packs: [pci-dss, fsbp]
        rules:
          include: ["PCI-*", "FSBP-S3.*"]
          exclude: [FSBP-S3.13]
        rule_files: [rules/extra.s3r]
        scope:
          accounts: ["2222*"]
          buckets: [payments-*]
          tags: {data-class: [pci, cardholder]}
        params:
          trusted_accounts: ["888888888888"]
          retention_days: {pci: 365}
        severity_overrides:
          FSBP-S3.13: low
        fail_on: medium
        sensitive:
          classification: [secret]
        """)
    assert p.name == "payments" and p.packs == ("pci-dss", "fsbp")
    assert p.rule_files == (os.path.join("policies", "rules/extra.s3r"),)
    assert p.scope.tags == {"data-class": ("pci", "cardholder")}
    assert p.params == {"trusted_accounts": ["888888888888"], "retention_days": {"pci": 365}}
    assert p.severity_overrides == (("FSBP-S3.13", Severity.LOW),)
    assert p.threshold() == Severity.MEDIUM and p.threshold("critical") == Severity.CRITICAL
    assert p.threshold("never") is None
    assert p.sensitive == {"classification": ("secret",)}
    assert p.selects("PCI-KMS", "pci-dss", builtin=True)
    assert not p.selects("FSBP-S3.13", "fsbp", builtin=True)  # excluded
    assert not p.selects("CIS-2.1.1", "cis", builtin=True)  # pack not chosen
    assert not p.selects("FSBP-OTHER", "fsbp", builtin=True)  # not included
    assert p.selects("MY-RULE", "mine", builtin=False)  # --rules and rule_files always apply


@pytest.mark.parametrize("text, where, message", [
    ("profile: x\nwaivers:\n  - rule: R\n    resource: r\n    reason: y\n    owner: o\n    expires: 2026-13-01\n",
     (7, 14), "waiver expiry `2026-13-01` is not a date"),
    ("profile: x\nwaivers:\n  - rule: R\n    resource: r\n    reason: y\n    owner: o\n    expires: \"31/12/2026\"\n",
     (7, 14), "waiver expiry `31/12/2026` is not a date"),
    ("profile: x\nwaivers:\n  - rule: R\n    resource: r\n    reason: y\n    owner: o\n    expires: 2026-02-30\n",
     (7, 14), "waiver expiry `2026-02-30` is not a date"),
    ("profile: x\nwaivers:\n  - rule: R\n    resource: r\n    reason: y\n    expires: 2026-12-01\n",
     (3, 5), "a waiver is missing `owner`"),
    ("profile: x\nfail_on: severe\n", (2, 10), "`severe` is not allowed at `fail_on`"),
    ("profile: x\nwaiver: []\n", (2, 1), "unknown key `waiver` at the top level; did you mean `waivers`?"),
    ("profile: x\nscope:\n  bucket: [a]\n", (3, 3), "unknown key `bucket` at `scope`; did you mean `buckets`?"),
    ("profile: x\npacks: fsbp\n", (2, 8), "expected a list at `packs`, found the string `fsbp`"),
    ("profile: x\npacks: [a]\npacks: [b]\n", (3, 1), "key `packs` appears twice in this mapping"),
    ("profile: x\nseverity_overrides:\n  R1: urgent\n", (3, 7), "`urgent` is not allowed at `severity_overrides/R1`"),
    ("description: no name\n", (1, 1), "the top level is missing `profile`"),
    ("profile: [x\n", (2, 1), "invalid YAML"),
    ("", (1, 1), "the profile is empty"),
])
def test_errors_name_file_line_and_column(text, where, message):
    with pytest.raises(ProfileError) as exc:
        parse_profile(text, "policies/bad.yaml")
    err = exc.value
    assert (err.place.file, err.place.line, err.place.column) == ("policies/bad.yaml", *where), str(err)
    assert message in err.message
    assert str(err).startswith(f"policies/bad.yaml:{where[0]}:{where[1]}: ")
    assert not err.message.endswith(".")


def test_unknown_builtin_profile_suggests_a_name():
    with pytest.raises(ProfileError, match="did you mean `pci`"):
        load_profile("pcii")


def test_unknown_pack_is_an_error_at_its_line():
    p = profile_text("profile: x\npacks: [fsbp, pci]\n")
    with pytest.raises(ProfileError) as exc:
        p.check_packs(["fsbp", "pci-dss", "cis"])
    assert (exc.value.place.line, exc.value.place.column) == (2, 15)
    assert "unknown rule pack `pci`; did you mean `pci-dss`?" in exc.value.message


# ---- waivers ----

def test_active_waiver_marks_the_finding_waived_and_keeps_it():
    p = profile_text(WAIVERS)
    out, outcomes = apply_waivers([finding("R1"), finding("R1", "arn:aws:s3:::b9")], p.waivers, TODAY)
    assert [f.status for f in out] == [Status.WAIVED, Status.OPEN]
    w = out[0].waiver
    assert (w["reason"], w["owner"], w["expires"], w["file"], w["line"]) == (
        "accepted risk", "team-a", "2026-12-31", "policies/test.yaml", 3)
    assert outcomes[0].status == "active" and outcomes[0].matched == (out[0].fingerprint,)


def test_waiver_holds_through_its_expiry_day_and_expires_the_day_after():
    p = profile_text(WAIVERS)
    on_the_day, _ = apply_waivers([finding("R1")], p.waivers, dt.date(2026, 12, 31))
    after, outcomes = apply_waivers([finding("R1")], p.waivers, dt.date(2027, 1, 1))
    assert on_the_day[0].status is Status.WAIVED
    assert after[0].status is Status.OPEN and after[0].waiver is None
    assert outcomes[0].status == "expired" and outcomes[0].matched == (after[0].fingerprint,)


def test_expired_waiver_waives_nothing_and_is_reported():
    p = profile_text(WAIVERS)
    out, outcomes = apply_waivers([finding("R2", "arn:aws:s3:::b2")], p.waivers, TODAY, SubjectIndex(None))
    assert out[0].status is Status.OPEN
    assert outcomes[1].status == "expired" and len(outcomes[1].matched) == 1


def test_stale_waiver_matched_nothing():
    p = profile_text(WAIVERS)
    _, outcomes = apply_waivers([finding("R3", "arn:aws:s3:::other")], p.waivers, TODAY)
    assert outcomes[2].status == "stale" and outcomes[2].matched == ()
    assert outcomes[2].to_json()["line"] == 13


def test_waiver_resource_matches_a_bucket_name_or_glob_and_rule_globs():
    p = profile_text("""
        profile: x
        waivers:
          - {rule: "FSBP-*", resource: "sandbox-*", reason: r, owner: o, expires: 2030-01-01}
        """)
    fs = [finding("FSBP-S3.8", "arn:aws:s3:::sandbox-site"), finding("CIS-1", "arn:aws:s3:::sandbox-site"),
          finding("FSBP-S3.8", "arn:aws:s3:::payments")]
    out, _ = apply_waivers(fs, p.waivers, TODAY, SubjectIndex(None))
    assert [f.status for f in out] == [Status.WAIVED, Status.OPEN, Status.OPEN]


def test_waived_findings_keep_their_fingerprint():
    p = profile_text(WAIVERS)
    f = finding("R1")
    out, _ = apply_waivers([f], p.waivers, TODAY)
    assert out[0].fingerprint == f.fingerprint


# ---- scope and severity ----

@pytest.fixture(scope="module")
def demo_subjects():
    return SubjectIndex(load_snapshot("s3audit/demo/estate.json"))


def test_scope_by_tags_buckets_and_accounts(demo_subjects):
    p = profile_text("""
        profile: x
        scope:
          accounts: ["222222222222", "333333333333"]
          tags: {data-class: [pci, personal]}
        """)
    def ok(subject):
        return p.in_scope(finding(subject=subject), demo_subjects)
    assert ok("arn:aws:s3:::payments-cardholder-data")
    assert ok("arn:aws:s3:::analytics-eu-customers")
    assert not ok("arn:aws:s3:::analytics-raw-events")  # internal
    assert not ok("arn:aws:s3:::sandbox-scratch")  # account 444..., and no tags
    assert ok("arn:aws:iam::333333333333:role/partner-integration")  # a principal: its account decides
    assert not ok("arn:aws:iam::444444444444:role/sandbox-developer")
    assert ok("222222222222")
    b = profile_text("profile: x\nscope:\n  buckets: [payments-*]\n")
    assert b.in_scope(finding(subject="arn:aws:s3:::payments-ledger-archive/2026/x"), demo_subjects)
    assert not b.in_scope(finding(subject="arn:aws:s3:::analytics-eu-customers"), demo_subjects)


def test_bucket_whose_tags_are_unknown_stays_in_scope():
    from s3audit.snapshot.load import snapshot_from_dict
    snap = snapshot_from_dict({"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T00:00:00Z", "accounts": [
        {"id": "111111111111", "iam": {}, "s3": {"buckets": [{"Name": "mystery", "Errors": {"GetBucketTagging": "AccessDenied"}}]}}]})
    p = profile_text("profile: x\nscope:\n  tags: {data-class: pci}\n")
    assert p.in_scope(finding(subject="arn:aws:s3:::mystery"), SubjectIndex(snap))


def test_severity_overrides_first_match_wins():
    p = profile_text("""
        profile: x
        severity_overrides:
          FSBP-S3.13: info
          "FSBP-*": critical
        """)
    assert p.severity_of("FSBP-S3.13", Severity.MEDIUM) == Severity.INFO
    assert p.severity_of("FSBP-S3.1", Severity.MEDIUM) == Severity.CRITICAL
    assert p.severity_of("CIS-1", Severity.LOW) == Severity.LOW


# ---- a property: waivers mark, never drop ----

_rules = st.sampled_from(["R1", "R2", "FSBP-S3.1"])
_subjects = st.sampled_from(["arn:aws:s3:::a", "arn:aws:s3:::ab", "arn:aws:s3:::b"])
_findings = st.lists(st.builds(finding, rule=_rules, subject=_subjects,
                               status=st.sampled_from([Status.OPEN, Status.UNKNOWN]),
                               key=st.tuples(st.sampled_from(["", "k"]))), max_size=8)
_waivers = st.lists(st.builds(lambda r, s, d: Waiver(r, s, "why", "who", TODAY + dt.timedelta(days=d), Place("p", 1)),
                              st.sampled_from(["R1", "R*", "FSBP-*", "X"]),
                              st.sampled_from(["arn:aws:s3:::a*", "*", "b", "nothing"]),
                              st.integers(-3, 3)), max_size=4)


@settings(max_examples=200, deadline=None)
@given(_findings, _waivers)
def test_waivers_mark_findings_and_account_for_every_waiver(findings, waivers):
    out, outcomes = apply_waivers(findings, waivers, TODAY, SubjectIndex(None))
    assert [f.fingerprint for f in out] == [f.fingerprint for f in findings]  # nothing dropped or reordered
    for before, after in zip(findings, out):
        active = [w for w in waivers if not w.expired(TODAY) and w.matches(before, (before.subject.split(":::")[1],))]
        assert (after.status is Status.WAIVED) == bool(active)
        if not active:
            assert after == before
    for w, o in zip(waivers, outcomes):
        hits = [f.fingerprint for f in findings if w.matches(f, (f.subject.split(":::")[1],))]
        assert list(o.matched) == hits
        assert o.status == ("expired" if w.expired(TODAY) else "active" if hits else "stale")


def test_the_example_profile_of_the_reports_doc_loads_and_names_packs_that_exist(tmp_path):
    """docs/reports.md's example profile is a profile s3audit accepts, applying packs that exist (issue 11)."""
    import re
    from pathlib import Path

    from s3audit.lang.evaluate import load_program

    text = re.search(r"```yaml\n(profile: .*?)```", Path("docs/reports.md").read_text(), re.S).group(1)
    (tmp_path / "payments.yaml").write_text(text)
    profile = load_profile(str(tmp_path / "payments.yaml"))
    profile.check_packs({rule.pack for rule in load_program().rules})
    assert profile.packs == ("pci-dss", "aws-fsbp")
    assert profile.rule_files == (str(tmp_path / "rules/payments.s3r"),)


# ---- a property: the profile applied as a whole is the profile applied finding by finding ----

_profiles = st.builds(
    lambda packs, exclude, overrides, buckets, waivers: Profile(
        "p", packs=packs, exclude=exclude, severity_overrides=overrides, scope=Scope(buckets=buckets),
        waivers=waivers),
    st.one_of(st.none(), st.sampled_from([("p1",), ("p2",), ("p1", "p2")])),
    st.sampled_from([(), ("R2",), ("FSBP-*",)]),
    st.lists(st.tuples(st.sampled_from(["R1", "R*", "FSBP-S3.1", "X"]), st.sampled_from(list(Severity))),
             max_size=3).map(tuple),
    st.sampled_from([(), ("a*",), ("b",)]),
    _waivers.map(tuple))


@settings(max_examples=300, deadline=None)
@given(_findings, _profiles)
def test_apply_profile_is_selection_severity_scope_and_waivers_finding_by_finding(findings, profile):
    from s3audit.audit import RuleRun, apply_profile
    from s3audit.report.model import RuleInfo
    rules = [RuleInfo("R1", "", Severity.HIGH, pack="p1"), RuleInfo("R2", "", Severity.LOW, pack="p2"),
             RuleInfo("FSBP-S3.1", "", Severity.MEDIUM, pack="p2")]
    subjects = SubjectIndex(None)
    out = apply_profile(RuleRun(findings, rules, [("p1", "1"), ("p2", "1")]), profile, None, today=TODAY,
                        subjects=subjects)
    chosen = {r.id for r in rules if profile.selects(r.id, r.pack, r.builtin)}
    expected = []
    for f in findings:
        if f.rule not in chosen:
            continue
        severity = profile.severity_of(f.rule, f.severity)
        f = f if severity == f.severity else Finding(f.rule, severity, f.controls, f.subject, f.message,
                                                      status=f.status, key=f.key)
        if profile.in_scope(f, subjects):
            expected.append(f)
    expected, _ = apply_waivers(expected, profile.waivers, TODAY, subjects)
    assert out.findings == expected
    assert [f.severity for f in out.findings] == [f.severity for f in expected]
    assert [r.id for r in out.rules] == [r.id for r in rules if r.id in chosen]
    # a finding the profile changes nothing of is the same object (it keeps its text and fingerprint)
    given_ones = {id(f) for f in findings}
    assert all(a is e for a, e in zip(out.findings, expected) if id(e) in given_ones)
