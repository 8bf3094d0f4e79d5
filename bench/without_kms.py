"""Write a copy of a snapshot with the KMS lock taken out, for measuring what the KMS layer costs estates that
do not use it (issue 14: no more than 10% slower there).

Buckets whose default encryption is SSE-KMS (or DSSE-KMS) become SSE-S3, and the `kms` and `ec2.vpc_endpoints`
sections are dropped, so no decision has a key to consult:

    PYTHONPATH=. python3 bench/without_kms.py s3audit/demo/estate.json /tmp/estate-without-kms.json
    PYTHONPATH=. python3 bench/explain_bench.py --snapshot /tmp/estate-without-kms.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def without_kms(snapshot: dict) -> dict:
    for account in snapshot.get("accounts", []):
        account.pop("kms", None)
        (account.get("ec2") or {}).pop("vpc_endpoints", None)
        for bucket in account.get("s3", {}).get("buckets", []):
            rules = (bucket.get("Encryption") or {}).get("Rules") or []
            for rule in rules:
                default = rule.get("ApplyServerSideEncryptionByDefault") or {}
                if "kms" in str(default.get("SSEAlgorithm", "")):
                    rule["ApplyServerSideEncryptionByDefault"] = {"SSEAlgorithm": "AES256"}
                    rule.pop("BucketKeyEnabled", None)
    return snapshot


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = (Path(a) for a in argv)
    target.write_text(json.dumps(without_kms(json.loads(source.read_text()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
