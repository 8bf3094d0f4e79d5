"""The README's `explain` and `paths` answers on the demo estate name the KMS key and the VPC endpoint (issue
14). That each answer is what s3audit prints is checked by tests/test_readme.py; this checks that the ones
showing the two locks are there."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```console\n\$ s3audit (explain|paths) (?:[^\n]*\\\n)*[^\n]*\n(.*?)```", re.S)


def test_the_readme_names_the_key_and_the_endpoint_in_explain_and_paths():
    shown = {"explain": "", "paths": ""}
    for m in BLOCK.finditer((ROOT / "README.md").read_text(encoding="utf-8")):
        shown[m.group(1)] += m.group(2)
    for verb in ("explain", "paths"):
        assert "KMS key alias/" in shown[verb] and "needs kms:Decrypt on it: granted by key policy" in shown[verb], verb
    assert "VPC endpoint policy of vpce-" in shown["explain"]
    assert "is a Gateway VPC endpoint of VPC" in shown["paths"] and "its policy admits principals of organization" \
        in shown["paths"]
