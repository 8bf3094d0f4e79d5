import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture
def snapshot_md_example() -> dict:
    """The example snapshot printed in SNAPSHOT.md (the contract's own example)."""
    text = (SHARED / "SNAPSHOT.md").read_text()
    return json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))
