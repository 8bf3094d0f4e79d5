"""The built-in profiles' parsed forms shipped in ``s3audit/profiles/parsed.json`` (written by
``python -m s3audit.profiles.build_parsed``): exactly what the YAML reader makes of each profile's text, used
only for that very text, so that a check with a built-in profile does not import PyYAML."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from s3audit import profile as P
from s3audit.profiles.build_parsed import build

ROOT = Path(__file__).resolve().parents[2]
PROFILES = sorted(p.stem for p in (ROOT / "s3audit" / "profiles").glob("*.yaml"))


def test_the_shipped_file_is_what_the_build_script_writes_now():
    shipped = json.loads((ROOT / "s3audit" / "profiles" / "parsed.json").read_text(encoding="utf-8"))
    assert shipped == build(), "stale: run python -m s3audit.profiles.build_parsed"
    assert sorted(shipped) == PROFILES and len(PROFILES) >= 7


@pytest.mark.parametrize("name", PROFILES)
def test_a_built_in_profile_parses_as_its_yaml_does(name, monkeypatch):
    path = os.path.join(P.builtin_profiles_dir(), f"{name}.yaml")
    text = Path(path).read_text(encoding="utf-8")
    shipped = P._shipped_parse(text, path)
    assert shipped is not None
    data, places = P.load_yaml_with_places(text, path)
    assert repr(shipped[0]) == repr(data)  # values, their types (True is not 1) and the keys' order
    assert shipped[1] == places
    fast = P.parse_profile(text, path)
    monkeypatch.setattr(P, "_shipped_parse", lambda text, file: None)
    assert fast == P.parse_profile(text, path)
    assert fast.places == P.parse_profile(text, path).places


def test_a_changed_text_is_read_from_its_yaml(tmp_path):
    text = Path(P.builtin_profiles_dir(), "default.yaml").read_text(encoding="utf-8") + "\n# a comment\n"
    assert P._shipped_parse(text, "x.yaml") is None
    mine = tmp_path / "mine.yaml"
    mine.write_text(text.replace("profile: default", "profile: mine"), encoding="utf-8")
    assert P.load_profile(str(mine)).name == "mine"


def test_the_caller_may_change_what_it_gets():
    text = Path(P.builtin_profiles_dir(), "pci.yaml").read_text(encoding="utf-8")
    first, _ = P._shipped_parse(text, "pci.yaml")
    first.clear()
    assert P._shipped_parse(text, "pci.yaml")[0]


PROBE = """
import json, sys
from s3audit.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "yaml": "yaml" in sys.modules}))
"""


@pytest.mark.parametrize("inputs", [["--terraform", "fixtures/terraform/v4-public-policy"],
                                    ["--terraform-plan", "fixtures/terraform-plans/count-for-each.json"]])
def test_a_terraform_check_with_a_built_in_profile_does_not_import_pyyaml(inputs):
    assert (ROOT / inputs[1]).exists()
    done = subprocess.run([sys.executable, "-c", PROBE, "check", *inputs, "--profile", "pci", "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=120)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last == {"status": last["status"], "yaml": False} and last["status"] in (0, 1)
