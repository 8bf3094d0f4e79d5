"""IaC fixtures and the locations s3audit records are relative to the repository root, as in CI."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture
def cli(capsys, at_root):
    """Run the command line in-process: (exit status, stdout, stderr)."""
    from s3audit.cli import main

    def run(*argv):
        status = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return status, out, err
    return run
