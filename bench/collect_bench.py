"""Benchmark ``s3audit collect``: one account with N buckets in moto, buckets per second per ``--workers``.

    PYTHONPATH=. python3 bench/collect_bench.py                      # 500 buckets, workers 1 and 16
    PYTHONPATH=. python3 bench/collect_bench.py --latency-ms 0 10   # also with a simulated round trip

moto answers in-process in well under a millisecond, so with no added latency the figure measures the
collector's and botocore's own cost per bucket (and moto's), and more workers mostly contend for the GIL.
Real AWS answers in tens of milliseconds: ``--latency-ms`` sleeps that long before every HTTP attempt (in the
worker's thread, like a network wait), which is where a bounded pool of workers pays off.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def build(buckets: int) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                       "Resource": "arn:aws:s3:::{name}/*",
                                                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    for i in range(buckets):
        name = f"bench-bucket-{i:04d}"
        s3.create_bucket(Bucket=name)
        if i % 2 == 0:
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy).replace("{name}", name))
        if i % 3 == 0:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": f"t{i % 7}"}]})
        if i % 4 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    iam = boto3.client("iam", region_name="us-east-1")
    for i in range(20):
        iam.create_role(RoleName=f"role-{i}", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))


def measure(workers: int, latency: float, directory: str) -> tuple[float, int]:
    from s3audit.sources import aws

    def slow_network(client) -> None:
        if latency:
            client.meta.events.register_first("before-send", lambda **_: time.sleep(latency))

    options = aws.CollectOptions(output=os.path.join(directory, f"bench-{workers}.json"), workers=workers)
    started = time.perf_counter()
    snapshot = aws.collect(options, on_new_client=slow_network)
    elapsed = time.perf_counter() - started
    return elapsed, len(snapshot["accounts"][0]["s3"]["buckets"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0])
    args = parser.parse_args()

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    from moto import mock_aws

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, moto in process, 1 account, "
          f"{args.buckets} buckets (14 reads each)")
    with mock_aws(), tempfile.TemporaryDirectory() as directory:
        build(args.buckets)
        measure(1, 0.0, directory)  # warm-up: service models loaded, moto's lazy backends created
        for latency_ms in args.latency_ms:
            for workers in args.workers:
                elapsed, count = measure(workers, latency_ms / 1000, directory)
                assert count == args.buckets, count
                print(f"latency {latency_ms:5.1f} ms  workers {workers:3d}: {elapsed:7.2f} s, "
                      f"{count / elapsed:8.1f} buckets/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
