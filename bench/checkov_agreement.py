"""Agreement with Checkov on the IaC fixtures (run: python3 bench/checkov_agreement.py from the repository root).

1. Installs Checkov 3 into its own virtual environment under the cache directory
   (``$XDG_CACHE_HOME/s3audit-bench/checkov3``; never into s3audit's dependencies) unless it is there.
2. Runs it over every Terraform fixture directory (``--framework terraform``), CloudFormation template
   (``--framework cloudformation``) and Terraform plan (``--framework terraform_plan``), keeps its S3 checks,
   and ties each result to the bucket or access point it is about: through s3audit's own locations (the file
   and line range Checkov reports) for directories and templates, through the resource address for plans.
3. Writes Checkov's verdicts, s3audit's verdicts on the same input, and the reason for each disagreement
   (``REASONS`` below) to ``tests/iac/checkov_verdicts.json`` (the test suite checks from that file, without
   Checkov, that s3audit still gives the frozen verdicts) and prints the agreement table that docs/iac.md carries.

Plans. A plan fixture ``x.json`` is run as ``checkov -f x.json --framework terraform_plan``; when its
configuration directory ``x/`` exists, Checkov also gets ``--repo-root-for-plan-enrichment x/ --deep-analysis``
and s3audit ``--terraform-dir x/``, so both tools see the same input. Neither option changes a verdict of
Checkov 3.3.30 on these fixtures (measured: same passed and failed checks with and without them); Checkov's
plan checks read only the plan's ``after`` values, and a value in ``after_unknown`` is simply absent to them
(a policy known only after apply is never checked; a KMS key known only after apply still passes CKV_AWS_145),
where s3audit resolves what the configuration tells and marks the rest unknown. Checkov names plan results by
resource address and reports lines of the plan JSON, so plan results are tied through the address.

Checkov must run without ``--quiet``: with it the JSON report leaves out every passed check, and the
agreement would only ever see Checkov's failures.

``--only FIXTURE...`` runs Checkov on the fixtures named (new or changed ones) and keeps the frozen Checkov verdicts
of the others. ``--no-run`` skips Checkov and re-reads the frozen Checkov verdicts; it recomputes s3audit's verdicts and
writes them as the new frozen ones (after a deliberate change of s3audit, or of REASONS).
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

# Checkov check -> the built-in s3audit rule that asks the same question of a bucket (or access point).
CHECK_TO_RULE = {
    "CKV_AWS_18": "FSBP-S3.9",     # server access logging
    "CKV_AWS_21": "FSBP-S3.14",    # versioning
    "CKV_AWS_143": "FSBP-S3.15",   # Object Lock
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
    "CKV_AWS_392": "FSBP-S3.19",   # access point Block Public Access
    "CKV_AWS_70": "HYG-public-principal",  # policy allows an action to any principal
}

# Checks that ask about one of the four settings FSBP-S3.8 requires together. Where the rule fails, s3audit's
# verdict on such a check is whether that one setting is on in s3audit's reading of the input (the bucket's
# PublicAccessBlock after S3's defaults for new buckets: the value the rule reads).
CHECK_SETTING = {
    "CKV_AWS_53": "BlockPublicAcls",
    "CKV_AWS_54": "BlockPublicPolicy",
    "CKV_AWS_55": "IgnorePublicAcls",
    "CKV_AWS_56": "RestrictPublicBuckets",
}

# S3 checks of Checkov with no s3audit counterpart, and why.
UNMAPPED = {
    "CKV_AWS_19": "server-side encryption enabled: S3 encrypts every object (SSE-S3) since 5 January 2023, "
                  "so no bucket can fail it; s3audit's question is which key (S3.17)",
    "CKV_AWS_144": "cross-region replication: a resilience choice, not a data-access control; no built-in rule",
    "CKV2_AWS_62": "event notifications: not a data-access control; no built-in rule",
    "CKV_AWS_300": "abort incomplete multipart uploads: cost hygiene; no built-in rule",
    "CKV_AWS_93": "a bucket policy that denies everyone but the root user: locks administrators out, exposes no "
                  "data; no built-in rule",
    "CKV_AWS_375": "`aws_s3_bucket_acl` granting READ_ACP or FULL_CONTROL to AllUsers: reading the ACL exposes its "
                   "grants, not data; FULL_CONTROL's data access is S3.2's and S3.3's question",
    "CKV_AWS_379": "on `aws_s3_bucket_acl`, fails only a bucket made public by its ACL whose policy does not require "
                   "TLS: a mix of S3.2 and S3.5 that no one rule asks (S3.5 asks TLS of every bucket)",
}

_S3_PUBLIC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
_NEW_BUCKET_BPA = ("the file does not configure Block Public Access, and S3 turns all four settings on for "
                   "every new bucket since April 2023 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
                   "create-bucket-overview.html); Checkov reads only what the file sets")
_IGNORED_ACL = ("the new bucket's ACL grants read to everyone (AllUsers or AuthenticatedUsers), but the file sets "
                "neither Object Ownership nor Block Public Access, so S3's defaults for new buckets apply: "
                "BucketOwnerEnforced disables ACLs (S3 rejects the grant with AccessControlListNotSupported) and "
                "IgnorePublicAcls would ignore it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
                f"about-object-ownership.html, {_S3_PUBLIC}); nobody can read")
_PUBLIC_POLICY = ("the bucket policy allows s3:GetObject to `*` with no condition and the bucket's Block Public "
                  "Access leaves BlockPublicPolicy and RestrictPublicBuckets off, so anyone can read "
                  f"({_S3_PUBLIC}#access-control-block-public-access-policy-status); Checkov's check reads only "
                  "the bucket ACL")
_ALL_USERS_ACL = ("the canned ACL `public-read` grants AllUsers READ on the bucket, which lets anyone list it "
                  f"(ACLs enabled by BucketOwnerPreferred, Block Public Access all off: {_S3_PUBLIC}); this check "
                  "asks only about AuthenticatedUsers, and CKV_AWS_20, which asks about AllUsers, agrees")
_OBJECT_ACLS = ("in the input ACLs are enabled (no BucketOwnerEnforced; a bucket the change does not create has no "
                "Object Ownership in it at all) and IgnorePublicAcls is off, and then S3 honours object ACLs: any "
                "object can carry a public one that no configuration shows "
                "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html, "
                "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html), so whether "
                "the public can read objects or change their permissions is unknown, which s3audit says; Checkov's "
                "check reads only the bucket ACL")
_EMPTY_IN_PLAN = ("the plan records the existing bucket's `{attr} = []`: the provider found no {what} configuration "
                  "on the bucket ({api}), so the bucket has none; Checkov's plan check passes on the attribute "
                  "merely existing (its `exists` operator)")
_EMPTY_LOGGING = _EMPTY_IN_PLAN.format(attr="logging", what="logging", api="GetBucketLogging returned no "
                                       "`LoggingEnabled`: https://docs.aws.amazon.com/AmazonS3/latest/API/"
                                       "API_GetBucketLogging.html")
_EMPTY_LIFECYCLE = _EMPTY_IN_PLAN.format(attr="lifecycle_rule", what="lifecycle", api="GetBucketLifecycleConfiguration "
                                         "returned no rules: https://docs.aws.amazon.com/AmazonS3/latest/API/"
                                         "API_GetBucketLifecycleConfiguration.html")
_LESS_PRECISE = ("so Checkov's pass is the more precise answer: s3audit is not wrong, only less precise (an unknown, "
                 "never a false finding)")
_KEY_AFTER_APPLY = ("the KMS key is created by the same change and the plan alone (no configuration beside it to "
                    "say which key `kms_master_key_id` refers to) records that argument as known only after apply; "
                    "s3audit keeps a bucket's encryption configuration whole (docs/snapshot-format.md: an API value is "
                    "known, or unknown and named in `Errors`), so S3.17 is unknown; the algorithm alone (`aws:kms`) "
                    "decides S3.17 (https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-17, "
                    "https://docs.aws.amazon.com/config/latest/developerguide/s3-default-encryption-kms.html), "
                    f"{_LESS_PRECISE}. With the configuration (a Terraform directory), the key is named by the "
                    "placeholder that stands for its id and S3.17 passes")
_TARGET_AT_DEPLOY = ("the log target bucket's name is chosen at deploy time (`AWS::Region`), and s3audit keeps the "
                     "logging configuration whole (docs/snapshot-format.md), so S3.9 is unknown; logging is configured whatever "
                     "the name, which decides S3.9 (https://docs.aws.amazon.com/securityhub/latest/userguide/"
                     f"s3-controls.html#s3-9), {_LESS_PRECISE}")
_AP_TWO_OFF = ("the access point turns BlockPublicPolicy and RestrictPublicBuckets off; S3.19 fails an access point "
               "without every Block Public Access setting (https://docs.aws.amazon.com/securityhub/latest/userguide/"
               "s3-controls.html#s3-19, https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
               "access-points-bpa-settings.html), while CKV_AWS_392 fails only when three settings are all off")

# (check, Checkov's verdict, s3audit's verdict) -> why s3audit's answer is right; a "fixture|subject|check"
# key overrides the generic reason. Every disagreement must have one (the test fails otherwise).
REASONS: dict = {
    **{(c, "failed", "passed"): _NEW_BUCKET_BPA
       for c in ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6")},
    ("CKV_AWS_20", "failed", "passed"): _IGNORED_ACL,
    ("CKV2_AWS_43", "failed", "passed"): _IGNORED_ACL,
    ("CKV_AWS_20", "passed", "unknown"): _OBJECT_ACLS,
    ("CKV_AWS_57", "passed", "unknown"): _OBJECT_ACLS,
    "fixtures/terraform/count-for-each|acme-shard-1|CKV2_AWS_6": (
        "the file does give every shard a public access block (`count = length(aws_s3_bucket.shard)`, "
        "all four settings true); Checkov connects only shard[0] to its block"),
    "fixtures/terraform/override-hcl|acme-ledger-exports|CKV2_AWS_6": (
        "override.tf turns BlockPublicPolicy and RestrictPublicBuckets off in the block main.tf declares, and "
        "Terraform merges an override's arguments into the original block "
        "(https://developer.hashicorp.com/terraform/language/files/override); Checkov checks main.tf's block "
        "as written, all four settings on"),
    "fixtures/terraform/override-hcl|acme-ledger-exports|CKV_AWS_20": (
        "the merged bucket policy allows s3:GetObject to `*` and the merged Block Public Access no longer "
        "restricts public buckets, so anyone can read (https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
        "access-control-block-public-access.html#access-control-block-public-access-policy-status); Checkov "
        "never merges override.tf and reads only the ACL"),
    "fixtures/terraform/v4-public-acl|acme-legacy-downloads|CKV2_AWS_43": _ALL_USERS_ACL,
    **{f"{f}|{b}|CKV_AWS_20": _PUBLIC_POLICY for f, b in (
        ("fixtures/terraform/v4-public-policy", "acme-public-assets"),
        ("fixtures/cloudformation/public-policy.yaml", "acme-static-assets"),
        ("fixtures/cloudformation/website-public.json", "www.acme.example"),
        ("fixtures/terraform-plans/new-public-bucket.json", "acme-marketing-site"))},
    **{f"fixtures/terraform-plans/{f}|{b}|{c}": why
       for f, b in (("private-bucket-noop.json", "acme-key-vault"), ("v3-inline-update.json", "acme-downloads"))
       for c, why in (("CKV_AWS_18", _EMPTY_LOGGING), ("CKV2_AWS_61", _EMPTY_LIFECYCLE))},
    "fixtures/terraform-plans/unknown-after-apply.json|<aws_s3_bucket.scratch>|CKV_AWS_145": _KEY_AFTER_APPLY,
    "fixtures/cloudformation/unknown-values.yaml|acme-partner-exchange|CKV_AWS_18": _TARGET_AT_DEPLOY,
    **{f"{f}|accesspoint/shared-partners|CKV_AWS_392": _AP_TWO_OFF
       for f in ("fixtures/terraform/account-pab-access-point", "fixtures/terraform-plans/access-point-account-pab.json")},
}

# "fixture|resource" -> why a Checkov result on that resource has no s3audit subject to compare with.
UNTIED = {
    "fixtures/cloudformation/conditions-params.yaml|AWS::S3::Bucket.DrBucket": (
        "its Condition `NeedsDr` is false with the template's parameter defaults (`Env` = dev), so CloudFormation "
        "does not create the bucket (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
        "conditions-section-structure.html) and s3audit has nothing to check; Checkov checks every resource "
        "whatever its Condition"),
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
    """(kind, path relative to the repository root) of every Terraform directory, template and plan; the kind
    is Checkov's framework name."""
    tf = sorted(os.path.relpath(d, ROOT) for d in glob.glob(os.path.join(ROOT, "fixtures/terraform/*/")))
    cfn = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "fixtures/cloudformation/*"))
                 if os.path.isfile(p))
    plans = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "fixtures/terraform-plans/*.json")))
    return ([("terraform", p) for p in tf] + [("cloudformation", p) for p in cfn]
            + [("terraform_plan", p) for p in plans])


def plan_dir(path: str) -> str | None:
    """The configuration directory of a plan fixture: ``x/`` beside ``x.json`` when it exists (the fixtures keep
    them apart; a CI job usually writes the plan into its configuration directory)."""
    d = path[:-len(".json")]
    return d if os.path.isdir(os.path.join(ROOT, d)) else None


def run_checkov(exe: str, kind: str, path: str) -> list[dict]:
    if kind == "terraform":
        target = ["-d", path]
    elif kind == "terraform_plan" and plan_dir(path):
        target = ["-f", path, "--repo-root-for-plan-enrichment", plan_dir(path), "--deep-analysis"]
    else:
        target = ["-f", path]
    # no --quiet: with it Checkov's JSON leaves out every passed check
    out = subprocess.run([exe, *target, "--framework", kind, "-o", "json", "--compact",
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
    if kind in ("cloudformation", "terraform_plan"):
        return path
    return os.path.normpath(os.path.join(path, reported.lstrip("/")))


# --- s3audit's side --------------------------------------------------------------------------------------

_SUBJECT_POINTER = re.compile(r"^/accounts/(\d+)/s3/(buckets|access_points)/(\d+)(?:/|$)")
_LOAD_IAC_ARG = {"terraform": "terraform", "cloudformation": "cloudformation", "terraform_plan": "terraform_plans"}
_CHECK_OPTION = {"terraform": "--terraform", "cloudformation": "--cloudformation", "terraform_plan": "--terraform-plan"}


def load(kind: str, path: str) -> dict:
    from s3audit.sources.iac import load_iac
    extra = {"terraform_dir": plan_dir(path)} if kind == "terraform_plan" and plan_dir(path) else {}
    doc, _ = load_iac(**{_LOAD_IAC_ARG[kind]: [path]}, **extra)
    return doc


def subject_of_arn(arn: str) -> str | None:
    """The subject key of a finding: a bucket's name, or ``accesspoint/NAME``."""
    if arn.startswith("arn:aws:s3:::"):
        return arn[len("arn:aws:s3:::"):]
    m = re.match(r"arn:aws:s3:[^:]*:[^:]*:accesspoint/(.+)$", arn)
    return f"accesspoint/{m.group(1)}" if m else None


def s3audit_verdicts(kind: str, path: str) -> dict[str, dict[str, str]]:
    """subject -> rule id -> "failed" / "unknown" for every finding of the default profile (a rule absent for a
    subject passed)."""
    from s3audit.cli import main
    extra = ["--terraform-dir", plan_dir(path)] if kind == "terraform_plan" and plan_dir(path) else []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "findings.json")
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(["check", _CHECK_OPTION[kind], path, *extra, "--format", "json", "-o", out,
                           "--today", "2026-11-26"])
        if status not in (0, 1):
            raise RuntimeError(f"s3audit check failed on {path} (exit {status})")
        with open(out, encoding="utf-8") as fh:
            report = json.load(fh)
    verdicts: dict[str, dict[str, str]] = collections.defaultdict(dict)
    for f in report["findings"]:
        subject = subject_of_arn(f["subject"])
        if subject is not None and f["status"] in ("open", "unknown"):
            verdict = "failed" if f["status"] == "open" else "unknown"
            if verdicts[subject].get(f["rule"]) != "failed":
                verdicts[subject][f["rule"]] = verdict
    return verdicts


def _subject_at(doc: dict, account: int, collection: str, index: int) -> str:
    name = doc["accounts"][account]["s3"][collection][index]["Name"]
    return name if collection == "buckets" else f"accesspoint/{name}"


def subjects_of(row: dict, doc: dict) -> list[str]:
    """The subjects a Checkov result on a file is about: those whose s3audit location lies in the result's lines."""
    start, end = row["lines"]
    found: dict[tuple[int, str, int], str] = {}
    for pointer, loc in (doc.get("locations") or {}).items():
        m = _SUBJECT_POINTER.match(pointer)
        if m and os.path.normpath(loc["file"]) == row["file"] and start <= loc["line"] <= end:
            key = (int(m.group(1)), m.group(2), int(m.group(3)))
            found[key] = _subject_at(doc, *key)
    names = list(dict.fromkeys(found[k] for k in sorted(found)))
    if len(names) <= 1:
        return names
    # several instances (count, for_each, module calls) share the lines: pick by instance key
    keys = re.findall(r'\[(?:"([^"]+)"|(\d+))\]', row["resource"])
    modules = re.findall(r"module\.([A-Za-z0-9_-]+)", row["resource"])
    if not keys and not modules:
        return names  # an unexpanded block: Checkov checked it once, for every instance
    for key in [k for pair in keys for k in pair if k] + modules:
        hits = [n for n in names if re.search(rf"(^|[-_./]){re.escape(key)}($|[-_.])", n)]
        if len(hits) == 1:
            return hits
    if keys and keys[-1][1] and int(keys[-1][1]) < len(names):
        return [names[int(keys[-1][1])]]
    return []


def referenced_bucket(row: dict, doc: dict) -> list[str]:
    """A split-out resource s3audit placed no value from (its value is unknown): the bucket its ``bucket = 
    aws_s3_bucket.NAME...`` argument names, found at that bucket block's line."""
    with open(os.path.join(ROOT, row["file"]), encoding="utf-8") as fh:
        text = fh.read().splitlines()
    start, end = row["lines"]
    m = re.search(r'^\s*bucket\s*=\s*"?(?:\$\{)?aws_s3_bucket\.([A-Za-z0-9_-]+)',
                  "\n".join(text[start - 1:end]), re.MULTILINE)
    if not m:
        return []
    decl = re.compile(rf'^\s*resource\s+"aws_s3_bucket"\s+"{re.escape(m.group(1))}"')
    lines = [i for i, line in enumerate(text, 1) if decl.match(line)]
    return subjects_of({**row, "lines": [lines[0], lines[0]]}, doc) if lines else []


def plan_subjects(path: str) -> dict[str, str]:
    """Resource address -> subject for a plan's S3 resources (a plan has no lines to tie results by; Checkov
    names each result by its address). A bucket whose name is known only after apply is s3audit's placeholder
    ``<address>``; a split-out resource whose ``bucket`` is unknown follows its configuration's reference."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        plan = json.load(fh)
    config: dict[str, dict] = {}

    def walk(module: dict, prefix: str) -> None:
        for r in module.get("resources") or []:
            config[prefix + r["address"]] = r.get("expressions") or {}
        for name, call in (module.get("module_calls") or {}).items():
            walk(call.get("module") or {}, f"{prefix}module.{name}.")

    walk((plan.get("configuration") or {}).get("root_module") or {}, "")
    after: dict[str, tuple[str, dict, str]] = {}
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode", "managed") == "managed" and isinstance(rc["change"].get("after"), dict):
            after[rc["address"]] = (rc["type"], rc["change"]["after"], rc.get("module_address", ""))
    names = {a: v["bucket"] if isinstance(v.get("bucket"), str) and v["bucket"] else f"<{a}>"
             for a, (t, v, _) in after.items() if t == "aws_s3_bucket"}
    names.update({a: f"accesspoint/{v['name']}" for a, (t, v, _) in after.items()
                  if t == "aws_s3_access_point" and isinstance(v.get("name"), str)})
    for address, (rtype, values, module) in after.items():
        if not rtype.startswith("aws_s3_bucket_"):
            continue
        if isinstance(values.get("bucket"), str) and values["bucket"]:
            names[address] = values["bucket"]
            continue
        prefix = module + "." if module else ""
        refs = (config.get(re.sub(r"\[[^\]]*\]", "", address)) or {}).get("bucket", {}).get("references") or []
        index = re.search(r"(\[[^\]]*\])$", address)
        for ref in refs:
            parts = ref.split(".")
            if parts[0] == "aws_s3_bucket" and len(parts) >= 2:
                target = f"{prefix}aws_s3_bucket.{parts[1]}"
                for candidate in ([target + index.group(1)] if index else []) + [target]:
                    if candidate in names:
                        names[address] = names[candidate]
                        break
                break
    return names


def combine(rows: list[dict], kind: str, path: str, doc: dict) -> tuple[dict, dict]:
    """(subject -> check -> Checkov's verdict, failed if any of its results on the subject failed;
    resource -> checks of the results tied to no subject)."""
    out: dict[str, dict[str, str]] = collections.defaultdict(dict)
    untied: dict[str, set[str]] = collections.defaultdict(set)
    by_address = plan_subjects(path) if kind == "terraform_plan" else {}
    known = {b["Name"] for a in doc.get("accounts") or [] for b in (a.get("s3") or {}).get("buckets") or []}
    known |= {f"accesspoint/{p['Name']}" for a in doc.get("accounts") or []
              for p in (a.get("s3") or {}).get("access_points") or []}
    for row in rows:
        if kind == "terraform_plan":
            subjects = [by_address[row["resource"]]] if row["resource"] in by_address else []
        else:
            subjects = subjects_of(row, doc) or (referenced_bucket(row, doc) if kind == "terraform" else [])
        subjects = [s for s in subjects if s in known]
        if not subjects:
            print(f"  {path}: no subject for {row['resource']} ({row['check']})", file=sys.stderr)
            untied[row["resource"]].add(row["check"])
        for subject in subjects:
            if out[subject].get(row["check"]) != "failed":
                out[subject][row["check"]] = row["result"]
    return ({s: dict(sorted(v.items())) for s, v in sorted(out.items())},
            {r: sorted(c) for r, c in sorted(untied.items())})


def reason_for(fixture: str, subject: str, check: str, checkov: str, s3audit: str, reasons: dict) -> str | None:
    return reasons.get(f"{fixture}|{subject}|{check}") or reasons.get(f"{check}|{checkov}|{s3audit}")


def s3audit_verdict(check: str, subject: str, ours: dict, doc: dict) -> str:
    """s3audit's verdict on the question a Checkov check asks (see CHECK_TO_RULE, CHECK_SETTING)."""
    verdict = ours.get(subject, {}).get(CHECK_TO_RULE[check], "passed")
    setting = CHECK_SETTING.get(check)
    if verdict == "failed" and setting:
        for account in doc.get("accounts") or []:
            for b in (account.get("s3") or {}).get("buckets") or []:
                if b["Name"] == subject:
                    verdict = "passed" if (b.get("PublicAccessBlock") or {}).get(setting) is True else "failed"
    return verdict


def compare(frozen: dict) -> list[dict]:
    """One row per (fixture, subject, mapped check): Checkov's frozen verdict, s3audit's verdict now and as
    frozen, and, if the two tools differ, the reason."""
    rows = []
    for fixture, entry in frozen["fixtures"].items():
        kind = entry["kind"]
        ours = s3audit_verdicts(kind, fixture)
        doc = load(kind, fixture)
        for subject, checks in entry["buckets"].items():
            for check, theirs in checks.items():
                if check not in CHECK_TO_RULE:
                    continue
                mine = s3audit_verdict(check, subject, ours, doc)
                rows.append({"fixture": fixture, "kind": kind, "bucket": subject, "check": check,
                             "rule": CHECK_TO_RULE[check], "checkov": theirs, "s3audit": mine,
                             "frozen_s3audit": (entry.get("s3audit") or {}).get(subject, {}).get(check),
                             "reason": None if mine == theirs else
                             reason_for(fixture, subject, check, theirs, mine, frozen["reasons"])})
    return rows


def changed(rows: list[dict]) -> list[dict]:
    """Rows where s3audit's verdict is no longer the frozen one (a missing frozen verdict is a change too)."""
    return [r for r in rows if r["s3audit"] != r["frozen_s3audit"]]


_KIND_NAMES = {"terraform": "Terraform directories", "cloudformation": "CloudFormation templates",
               "terraform_plan": "Terraform plans"}


def table(frozen: dict, rows: list[dict]) -> str:
    kinds = collections.Counter(e["kind"] for e in frozen["fixtures"].values())
    agree = sum(1 for r in rows if r["checkov"] == r["s3audit"])
    lines = [f"Checkov {frozen['checkov']} on {len(frozen['fixtures'])} fixtures "
             f"({', '.join(f'{kinds[k]} {n}' for k, n in _KIND_NAMES.items())}); one verdict per bucket "
             f"(or access point) and check: {len(rows)} verdicts, {agree} agree, {len(rows) - agree} differ "
             f"with the reason below.", "",
             "| Checkov check | s3audit rule | buckets | agree | disagree (fixture: bucket) |", "|---|---|---|---|---|"]
    by_check = collections.defaultdict(list)
    for r in rows:
        by_check[(r["check"], r["rule"])].append(r)
    notes: dict[str, int] = {}
    for (check, rule), rs in sorted(by_check.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        agreeing = sum(1 for r in rs if r["checkov"] == r["s3audit"])
        diffs = []
        for r in rs:
            if r["checkov"] != r["s3audit"]:
                n = notes.setdefault(r["reason"] or "UNEXPLAINED", len(notes) + 1)
                diffs.append(f"`{os.path.basename(r['fixture'].rstrip('/'))}`: {r['bucket']} "
                             f"(Checkov {r['checkov']}, s3audit {r['s3audit']}) [{n}]")
        lines.append(f"| {check} {frozen['names'][check]} | {rule} | {len(rs)} | {agreeing} | "
                     f"{'; '.join(diffs) or '—'} |")
    lines += ["", *(f"[{n}] {text}" for text, n in notes.items())]
    untied = [(f, res, checks) for f, e in frozen["fixtures"].items() for res, checks in (e.get("untied") or {}).items()]
    if untied:
        lines += ["", "Checkov results on resources s3audit does not check:", ""]
        lines += [f"* `{os.path.basename(f)}` {res} ({', '.join(checks)}): "
                  f"{frozen['untied_reasons'].get(f'{f}|{res}', 'UNEXPLAINED')}" for f, res, checks in untied]
    lines += ["", "Checkov's S3 checks with no s3audit counterpart:", ""]
    lines += [f"* {c} ({frozen['names'].get(c, 'not reported in this run')}): {why}" for c, why in UNMAPPED.items()]
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    if "--no-run" in sys.argv:
        with open(FROZEN, encoding="utf-8") as fh:
            frozen = json.load(fh)
    elif "--only" in sys.argv:
        # Checkov on the fixtures named after --only (new or changed ones); the others keep their frozen
        # Checkov verdicts (Checkov and their input are unchanged)
        only = set(sys.argv[sys.argv.index("--only") + 1:])
        with open(FROZEN, encoding="utf-8") as fh:
            frozen = json.load(fh)
        exe = ensure_checkov()
        if checkov_version(exe) != frozen["checkov"]:
            raise SystemExit(f"the frozen verdicts are Checkov {frozen['checkov']}'s: run without --only")
        for kind, path in fixtures():
            if path not in only:
                continue
            print(f"checkov {path}", file=sys.stderr)
            rows = run_checkov(exe, kind, path)
            for r in rows:
                if kind != "terraform_plan" or r["check"] not in frozen["names"]:
                    frozen["names"][r["check"]] = r["name"]
            buckets, untied = combine(rows, kind, path, load(kind, path))
            frozen["fixtures"][path] = {"kind": kind, "buckets": buckets, "untied": untied}
        frozen["fixtures"] = {p: frozen["fixtures"][p] for _, p in fixtures() if p in frozen["fixtures"]}
        frozen["names"] = dict(sorted(frozen["names"].items()))
    else:
        exe = ensure_checkov()
        frozen = {"checkov": checkov_version(exe), "fixtures": {}, "names": {}}
        for kind, path in fixtures():
            print(f"checkov {path}", file=sys.stderr)
            rows = run_checkov(exe, kind, path)
            for r in rows:  # the plan framework words some checks differently; keep the configuration's wording
                if kind != "terraform_plan" or r["check"] not in frozen["names"]:
                    frozen["names"][r["check"]] = r["name"]
            buckets, untied = combine(rows, kind, path, load(kind, path))
            frozen["fixtures"][path] = {"kind": kind, "buckets": buckets, "untied": untied}
        frozen["names"] = dict(sorted(frozen["names"].items()))
    frozen["mapping"] = CHECK_TO_RULE
    frozen["settings"] = CHECK_SETTING
    frozen["reasons"] = {(k if isinstance(k, str) else "|".join(k)): v for k, v in REASONS.items()}
    frozen["untied_reasons"] = UNTIED
    rows = compare(frozen)
    for entry in frozen["fixtures"].values():
        entry["s3audit"] = {}
    for r in rows:  # s3audit's verdicts as frozen: the test fails when one changes
        frozen["fixtures"][r["fixture"]]["s3audit"].setdefault(r["bucket"], {})[r["check"]] = r["s3audit"]
        r["frozen_s3audit"] = r["s3audit"]
    from s3audit.fileio import write_atomic
    write_atomic(FROZEN, (json.dumps(frozen, indent=1, sort_keys=False) + "\n").encode())
    print(table(frozen, rows))
    unexplained = [r for r in rows if r["checkov"] != r["s3audit"] and not r["reason"]]
    unexplained += [f"{f}|{res}" for f, e in frozen["fixtures"].items() for res in e.get("untied") or {}
                    if f"{f}|{res}" not in UNTIED]
    for r in unexplained:
        print(f"UNEXPLAINED: {r}", file=sys.stderr)
    return 1 if unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())
