"""Helpers shared by the deletion tests: where things are in the fixture files, found independently of
the code under test (plain text search)."""
from __future__ import annotations

from ..fixture_text import line_of  # noqa: F401  (the deletion tests import it from here)

P = "fixtures/terraform-plans"
DEMO = "fixtures/demo/estate.json"
PERIMETER = "fixtures/overlay/live-perimeter.json"


def change_at(plan: str, address: str) -> dict:
    """The position of ``address``'s entry in the plan's ``resource_changes`` (its opening brace)."""
    with open(plan, encoding="utf-8") as fh:
        text = fh.read()
    start = text.index('"resource_changes"')
    at = text.index(f'"address": "{address}"', start)
    brace = text.rindex("{", start, at)
    line = text.count("\n", 0, brace) + 1
    column = brace - (text.rfind("\n", 0, brace) + 1) + 1
    return {"file": plan, "line": line, "column": column}
