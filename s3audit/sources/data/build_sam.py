"""Regenerate ``sam.json.gz``, what s3audit needs of the AWS SAM transform to expand a SAM template's IAM.

The source is the ``aws-sam-translator`` wheel, the code of the transform itself (Apache-2.0, as s3audit):

* ``samtranslator/policy_templates_data/policy_templates.json``: every SAM policy template, its parameters and
  its statements, kept as the transform defines them (``Ref`` to a template parameter, ``Fn::Sub`` with pseudo
  parameters); documented at
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-template-list.html
* ``samtranslator/internal/data/aws_managed_policies.json``: the map the transform uses to turn an AWS managed
  policy *name* in ``Policies`` into its ARN (``AWSLambdaExecute`` -> ``arn:aws:iam::aws:policy/AWSLambdaExecute``,
  ``AWSLambdaBasicExecutionRole`` -> ``.../policy/service-role/AWSLambdaBasicExecutionRole``), ``aws`` partition.

    pip download --no-deps aws-sam-translator && python -m s3audit.sources.data.build_sam aws_sam_translator-*.whl
"""
from __future__ import annotations

import gzip
import json
import re
import sys
import zipfile
from pathlib import Path

TEMPLATES = "samtranslator/policy_templates_data/policy_templates.json"
MANAGED = "samtranslator/internal/data/aws_managed_policies.json"


def build(wheel: str) -> dict:
    version = re.search(r"aws_sam_translator-([^-]+)-", Path(wheel).name)
    with zipfile.ZipFile(wheel) as z:
        templates = json.loads(z.read(TEMPLATES))["Templates"]
        managed = json.loads(z.read(MANAGED))["aws"]
    return {
        "source": f"aws-sam-translator {version.group(1) if version else '?'} ({TEMPLATES}, {MANAGED})",
        "policy_templates": {name: {"Parameters": sorted(t.get("Parameters") or {}), "Definition": t["Definition"]}
                             for name, t in sorted(templates.items())},
        "managed_policies": dict(sorted(managed.items())),
    }


def main(argv: list[str]) -> int:
    out = Path(__file__).with_name("sam.json.gz")
    data = json.dumps(build(argv[0]), separators=(",", ":"), sort_keys=True).encode()
    out.write_bytes(gzip.compress(data, mtime=0))
    print(f"wrote {out} ({len(data)} bytes raw)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
