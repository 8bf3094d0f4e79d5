"""A tiny stand-in for the rule evaluator: a few rules over the snapshot model, returning real Findings.

It lets the reports, profiles and commands be tested through the same pipeline the real evaluator feeds
(``s3audit.audit.set_evaluator``), with findings whose rules, subjects and evidence are known exactly.
"""
from __future__ import annotations

from s3audit.audit import RuleRun
from s3audit.findings import Finding, Severity, Status
from s3audit.report.model import RuleInfo
from s3audit.snapshot.model import UNKNOWN

RULES = [
    RuleInfo("FAKE-KMS", "Buckets are encrypted with KMS", Severity.MEDIUM, ("AWS-FSBP:S3.17",),
             "Customer managed keys give control over who can decrypt.", "Set SSE-KMS default encryption.",
             "aws-fsbp", "rules/fake.s3r", 3),
    RuleInfo("FAKE-TAGS", "Buckets carry owner and data-class tags", Severity.LOW, ("GOV:tags",),
             "Every bucket needs an owner.", "Tag the bucket.", "governance", "rules/fake.s3r", 10),
    RuleInfo("FAKE-PUBLIC", "No bucket is readable by anyone", Severity.CRITICAL, ("AWS-FSBP:S3.2", "CIS-AWS-3.0:2.1.4"),
             "Public buckets leak data.", "Turn on Block Public Access.", "aws-fsbp", "rules/fake.s3r", 20),
    RuleInfo("FAKE-POLICY-KNOWN", "Bucket policies can be read", Severity.HIGH, ("AWS-FSBP:S3.5",),
             "Unknown policies cannot be judged.", "Grant s3:GetBucketPolicy to the scanner.", "aws-fsbp",
             "rules/fake.s3r", 30),
    RuleInfo("FAKE-TLS", "Buckets deny requests without TLS", Severity.HIGH, ("AWS-FSBP:S3.5", "CIS-AWS-3.0:2.1.1"),
             "Plain HTTP exposes data in transit.", "Deny aws:SecureTransport false.", "cis-aws", "rules/fake.s3r", 35),
    RuleInfo("FAKE-CLEAN", "A rule that never fires", Severity.INFO, (), "", "", "hygiene", "rules/fake.s3r", 40),
]
PACKS = [("aws-fsbp", "1.0.0"), ("cis-aws", "1.0.0"), ("governance", "1.0.0"), ("hygiene", "1.0.0")]


def _denies_plain_http(bucket) -> bool:
    doc = bucket.policy.document if bucket.policy not in (None, UNKNOWN) else None
    for st in (doc or {}).get("Statement", []) if isinstance(doc, dict) else []:
        cond = st.get("Condition", {})
        if st.get("Effect") == "Deny" and str(cond.get("Bool", {}).get("aws:SecureTransport")).lower() == "false":
            return True
    return False


def _public_statement(bucket):
    if bucket.policy is UNKNOWN or bucket.policy is None:
        return None
    doc = bucket.policy.document
    for i, st in enumerate(doc.get("Statement", []) if isinstance(doc, dict) else []):
        if st.get("Effect") == "Allow" and st.get("Principal") in ("*", {"AWS": "*"}) and not st.get("Condition"):
            return i
    return None


def fake_evaluator(snapshot, rule_files, params, *, engine=None, graph=None) -> RuleRun:
    by = {r.id: r for r in RULES}
    out = []
    for b in snapshot.buckets:
        enc = b.encryption
        if enc is not UNKNOWN:
            algo = ((enc or {}).get("Rules") or [{}])[0].get("ApplyServerSideEncryptionByDefault", {}).get(
                "SSEAlgorithm") if enc else None
            if algo not in ("aws:kms", "aws:kms:dsse"):
                r = by["FAKE-KMS"]
                out.append(Finding(r.id, r.severity, r.controls, b.arn,
                                   f"{b.name} is encrypted with {algo or 'nothing'}, not KMS",
                                   evidence=({"encryption": algo},), pointer=b.pointer + "/Encryption"))
        if b.tags is not UNKNOWN and not ("owner" in b.tags and "data-class" in b.tags):
            r = by["FAKE-TAGS"]
            out.append(Finding(r.id, r.severity, r.controls, b.arn, f"{b.name} has no owner or data-class tag",
                               pointer=b.pointer))
        i = _public_statement(b)
        if i is not None:
            r = by["FAKE-PUBLIC"]
            hops = [{"from": "anonymous", "to": b.name, "kind": "access", "decision": "allow",
                     "actions": ["s3:GetObject"], "reasons": [{"source": f"bucket policy of {b.arn}",
                                                               "pointer": f"{b.pointer}/Policy/Statement/{i}"}]}]
            out.append(Finding(r.id, r.severity, r.controls, b.arn, f"anyone can read {b.name}",
                               evidence=({"principal": "anonymous", "bucket": b.name, "access": ["s3:GetObject"],
                                          "decision": "allow", "hops": hops},)))
        if b.policy is not UNKNOWN and not _denies_plain_http(b):
            r = by["FAKE-TLS"]
            out.append(Finding(r.id, r.severity, r.controls, b.arn, f"{b.name} accepts plain-HTTP requests",
                               pointer=b.pointer))
        if b.policy is UNKNOWN:
            r = by["FAKE-POLICY-KNOWN"]
            out.append(Finding(r.id, r.severity, r.controls, b.arn, f"the policy of {b.name} could not be read",
                               status=Status.UNKNOWN, evidence=(dict(b.errors),)))
    seen = set()
    for r in snapshot.accounts:
        for role in r.roles:
            trust = role.trust.document if role.trust else None
            for i, st in enumerate((trust or {}).get("Statement", [])):
                principal = st.get("Principal", {})
                aws = principal.get("AWS") if isinstance(principal, dict) else None
                for arn in ([aws] if isinstance(aws, str) else aws or []):
                    acct = arn.split(":")[4] if arn.startswith("arn:") else arn
                    if acct.isdigit() and not snapshot.in_organization(acct):
                        hop = {"from": arn, "to": role.arn, "kind": "assume", "decision": "allow",
                               "actions": ["sts:AssumeRole"],
                               "reasons": [{"source": "trust", "pointer": f"{role.pointer}/AssumeRolePolicyDocument/Statement/{i}"}]}
                        out.append(Finding("FAKE-EXTERNAL-TRUST", Severity.HIGH, ("PCI-DSS-4.0:7.2.1",), role.arn,
                                           f"{arn} outside the organization can assume {role.name}",
                                           evidence=({"principal": arn, "bucket": role.name, "hops": [hop]},),
                                           key=(arn,)))
                        # the path on to every bucket the role's inline policies name (live permissions)
                        for doc in role.inline:
                            for j, grant in enumerate((doc.document or {}).get("Statement", [])):
                                res = grant.get("Resource", [])
                                for bucket_arn in sorted({x.split("/")[0] for x in ([res] if isinstance(res, str) else res)
                                                          if x.startswith("arn:aws:s3:::")}):
                                    access = {"from": role.arn, "to": bucket_arn.split(":::")[1], "kind": "access",
                                              "actions": grant.get("Action") if isinstance(grant.get("Action"), list)
                                              else [grant.get("Action")],
                                              "reasons": [{"source": "identity", "pointer": f"{doc.pointer}/Statement/{j}"}]}
                                    if (arn, bucket_arn) in seen:
                                        continue
                                    seen.add((arn, bucket_arn))
                                    out.append(Finding("FAKE-PATH", Severity.CRITICAL, ("PCI-DSS-4.0:7.2.1",), bucket_arn,
                                                       f"{arn} can reach {bucket_arn} through {role.name}",
                                                       evidence=(hop, access),  # as the evaluator: the hops
                                                       key=(arn,)))
    rules = RULES + [RuleInfo("FAKE-PATH", "No external path to data", Severity.CRITICAL, ("PCI-DSS-4.0:7.2.1",),
                              "", "", "pci-dss", "rules/fake.s3r", 60),
                     RuleInfo("FAKE-EXTERNAL-TRUST", "No role trusts accounts outside the organization", Severity.HIGH,
                              ("PCI-DSS-4.0:7.2.1",), "", "", "pci-dss", "rules/fake.s3r", 50)]
    return RuleRun(out, rules, PACKS + [("pci-dss", "1.0.0")])
