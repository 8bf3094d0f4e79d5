"""Benchmark: wildcard matching is linear, never backtracking (issue 11, item 5).

    PYTHONPATH=. python3 bench/wildcard_bench.py

1. The adversarial pattern `*a*a…*b` (30 stars) against runs of `a` of growing length, with the matcher
   (s3audit/iam/wildcard.py); beside it, the regular expression policies were compiled to before
   (`.*a.*a…b`, fullmatch), with few enough stars that it ends: its time grows with the stars as C(n, k).
2. End to end: a snapshot whose bucket policy and role policy hold the 30-star pattern (in Resource, in a
   StringLike condition and in a principal ARN condition), through `s3audit check` and `s3audit explain`,
   in-process.
3. The real corpus (fixtures/corpora/aws-managed-policies.json.gz): every Action and Resource pattern of
   the 1,523 AWS managed policies, compiled and matched against sample actions and ARNs, with the matcher
   and with the old regexes.

Times are CPU seconds (time.process_time), the best of three; the machine's load average is printed.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from s3audit.cli import main  # noqa: E402
from s3audit.iam.logic import Tri  # noqa: E402
from s3audit.iam.patterns import Pattern, parse  # noqa: E402
from s3audit.iam.wildcard import compiled, glob_match  # noqa: E402
from s3audit.lang.ruletests import expand_fragment  # noqa: E402

STARS = 30
ADVERSARIAL = "*a" * STARS + "*b"
CORPUS = ROOT / "fixtures" / "corpora" / "aws-managed-policies.json.gz"


def cpu(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def old_regex(text: str, *, arn: bool = False, case_sensitive: bool = True) -> re.Pattern:
    """The regex the policy compiler made before the matcher (session 1's patterns._regex), for comparison."""
    parts = parse(text, variables=False)
    if arn and sum(p[1].count(":") for p in parts if p[0] == "lit") < 5:
        arn = False
    out, segment = [], 0
    for p in parts:
        if p[0] == "lit":
            for ch in p[1]:
                if arn and ch == ":" and segment < 5:
                    segment += 1
                out.append(re.escape(ch))
        elif p[0] == "star":
            out.append(".*" if not arn or segment >= 5 else "[^:]*")
        else:
            out.append("." if not arn or segment >= 5 else "[^:]")
    flags = re.DOTALL if case_sensitive else re.IGNORECASE | re.DOTALL
    return re.compile("".join(out), flags)


def adversarial() -> None:
    print(f"1. `*a` x {STARS} + `*b` against runs of `a` (no match: every placement fails)")
    print("| value length | matcher CPU s |")
    print("|---|---|")
    for n in (1_000, 10_000, 100_000, 1_000_000):
        value = "a" * n
        assert not glob_match(ADVERSARIAL, value)
        print(f"| {n:,} | {cpu(lambda: glob_match(ADVERSARIAL, value)):.6f} |")
    print("\n   the old regex, `.*a` x k + `.*b`, against 30 `a`:")
    print("| stars k | regex CPU s | matcher CPU s |")
    print("|---|---|---|")
    value = "a" * 30
    for k in (2, 4, 6, 8):
        pattern = "*a" * k + "*b"
        rx = old_regex(pattern)
        print(f"| {k} | {cpu(lambda: rx.fullmatch(value), 1):.4f} | {cpu(lambda: glob_match(pattern, value)):.6f} |")


def end_to_end() -> None:
    arn_pattern = "arn:aws:s3:::victim/" + ADVERSARIAL
    frag = {
        "iam": {"RoleDetailList": [{
            "RoleName": "app", "Arn": "arn:aws:iam::111122223333:role/app", "Path": "/",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": arn_pattern},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::victim",
                 "Condition": {"StringLike": {"s3:prefix": ADVERSARIAL}}}]}}]}]},
        "buckets": [{"Name": "victim", "Region": "eu-west-1", "Policy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": arn_pattern,
             "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/" + ADVERSARIAL}}}]}}],
    }
    key = "a" * 2000
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "adversarial.json")
        with open(path, "w") as f:
            json.dump(expand_fragment(frag), f)

        def run(argv):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                return main(argv)

        explain = ["explain", path, "--principal", "arn:aws:iam::111122223333:role/app", "--action", "s3:GetObject",
                   "--resource", f"arn:aws:s3:::victim/{key}"]
        listing = ["explain", path, "--principal", "arn:aws:iam::111122223333:role/app", "--action", "s3:ListBucket",
                   "--resource", "arn:aws:s3:::victim", "--context", f"s3:prefix={key}"]
        print(f"\n2. end to end, the {STARS}-star pattern in Resource, StringLike and ArnLike (key of 2,000 `a`)")
        print("| command | exit | CPU s |")
        print("|---|---|---|")
        for name, argv in (("check", ["check", path]), ("explain s3:GetObject", explain),
                           ("explain s3:ListBucket", listing)):
            status = run(argv)
            print(f"| {name} | {status} | {cpu(lambda: run(argv)):.3f} |")


def corpus() -> None:
    policies = json.loads(gzip.decompress(CORPUS.read_bytes()))["policies"]
    actions, resources = [], []
    for p in policies.values():
        stmts = p["Document"].get("Statement", [])
        for s in stmts if isinstance(stmts, list) else [stmts]:
            for key, bucket in (("Action", actions), ("NotAction", actions), ("Resource", resources),
                                ("NotResource", resources)):
                v = s.get(key, [])
                bucket.extend(v if isinstance(v, list) else [v])
    sample_actions = ["s3:GetObject", "s3:PutObject", "ec2:DescribeInstances", "iam:PassRole", "kms:Decrypt",
                      "logs:CreateLogStream", "sts:AssumeRole", "dynamodb:Query", "lambda:InvokeFunction"]
    sample_resources = ["arn:aws:s3:::my-bucket/path/to/object.txt", "arn:aws:s3:::my-bucket",
                        "arn:aws:iam::111122223333:role/service-role/MyRole",
                        "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/f:log-stream:x",
                        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
    wild_actions = [a for a in actions if "*" in a or "?" in a]
    wild_resources = [r for r in resources if ("*" in r or "?" in r) and "${" not in r]
    print(f"\n3. the AWS managed policies corpus: {len(actions):,} Action entries ({len(wild_actions):,} with "
          f"wildcards), {len(resources):,} Resource entries ({len(wild_resources):,} with wildcards, no variables)")
    new_a = [Pattern(a, case_sensitive=False) for a in wild_actions]
    new_r = [Pattern(r, arn=True) for r in wild_resources]
    old_a = [old_regex(a, case_sensitive=False) for a in wild_actions]
    old_r = [old_regex(r, arn=True) for r in wild_resources]
    agree = all((p.matches(v) is Tri.TRUE) == bool(o.fullmatch(v.lower()))
                for p, o in zip(new_a, old_a) for v in sample_actions) and \
        all((p.matches(v) is Tri.TRUE) == bool(o.fullmatch(v)) for p, o in zip(new_r, old_r) for v in sample_resources)
    matches = len(wild_actions) * len(sample_actions) + len(wild_resources) * len(sample_resources)
    folded = [v.lower() for v in sample_actions]
    raw_a = [compiled(parse(a, variables=False), False, False).fullmatch for a in wild_actions]
    raw_r = [compiled(parse(r, variables=False), True, True).fullmatch for r in wild_resources]

    def run(matchers_a, matchers_r):
        def go():
            for m in matchers_a:
                for v in folded:
                    m(v)
            for m in matchers_r:
                for v in sample_resources:
                    m(v)
        return go

    def with_patterns():
        for p in new_a:
            for v in sample_actions:
                p.matches(v)
        for p in new_r:
            for v in sample_resources:
                p.matches(v)

    def compile_matcher():
        for a in wild_actions:
            Pattern(a + " ", case_sensitive=False)  # a text not met before: no cache hit
        for r in wild_resources:
            Pattern(r + " ", arn=True)

    def compile_regex():
        re.purge()
        for a in wild_actions:
            old_regex(a + " ", case_sensitive=False)
        for r in wild_resources:
            old_regex(r + " ", arn=True)

    print(f"   the same answers on all {matches:,} pattern-value pairs: {agree}")
    print("| | matcher CPU s | old regex CPU s |")
    print("|---|---|---|")
    print(f"| compile {len(wild_actions) + len(wild_resources):,} patterns | {cpu(compile_matcher):.3f} | "
          f"{cpu(compile_regex):.3f} |")
    print(f"| {matches:,} matches (compiled matcher / regex) | {cpu(run(raw_a, raw_r)):.4f} | "
          f"{cpu(run([o.fullmatch for o in old_a], [o.fullmatch for o in old_r])):.4f} |")
    print(f"| {matches:,} matches through Pattern.matches (folding values) | {cpu(with_patterns):.4f} | |")


if __name__ == "__main__":
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    adversarial()
    end_to_end()
    corpus()
