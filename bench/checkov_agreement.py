"""Agreement with Checkov on the IaC fixtures (run: python3 bench/checkov_agreement.py from the repository root).

1. Installs Checkov 3 into its own virtual environment under the cache directory
   (``$XDG_CACHE_HOME/s3audit-bench/checkov3``; never into s3audit's dependencies) unless it is there.
2. Runs it over every Terraform fixture directory (``--framework terraform``) and CloudFormation template
   (``--framework cloudformation``), keeps its S3 checks, and ties each result to the bucket it is about
   through s3audit's own locations (the file and line range Checkov reports).
3. Writes Checkov's verdicts, with the reason for each disagreement (``REASONS`` below), to
   ``tests/iac/checkov_verdicts.json`` (the test suite checks agreement from that file without Checkov) and
   prints the agreement table that docs/iac.md carries.

``--no-run`` skips Checkov and re-reads the frozen verdicts (to refresh the table after changing REASONS).
"""
from __future__ import annotations

import collections
import contextlib
import glob
import io
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FROZEN = os.path.join(ROOT, "tests", "iac", "checkov_verdicts.json")
CHECKOV_SPEC = "checkov==3.*"

# Checkov check -> the built-in s3audit rule that asks the same question of a bucket.
CHECK_TO_RULE = {
    "CKV_AWS_18": "FSBP-S3.9",     # server access logging
    "CKV_AWS_21": "FSBP-S3.14",    # versioning
    "CKV_AWS_145": "FSBP-S3.17",   # default encryption with a KMS key
    "CKV_AWS_20": "FSBP-S3.2",     # public read (Checkov: through the ACL)
    "CKV2_AWS_43": "FSBP-S3.2",    # read by AuthenticatedUsers (any AWS account: public to AWS)
    "CKV_AWS_57": "FSBP-S3.3",     # public write (Checkov: through the ACL)
    "CKV_AWS_53": "FSBP-S3.8",     # BlockPublicAcls
    "CKV_AWS_54": "FSBP-S3.8",     # BlockPublicPolicy
    "CKV_AWS_55": "FSBP-S3.8",     # IgnorePublicAcls
    "CKV_AWS_56": "FSBP-S3.8",     # RestrictPublicBuckets
    "CKV2_AWS_6": "FSBP-S3.8",     # has a public access block
    "CKV2_AWS_61": "FSBP-S3.13",   # lifecycle configuration
    "CKV2_AWS_65": "FSBP-S3.12",   # ACLs disabled (BucketOwnerEnforced)
    "CKV_AWS_70": "HYG-public-principal",  # policy allows an action to any principal
}

# S3 checks of Checkov with no s3audit counterpart, and why.
UNMAPPED = {
    "CKV_AWS_19": "server-side encryption enabled: S3 encrypts every object (SSE-S3) since 5 January 2023, "
                  "so no bucket can fail it; s3audit's question is which key (S3.17)",
    "CKV_AWS_144": "cross-region replication: a resilience choice, not a data-access control; no built-in rule",
    "CKV2_AWS_62": "event notifications: not a data-access control; no built-in rule",
    "CKV_AWS_300": "abort incomplete multipart uploads: cost hygiene; no built-in rule",
}

_NEW_BUCKET_BPA = ("the file does not configure Block Public Access, and S3 turns all four settings on for "
                   "every new bucket since April 2023 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
                   "create-bucket-overview.html); Checkov reads only what the file sets")
_IGNORED_ACL = ("the new bucket's ACL grants read to everyone (AllUsers or AuthenticatedUsers), but the file sets "
                "neither Object Ownership nor Block Public Access, so S3's defaults for new buckets apply: "
                "BucketOwnerEnforced disables ACLs (S3 rejects the grant with AccessControlListNotSupported) and "
                "IgnorePublicAcls would ignore it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
                "about-object-ownership.html, https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
                "access-control-block-public-access.html); nobody can read")

# (check, Checkov's verdict, s3audit's verdict) -> why s3audit's answer is right; a (fixture, bucket, check)
# key overrides the generic reason. Every disagreement must have one (the test fails otherwise).
REASONS: dict = {
    **{(c, "failed", "passed"): _NEW_BUCKET_BPA
       for c in ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6")},
    ("CKV_AWS_20", "failed", "passed"): _IGNORED_ACL,
    ("CKV2_AWS_43", "failed", "passed"): _IGNORED_ACL,
    "fixtures/terraform/count-for-each|acme-shard-1|CKV2_AWS_6": (
        "the file does give every shard a public access block (`count = length(aws_s3_bucket.shard)`, "
        "all four settings true); Checkov connects only shard[0] to its block"),
}


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "s3audit-bench")


def ensure_checkov() -> str:
    """The checkov executable of the benchmark's own virtual environment, created on first use."""
    venv = os.path.join(cache_dir(), "checkov3")
    exe = os.path.join(venv, "bin", "checkov")
    if not os.path.exists(exe):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", CHECKOV_SPEC], check=True)
    return exe


def checkov_env() -> dict:
    # offline: no guideline download, no telemetry; Checkov must not slow down on network timeouts
    return {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            "LOG_LEVEL": "ERROR"}


def checkov_version(exe: str) -> str:
    return subprocess.run([exe, "--version"], capture_output=True, text=True, env=checkov_env()).stdout.strip()


def fixtures() -> list[tuple[str, str]]:
    """(kind, path relative to the repository root) of every Terraform directory and template."""
    tf = sorted(os.path.relpath(d, ROOT) for d in glob.glob(os.path.join(ROOT, "fixtures/terraform/*/")))
    cfn = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "fixtures/cloudformation/*"))
                 if os.path.isfile(p))
    return [("terraform", p) for p in tf] + [("cloudformation", p) for p in cfn]


def run_checkov(exe: str, kind: str, path: str) -> list[dict]:
    target = ["-d", path] if kind == "terraform" else ["-f", path]
    out = subprocess.run([exe, *target, "--framework", kind, "-o", "json", "--compact", "--quiet",
                          "--skip-download", "--download-external-modules", "false"],
                         capture_output=True, text=True, cwd=ROOT, env=checkov_env())
    docs = json.loads(out.stdout) if out.stdout.strip() else []
    rows = []
    for doc in docs if isinstance(docs, list) else [docs]:
        for key, result in (("passed_checks", "passed"), ("failed_checks", "failed")):
            for c in (doc.get("results") or {}).get(key, []):
                if not (c["resource"].split(".")[-2 if c["resource"].startswith("module.") else 0]
                        .startswith(("aws_s3_", "AWS::S3::")) or ".aws_s3_" in c["resource"]):
                    continue
                rows.append({"check": c["check_id"], "name": c["check_name"], "resource": c["resource"],
                             "file": _checkov_file(kind, path, c["file_path"]),
                             "lines": c["file_line_range"], "result": result})
    return rows


def _checkov_file(kind: str, path: str, reported: str) -> str:
    if kind == "cloudformation":
        return path
    return os.path.normpath(os.path.join(path, reported.lstrip("/")))


# --- s3audit's side --------------------------------------------------------------------------------------

_BUCKET_POINTER = re.compile(r"^/accounts/(\d+)/s3/buckets/(\d+)(?:/|$)")


def load(kind: str, path: str) -> dict:
    from s3audit.sources.iac import load_iac
    doc, _ = load_iac(**{kind: [path]})
    return doc


def s3audit_verdicts(kind: str, path: str) -> dict[str, dict[str, str]]:
    """bucket name -> rule id -> "failed" / "unknown" for every finding of the default profile (a rule
    absent for a bucket passed)."""
    from s3audit.cli import main
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "findings.json")
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(["check", f"--{kind}", path, "--format", "json", "-o", out, "--today", "2026-11-26"])
        if status not in (0, 1):
            raise RuntimeError(f"s3audit check failed on {path} (exit {status})")
        with open(out, encoding="utf-8") as fh:
            report = json.load(fh)
    verdicts: dict[str, dict[str, str]] = collections.defaultdict(dict)
    for f in report["findings"]:
        if f["subject"].startswith("arn:aws:s3:::") and f["status"] in ("open", "unknown"):
            bucket = f["subject"][len("arn:aws:s3:::"):]
            verdict = "failed" if f["status"] == "open" else "unknown"
            if verdicts[bucket].get(f["rule"]) != "failed":
                verdicts[bucket][f["rule"]] = verdict
    return verdicts


def bucket_of(row: dict, doc: dict) -> str | None:
    """The bucket a Checkov result is about: the one whose s3audit location lies in the result's lines."""
    start, end = row["lines"]
    found: dict[tuple[int, int], str] = {}
    for pointer, loc in (doc.get("locations") or {}).items():
        m = _BUCKET_POINTER.match(pointer)
        if m and os.path.normpath(loc["file"]) == row["file"] and start <= loc["line"] <= end:
            a, b = int(m.group(1)), int(m.group(2))
            found[(a, b)] = doc["accounts"][a]["s3"]["buckets"][b]["Name"]
    names = [found[k] for k in sorted(found)]
    if len(names) <= 1:
        return names[0] if names else None
    # several instances (count, for_each, module calls) share the lines: pick by instance key
    keys = re.findall(r'\[(?:"([^"]+)"|(\d+))\]', row["resource"])
    modules = re.findall(r"module\.([A-Za-z0-9_-]+)", row["resource"])
    for key in [k for pair in keys for k in pair if k] + modules:
        hits = [n for n in names if re.search(rf"(^|[-_.]){re.escape(key)}($|[-_.])", n)]
        if len(hits) == 1:
            return hits[0]
    if keys and keys[-1][1] and int(keys[-1][1]) < len(names):
        return names[int(keys[-1][1])]
    return None


def combine(rows: list[dict], kind: str, path: str, doc: dict) -> dict[str, dict[str, str]]:
    """bucket -> check -> Checkov's verdict (failed if any of its results on the bucket's resources failed)."""
    out: dict[str, dict[str, str]] = collections.defaultdict(dict)
    for row in rows:
        bucket = bucket_of(row, doc)
        if bucket is None:
            print(f"  {path}: no bucket for {row['resource']} ({row['check']})", file=sys.stderr)
            continue
        if out[bucket].get(row["check"]) != "failed":
            out[bucket][row["check"]] = row["result"]
    return {b: dict(sorted(v.items())) for b, v in sorted(out.items())}


def reason_for(fixture: str, bucket: str, check: str, checkov: str, s3audit: str, reasons: dict) -> str | None:
    return reasons.get(f"{fixture}|{bucket}|{check}") or reasons.get(f"{check}|{checkov}|{s3audit}")


def compare(frozen: dict) -> list[dict]:
    """One row per (fixture, bucket, mapped check): both verdicts and, if they differ, the reason."""
    rows = []
    for fixture, entry in frozen["fixtures"].items():
        ours = s3audit_verdicts(entry["kind"], fixture)
        for bucket, checks in entry["buckets"].items():
            for check, theirs in checks.items():
                rule = CHECK_TO_RULE.get(check)
                if rule is None:
                    continue
                mine = ours.get(bucket, {}).get(rule, "passed")
                rows.append({"fixture": fixture, "bucket": bucket, "check": check, "rule": rule,
                             "checkov": theirs, "s3audit": mine,
                             "reason": None if mine == theirs else
                             reason_for(fixture, bucket, check, theirs, mine, frozen["reasons"])})
    return rows


def table(frozen: dict, rows: list[dict]) -> str:
    lines = [f"Checkov {frozen['checkov']} on {len(frozen['fixtures'])} fixtures "
             f"({sum(1 for e in frozen['fixtures'].values() if e['kind'] == 'terraform')} Terraform directories, "
             f"{sum(1 for e in frozen['fixtures'].values() if e['kind'] == 'cloudformation')} CloudFormation "
             f"templates); one verdict per bucket and check.", "",
             "| Checkov check | s3audit rule | buckets | agree | disagree (fixture: bucket) |", "|---|---|---|---|---|"]
    by_check = collections.defaultdict(list)
    for r in rows:
        by_check[(r["check"], r["rule"])].append(r)
    notes: dict[str, int] = {}
    for (check, rule), rs in sorted(by_check.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        agree = sum(1 for r in rs if r["checkov"] == r["s3audit"])
        diffs = []
        for r in rs:
            if r["checkov"] != r["s3audit"]:
                n = notes.setdefault(r["reason"] or "UNEXPLAINED", len(notes) + 1)
                diffs.append(f"`{os.path.basename(r['fixture'].rstrip('/'))}`: {r['bucket']} "
                             f"(Checkov {r['checkov']}, s3audit {r['s3audit']}) [{n}]")
        lines.append(f"| {check} {frozen['names'][check]} | {rule} | {len(rs)} | {agree} | "
                     f"{'; '.join(diffs) or '—'} |")
    lines += ["", *(f"[{n}] {text}" for text, n in notes.items())]
    lines += ["", "Checkov's S3 checks with no s3audit counterpart:", ""]
    lines += [f"* {c} ({frozen['names'].get(c, 'not reported in this run')}): {why}" for c, why in UNMAPPED.items()]
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    if "--no-run" in sys.argv:
        with open(FROZEN, encoding="utf-8") as fh:
            frozen = json.load(fh)
    else:
        exe = ensure_checkov()
        frozen = {"checkov": checkov_version(exe), "fixtures": {}, "names": {}}
        for kind, path in fixtures():
            print(f"checkov {path}", file=sys.stderr)
            rows = run_checkov(exe, kind, path)
            frozen["names"].update({r["check"]: r["name"] for r in rows})
            frozen["fixtures"][path] = {"kind": kind, "buckets": combine(rows, kind, path, load(kind, path))}
        frozen["names"] = dict(sorted(frozen["names"].items()))
    frozen["mapping"] = CHECK_TO_RULE
    frozen["reasons"] = {(k if isinstance(k, str) else "|".join(k)): v for k, v in REASONS.items()}
    from s3audit.fileio import write_atomic
    write_atomic(FROZEN, (json.dumps(frozen, indent=1, sort_keys=False) + "\n").encode())
    rows = compare(frozen)
    print(table(frozen, rows))
    unexplained = [r for r in rows if r["checkov"] != r["s3audit"] and not r["reason"]]
    for r in unexplained:
        print(f"UNEXPLAINED: {r}", file=sys.stderr)
    return 1 if unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())
