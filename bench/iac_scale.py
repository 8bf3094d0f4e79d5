"""How long s3audit takes to read large Terraform inputs, and inputs built to blow up (issue 11, item 5).

Run from the repository root: ``python3 bench/iac_scale.py [--buckets 40000] [--check]``. Everything is generated
in a temporary directory, in the shapes Terraform itself writes:

* a configuration of N buckets, each with a Block Public Access block and a TLS-only bucket policy, made with
  ``for_each`` over a list of names in a local (how a team writes N buckets);
* the same N buckets as N explicit resource blocks, 1/10 of N (parsing cost: a file of that many blocks);
* the plan of the ``for_each`` configuration (``terraform show -json`` of Terraform 1.11 and provider 5.100:
  ``resource_changes``, ``planned_values`` and ``configuration`` entries as it writes them, the policy and the
  bucket arguments of the split-out resources known only after apply), read with and without its directory;
* the traps: 24 and 40 nested ``jsonencode`` calls, 40 doubling templates, 40 doubling ``concat``s,
  ``range(1e9)``, ``count = 1e9``.

Each input is read in a fresh process (``python -m s3audit`` internals: ``sources.iac.load_change``), which
reports CPU time (``time.process_time``) and peak RSS; ``--check`` also times the whole ``s3audit check`` of the
plan with its directory. The machine's load average is printed with the figures: on a shared machine prefer the
CPU times.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROVIDER = "registry.terraform.io/hashicorp/aws"


def config_for_each(n: int) -> str:
    names = ",\n".join(f'    "acme-data-{i:05d}"' for i in range(n))
    return f'''provider "aws" {{
  region = "us-east-1"
}}

locals {{
  buckets = toset([
{names}
  ])
}}

resource "aws_s3_bucket" "data" {{
  for_each = local.buckets
  bucket   = each.key
  tags     = {{ owner = "platform", data-class = "internal" }}
}}

resource "aws_s3_bucket_public_access_block" "data" {{
  for_each                = aws_s3_bucket.data
  bucket                  = each.value.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_policy" "data" {{
  for_each = aws_s3_bucket.data
  bucket   = each.value.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "DenyPlainHttp"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [each.value.arn, "${{each.value.arn}}/*"]
      Condition = {{ Bool = {{ "aws:SecureTransport" = "false" }} }}
    }}]
  }})
}}
'''


def config_blocks(n: int) -> str:
    out = ['provider "aws" {\n  region = "us-east-1"\n}\n']
    for i in range(n):
        out.append(f'''
resource "aws_s3_bucket" "b{i}" {{
  bucket = "acme-data-{i:05d}"
  tags   = {{ owner = "platform", data-class = "internal" }}
}}

resource "aws_s3_bucket_policy" "b{i}" {{
  bucket = aws_s3_bucket.b{i}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid = "DenyPlainHttp", Effect = "Deny", Principal = "*", Action = "s3:*"
      Resource  = [aws_s3_bucket.b{i}.arn, "${{aws_s3_bucket.b{i}.arn}}/*"]
      Condition = {{ Bool = {{ "aws:SecureTransport" = "false" }} }}
    }}]
  }})
}}
''')
    return "".join(out)


_BUCKET_UNKNOWN = {k: True for k in (
    "acceleration_status", "acl", "arn", "bucket_domain_name", "bucket_prefix", "bucket_regional_domain_name",
    "cors_rule", "grant", "hosted_zone_id", "id", "lifecycle_rule", "logging", "object_lock_configuration",
    "object_lock_enabled", "policy", "region", "replication_configuration", "request_payer",
    "server_side_encryption_configuration", "versioning", "website", "website_domain", "website_endpoint")}
_TAGS = {"data-class": "internal", "owner": "platform"}
_PAB = {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
        "restrict_public_buckets": True}


def plan_for_each(n: int) -> dict:
    """The plan Terraform writes for config_for_each(n) (the shapes of a real `terraform show -json`)."""
    changes, planned = [], []
    kinds = (("aws_s3_bucket", lambda name: {"bucket": name, "force_destroy": False, "tags": _TAGS,
                                             "tags_all": _TAGS, "timeouts": None},
              {**_BUCKET_UNKNOWN, "tags": {}, "tags_all": {}}),
             ("aws_s3_bucket_policy", lambda name: {}, {"bucket": True, "id": True, "policy": True}),
             ("aws_s3_bucket_public_access_block", lambda name: dict(_PAB), {"bucket": True, "id": True}))
    for rtype, after, unknown in kinds:
        for i in range(n):
            name = f"acme-data-{i:05d}"
            address = f'{rtype}.data["{name}"]'
            head = {"address": address, "mode": "managed", "type": rtype, "name": "data", "index": name,
                    "provider_name": PROVIDER}
            changes.append({**head, "change": {"actions": ["create"], "before": None, "after": after(name),
                                               "after_unknown": unknown, "before_sensitive": False,
                                               "after_sensitive": {}}})
            planned.append({**head, "schema_version": 0, "values": after(name), "sensitive_values": {}})
    each_id = {"references": ["each.value.id", "each.value"]}
    config = {"provider_config": {"aws": {"name": "aws", "full_name": PROVIDER,
                                          "expressions": {"region": {"constant_value": "us-east-1"}}}},
              "root_module": {"resources": [
                  {"address": "aws_s3_bucket.data", "mode": "managed", "type": "aws_s3_bucket", "name": "data",
                   "provider_config_key": "aws", "expressions": {"bucket": {"references": ["each.key"]},
                                                                 "tags": {"constant_value": _TAGS}},
                   "schema_version": 0, "for_each_expression": {"references": ["local.buckets"]}},
                  {"address": "aws_s3_bucket_policy.data", "mode": "managed", "type": "aws_s3_bucket_policy",
                   "name": "data", "provider_config_key": "aws",
                   "expressions": {"bucket": each_id, "policy": {"references": ["each.value.arn", "each.value"]}},
                   "schema_version": 0, "for_each_expression": {"references": ["aws_s3_bucket.data"]}},
                  {"address": "aws_s3_bucket_public_access_block.data", "mode": "managed",
                   "type": "aws_s3_bucket_public_access_block", "name": "data", "provider_config_key": "aws",
                   "expressions": {"bucket": each_id, **{k: {"constant_value": True} for k in _PAB}},
                   "schema_version": 0, "for_each_expression": {"references": ["aws_s3_bucket.data"]}}]}}
    return {"format_version": "1.2", "terraform_version": "1.11.4",
            "planned_values": {"root_module": {"resources": planned}}, "resource_changes": changes,
            "configuration": config, "applyable": True, "complete": True, "errored": False}


def traps() -> dict[str, str]:
    out = {}
    for depth in (24, 40):
        e = '{a = "<x>"}'
        for _ in range(depth):
            e = f"jsonencode({{k = {e}}})"
        out[f"jsonencode x{depth}"] = f"locals {{\n  v = {e}\n}}\n"
    lines = ['  t0 = "ab"'] + [f'  t{i} = "${{local.t{i - 1}}}${{local.t{i - 1}}}"' for i in range(1, 41)]
    out["template doubling x40"] = "locals {\n" + "\n".join(lines) + "\n}\n"
    lines = ['  c0 = ["a"]'] + [f"  c{i} = concat(local.c{i - 1}, local.c{i - 1})" for i in range(1, 41)]
    out["concat doubling x40"] = "locals {\n" + "\n".join(lines) + "\n}\n"
    out["range(1e9)"] = "locals {\n  r = length(range(1000000000))\n}\n"
    out["count = 1e9"] = 'resource "aws_s3_bucket" "b" {\n  count  = 1000000000\n  bucket = "acme-${count.index}"\n}\n'
    return out


_MEASURE = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from s3audit.sources.iac import load_change
kw = json.loads(sys.argv[1])
t = time.process_time()
change = load_change(**kw)
cpu = time.process_time() - t
buckets = sum(len((a.get("s3") or {{}}).get("buckets") or []) for a in change.snapshot["accounts"])
print(json.dumps({{"cpu": cpu, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "buckets": buckets, "unread": len(change.snapshot.get("unread") or [])}}))
"""


def measure(**kw) -> dict:
    wall = time.time()
    out = subprocess.run([sys.executable, "-c", _MEASURE.format(root=ROOT), json.dumps(kw)], capture_output=True,
                         text=True, cwd=ROOT)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    result = json.loads(out.stdout)
    result["wall"] = time.time() - wall
    return result


def _row(name: str, r: dict) -> str:
    if "error" in r:
        return f"| {name} | error: {r['error']} |"
    return (f"| {name} | {r['buckets']:,} | {r['cpu']:.2f} s | {r['wall']:.2f} s | {r['rss_mb']:,} MiB |"
            + (f" {r['unread']} not read |" if r.get("unread") else " |"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buckets", type=int, default=40000)
    ap.add_argument("--check", action="store_true", help="also time `s3audit check` of the plan with its directory")
    args = ap.parse_args()
    n = args.buckets
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}; "
          f"python {sys.version.split()[0]}")
    print("| input | buckets | CPU | wall | peak RSS | |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        each = os.path.join(tmp, "for-each")
        os.makedirs(each)
        with open(os.path.join(each, "main.tf"), "w") as fh:
            fh.write(config_for_each(n))
        print(_row(f"configuration, for_each over {n:,} names", measure(terraform=[each])), flush=True)
        plan = os.path.join(tmp, "plan.json")
        with open(plan, "w") as fh:
            json.dump(plan_for_each(n), fh)
        print(_row("its plan, with its directory", measure(terraform_plans=[plan], terraform_dir=each)), flush=True)
        alone = os.path.join(tmp, "alone", "plan.json")
        os.makedirs(os.path.dirname(alone))
        os.replace(plan, alone)
        print(_row("its plan alone", measure(terraform_plans=[alone])), flush=True)
        blocks = os.path.join(tmp, "blocks")
        os.makedirs(blocks)
        with open(os.path.join(blocks, "main.tf"), "w") as fh:
            fh.write(config_blocks(n // 10))
        print(_row(f"{n // 10:,} buckets as explicit blocks", measure(terraform=[blocks])), flush=True)
        for name, text in traps().items():
            d = os.path.join(tmp, name.replace(" ", "_").replace("(", "").replace(")", "").replace("=", ""))
            os.makedirs(d)
            with open(os.path.join(d, "main.tf"), "w") as fh:
                fh.write(text)
            print(_row(name, measure(terraform=[d])), flush=True)
        if args.check:
            os.replace(alone, os.path.join(each, "plan.json"))
            t = time.time()
            out = subprocess.run([sys.executable, "-m", "s3audit", "check", "--terraform-plan",
                                  os.path.join(each, "plan.json"), "--format", "json", "-o",
                                  os.path.join(tmp, "findings.json")], cwd=ROOT, capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": ROOT})
            print(f"\n`s3audit check` of the plan with its directory: exit {out.returncode}, "
                  f"{time.time() - t:.1f} s wall")


if __name__ == "__main__":
    main()
