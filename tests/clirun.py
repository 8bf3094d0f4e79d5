"""The command line run in-process by tests, as a user runs it from the repository's root."""
from __future__ import annotations

from pathlib import Path

import pytest

from s3audit.cli import main

ROOT = Path(__file__).resolve().parents[1]


def cli(capsys, *argv) -> tuple[int, str, str]:
    """(exit status, standard output, standard error) of `s3audit ARGV`."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def in_repository(monkeypatch):
    """Relative paths (fixtures/..., s3audit/demo/...) read as in the README."""
    monkeypatch.chdir(ROOT)
