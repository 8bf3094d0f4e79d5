"""A fresh clone passes with nothing beside it: no test, benchmark, script or package module names a path outside
the repository, and (through the audit hook in conftest.py) no test reads one at run time."""
import re
import subprocess
from pathlib import Path

from tests.conftest import outside_reads

ROOT = Path(__file__).resolve().parents[1]
# Ways out of the repository: a sibling folder, an absolute path on some machine, a climb above the root.
ESCAPES = re.compile(r"\.\./shared|\"/work/|ROOT\.parent\b|parents\[[3-9]\]")


def test_no_source_names_a_path_outside_the_repository():
    files = subprocess.run(["git", "ls-files", "tests", "bench", "s3audit", ".ci", "fixtures", "policies", "rules"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in files:
        if not name.endswith((".py", ".sh", ".yaml", ".yml", ".toml")) and not name.startswith(".ci/"):
            continue
        if name == "tests/test_stands_alone.py":
            continue
        for number, line in enumerate((ROOT / name).read_text(errors="replace").splitlines(), 1):
            if ESCAPES.search(line):
                hits.append(f"{name}:{number}: {line.strip()}")
    assert hits == []


def test_the_audit_hook_sees_reads_outside_the_repository(tmp_path):
    # The hook is what makes the session fail; prove it is installed and records nothing for in-repo reads.
    (ROOT / "README.md").read_text()
    (tmp_path / "x").write_text("x")
    (tmp_path / "x").read_text()
    assert outside_reads() == {}
