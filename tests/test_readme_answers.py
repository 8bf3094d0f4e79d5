"""The `explain` and `paths` answers README.md shows on the demo estate are what s3audit prints: the README's
account of the KMS key and VPC endpoint in decisions and paths (issue 14) stays true as the estate or the
engine changes. A change that alters them regenerates the README blocks (run the command shown, paste its
output)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from s3audit.cli import main

ROOT = Path(__file__).resolve().parent.parent
# a console block: "$ s3audit ..." (continued by lines ending in a backslash), then the output
BLOCK = re.compile(r"```console\n\$ (s3audit (?:explain|paths) (?:[^\n]*\\\n)*[^\n]*)\n(.*?)```", re.S)


def answers() -> list[tuple[str, str]]:
    found = [(m.group(1).replace("\\\n", " "), m.group(2)) for m in BLOCK.finditer((ROOT / "README.md").read_text())]
    assert len(found) >= 5  # the PCI read, the vendor's read through the endpoint, anonymous, two paths
    return found


@pytest.mark.parametrize("command, expected", answers(), ids=lambda x: x[:90] if x.startswith("s3audit") else "")
def test_the_readme_shows_what_s3audit_prints(command, expected, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    main(shlex.split(command)[1:])
    assert capsys.readouterr().out == expected


def test_the_readme_names_the_key_and_the_endpoint_in_explain_and_paths():
    shown = {c.split()[1]: "" for c, _ in answers()}
    for command, out in answers():
        shown[command.split()[1]] += out
    for verb in ("explain", "paths"):
        assert "KMS key alias/" in shown[verb] and "needs kms:Decrypt" in shown[verb], verb
    assert "VPC endpoint policy of vpce-" in shown["explain"]
    assert "its policy admits principals of organization" in shown["paths"]
