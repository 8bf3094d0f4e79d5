"""Byte-identity check for `s3audit explain --requests`: the output of one source tree against another's.

Speed work on the bulk path must not change a single output byte. This script writes request files —
the benchmark's (bench/explain_bench.py's generator at its fixed seed) and a varied one (every principal
kind, access point and IAM resources, cased and padded actions, list/number/null/non-ASCII context values,
extra fields, shuffled keys, CRLF, blank and repeated lines) — runs `python -m s3audit explain ESTATE
--requests FILE` of each given source tree on them, in JSON and text format, and prints the sha256 of
every output; trees that disagree are reported and the exit status is 1.

Run:  python3 bench/explain_check.py [--requests 100000] [--varied 20000] TREE [TREE ...]
      (e.g. a checkout of main extracted with `git archive main | tar -x -C /tmp/main` and this worktree)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from explain_bench import BUCKET_ACTIONS, CONTEXTS, DEMO, KEYS, OBJECT_ACTIONS, generate, principals_of  # noqa: E402

from s3audit.snapshot.load import load_snapshot  # noqa: E402

MORE_CONTEXTS = [
    {"aws:SourceIp": ["203.0.113.10", "10.0.0.1"]},
    {"aws:SecureTransport": "true", "s3:x-amz-acl": "public-read"},
    {"aws:SecureTransport": 1},
    {"s3:max-keys": 10, "s3:prefix": ""},
    {"s3:max-keys": 1.5},
    {"aws:PrincipalTag/team": "payments", "aws:PrincipalAccount": "999999999999"},
    {"aws:username": "mallory", "aws:PrincipalArn": "arn:aws:iam::999999999999:role/x"},
    {"aws:CalledVia": ["athena.amazonaws.com", "glue.amazonaws.com"]},
    {"aws:SourceVpce": "vpce-\u00e9t\u00e9", "aws:SecureTransport": True},
    {"s3:ExistingObjectTag/data-class": "public", "aws:MultiFactorAuthPresent": False},
    {"aws:CurrentTime": "2020-01-01T00:00:00Z", "aws:EpochTime": 1577836800},
    {"aws:SourceOrgID": None, "aws:SourceAccount": None, "aws:SourceArn": None},
    {"sts:ExternalId": "partner-7f3e", "aws:SecureTransport": True},
    {"s3:TlsVersion": 1.2, "s3:signatureversion": "AWS4-HMAC-SHA256"},
    {"aws:RequestedRegion": "eu-west-1", "s3:LocationConstraint": "eu-west-1"},
    {"AWS:securetransport": False},
]
# Names `explain` refuses as typos (a principal that is not one, or is missing from an account whose IAM the
# snapshot holds in full; an action no AWS service documents; an access point missing from an account whose S3
# it holds) are exit 2, not lines of this file: tests/test_cli_explain.py covers them.
OTHER_PRINCIPALS = ["*", "  anonymous ", "222222222222", "999999999999", "arn:aws:iam::999999999999:user/eve",
                    "arn:aws:sts::999999999999:federated-user/fed", "accounts.google.com", "federated:okta",
                    "glue.amazonaws.com", "s3.amazonaws.com", "arn:aws:iam::999999999999:role/elsewhere"]
OTHER_ACTIONS = ["S3:GETOBJECT", "s3:getobject", " s3:PutObject ", "s3:PutBucketPublicAccessBlock",
                 "s3:GetAccessPoint", "s3:ListAllMyBuckets", "s3:BypassGovernanceRetention",
                 "s3:PutObjectTagging", "s3:ReplicateObject"]
IAM_ACTIONS = ["sts:AssumeRole", "sts:TagSession", "iam:PassRole", "iam:CreateAccessKey", "iam:PutRolePolicy",
               "iam:UpdateAssumeRolePolicy", "iam:AttachUserPolicy", "dynamodb:GetItem", "kms:Decrypt"]


def varied(snapshot, n: int, seed: int = 7) -> str:
    """A requests file exercising every input shape the bulk path accepts (not the benchmark's mix)."""
    rnd = random.Random(seed)
    principals = principals_of(snapshot) + OTHER_PRINCIPALS
    for a in snapshot.accounts:
        principals.extend(g.arn for g in a.groups)
    buckets = [b.name for b in snapshot.buckets] + ["not-in-the-snapshot"]
    access_points = [f"arn:aws:s3:us-east-1:{a.id}:accesspoint/{ap.name}" for a in snapshot.accounts
                     for ap in a.access_points] + ["arn:aws:s3:us-east-1:999999999999:accesspoint/elsewhere"]
    iam_resources = [r.arn for a in snapshot.accounts for r in a.roles] + \
                    [u.arn for a in snapshot.accounts for u in a.users] + \
                    ["arn:aws:iam::999999999999:role/elsewhere", "arn:aws:dynamodb:us-east-1:111111111111:table/t"]
    keys = KEYS + ["caf\u00e9/men\u00fc.txt", "a\u2028b", "with space/x", "", "deep/" * 6 + "x", "\u65e5\u672c"]
    lines: list[str] = []
    for _ in range(n):
        r = rnd.random()
        if r < 0.15:
            action = rnd.choice(IAM_ACTIONS)
            resource = rnd.choice(iam_resources)
        elif r < 0.25:
            ap = rnd.choice(access_points)
            action = rnd.choice(OBJECT_ACTIONS + BUCKET_ACTIONS + OTHER_ACTIONS)
            resource = ap + (f"/object/{rnd.choice(keys)}" if rnd.random() < 0.7 else "")
        elif r < 0.35:
            action, resource = rnd.choice(OTHER_ACTIONS), f"arn:aws:s3:::{rnd.choice(buckets)}/{rnd.choice(keys)}"
        elif r < 0.65:
            action, resource = rnd.choice(BUCKET_ACTIONS), f"arn:aws:s3:::{rnd.choice(buckets)}"
        else:
            action, resource = rnd.choice(OBJECT_ACTIONS), f"arn:aws:s3:::{rnd.choice(buckets)}/{rnd.choice(keys)}"
        if rnd.random() < 0.02:
            resource = resource.replace("arn:aws:", rnd.choice(["arn:aws-cn:", "arn:aws-us-gov:"]), 1)
        req: dict = {"principal": rnd.choice(principals), "action": action, "resource": resource}
        ctx = rnd.choice(CONTEXTS + MORE_CONTEXTS)
        if ctx or rnd.random() < 0.1:
            req["context"] = dict(ctx) if ctx or rnd.random() < 0.5 else None
        if rnd.random() < 0.05:
            req["ticket"] = rnd.choice(["REV-1", {"n": 1, "why": "quarterly review"}, [1, 2.5, None, True]])
        if rnd.random() < 0.2:
            items = list(req.items())
            rnd.shuffle(items)
            req = dict(items)
        style = rnd.random()
        if style < 0.05:
            line = json.dumps(req, ensure_ascii=False)
        elif style < 0.1:
            line = json.dumps(req, indent=None, separators=(",", ":"))
        elif style < 0.13:
            line = "  " + json.dumps(req) + "\t "
        elif style < 0.15:
            line = json.dumps(req, sort_keys=True).replace(": ", " :  ")
        else:
            line = json.dumps(req)
        lines.append(line)
        if rnd.random() < 0.05:
            lines.append(line)  # the same line again
        if rnd.random() < 0.01:
            lines.append("")
        if rnd.random() < 0.01:
            lines[-1] += "\r"
    return "\n".join(lines) + "\n"


def digest(tree: Path, estate: Path, requests: Path, fmt: str) -> tuple[str, int]:
    env = {**os.environ, "PYTHONPATH": str(tree), "S3AUDIT_NO_CACHE": "1"}
    proc = subprocess.run([sys.executable, "-m", "s3audit", "explain", str(estate), "--requests", str(requests),
                           "--format", fmt], capture_output=True, env=env, cwd=tree, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: exit {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    return hashlib.sha256(proc.stdout).hexdigest(), len(proc.stdout)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("trees", nargs="+", type=Path, help="source trees (each holds the s3audit package)")
    p.add_argument("--requests", type=int, default=100_000, help="benchmark requests (bench generator, fixed seed)")
    p.add_argument("--varied", type=int, default=20_000, help="requests of the varied file")
    p.add_argument("--estate", type=Path, default=DEMO)
    args = p.parse_args(argv)
    snapshot = load_snapshot(str(args.estate))
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        files = {"bench": Path(tmp) / "bench.jsonl", "varied": Path(tmp) / "varied.jsonl"}
        files["bench"].write_text("".join(json.dumps(x) + "\n" for x in generate(snapshot, args.requests)))
        files["varied"].write_bytes(varied(snapshot, args.varied).encode("utf-8"))
        for name, path in files.items():
            for fmt in ("json", "text"):
                got = {tree: digest(tree.resolve(), args.estate.resolve(), path, fmt) for tree in args.trees}
                same = len({h for h, _ in got.values()}) == 1
                failed |= not same
                for tree, (h, size) in got.items():
                    print(f"{name:6} {fmt:4} {h}  {size:>11,} bytes  {tree}")
                print(f"{name:6} {fmt:4} {'identical' if same else 'DIFFERENT'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
