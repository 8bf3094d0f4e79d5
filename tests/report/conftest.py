import json
from pathlib import Path

import pytest

from s3audit import audit
from s3audit.cli import main

from .fakes import fake_evaluator

ROOT = Path(__file__).resolve().parents[2]
DAY1 = "s3audit/demo/estate.json"
DAY2 = "s3audit/demo/estate-day2.json"
SARIF_SCHEMA = Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # fixtures and locations are relative to the repository, as in CI


@pytest.fixture
def fake_rules():
    """Drive the pipeline with the stand-in evaluator (tests/report/fakes.py)."""
    audit.set_evaluator(fake_evaluator)
    yield
    audit.set_evaluator(None)


@pytest.fixture
def cli(capsys):
    """Run the command line in-process: (exit status, stdout, stderr)."""
    def run(*argv):
        status = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return status, out, err
    return run


def load(path):
    return json.loads(Path(path).read_text())
