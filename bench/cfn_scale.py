"""Benchmark: CloudFormation templates of many buckets (issue 11: 40,000 buckets took 295 s, 4,000 took 8 s).

Run from the repository root: ``python bench/cfn_scale.py [N ...]`` (default 4000 40000). For each N it writes a
synthetic template to a temporary folder: N buckets with a name, versioning and tags, every second one with a
bucket policy (a TLS-only deny on ``!Sub "${Bucket.Arn}/*"``) and every tenth one named only at deploy time
(``!Sub "${AWS::StackName}-data-<i>"``, its policy naming it with the same expression). It prints, for each
size, the CPU time (``time.process_time``, less sensitive to a busy machine than wall time) of

* reading the template into a snapshot (``load_iac``), the part whose cost grew with buckets x buckets, and
* the whole ``s3audit check --cloudformation`` in this process (reading, every rule, the JSON report), with
  ``--full`` only: at 40,000 buckets it writes about 440,000 findings.

and the machine's load average, since other work on the machine still slows a run down.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def template(n: int) -> str:
    out = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"]
    for i in range(n):
        name = f"!Sub '${{AWS::StackName}}-data-{i}'" if i % 10 == 0 else f"acme-bench-{i}"
        out += [f"  Bucket{i}:", "    Type: AWS::S3::Bucket", "    Properties:", f"      BucketName: {name}",
                "      VersioningConfiguration: {Status: Enabled}", f"      Tags: [{{Key: n, Value: '{i}'}}]"]
        if i % 2 == 0:
            bucket = name if i % 10 == 0 else f"!Ref Bucket{i}"
            out += [f"  Policy{i}:", "    Type: AWS::S3::BucketPolicy", "    Properties:", f"      Bucket: {bucket}",
                    "      PolicyDocument:", "        Statement:", "          - Effect: Deny",
                    "            Principal: '*'", "            Action: 's3:*'",
                    f"            Resource: !Sub '${{Bucket{i}.Arn}}/*'",
                    "            Condition: {Bool: {aws:SecureTransport: false}}"]
    return "\n".join(out) + "\n"


def main() -> None:
    full = "--full" in sys.argv
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [4000, 40000]
    from s3audit.sources.iac import load_iac
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = os.path.join(tmp, f"buckets-{n}.yaml")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(template(n))
            started = time.process_time()
            snap, _ = load_iac(cloudformation=[path])
            load = time.process_time() - started
            buckets = len(snap["accounts"][0]["s3"]["buckets"])
            with_policy = sum(1 for b in snap["accounts"][0]["s3"]["buckets"] if "Policy" in b)
            del snap
            line = f"{n:6d} buckets ({buckets} read, {with_policy} with their policy): load {load:6.2f} s CPU"
            if full:
                import contextlib
                import io

                from s3audit.cli import main as cli
                started = time.process_time()
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    cli(["check", "--cloudformation", path, "--format", "json", "-o",
                         os.path.join(tmp, "findings.json")])
                line += f", check {time.process_time() - started:6.2f} s CPU"
            print(line + f"   (load average {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
