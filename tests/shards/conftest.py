import sys
from pathlib import Path

import pytest

from ..report.conftest import cli  # noqa: F401 (the command line in-process)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "s3audit" / "demo" / "estate.json"


def synthetic_estate(path: Path, **size) -> Path:
    """A small estate of bench/synthetic.py (cross-account grants, wildcards, escalations) written to path."""
    sys.path.insert(0, str(ROOT))
    from bench.synthetic import generate, write
    params = dict(accounts=4, roles=60, users=24, buckets=120, seed=5)
    params.update(size)
    write(generate(**params), str(path))
    return path


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory) -> Path:
    return synthetic_estate(tmp_path_factory.mktemp("estate") / "estate.json")
