"""JSON: the ``s3audit.findings/v1`` contract (``format``, ``findings``, ``summary``) plus the run's context.

The keys are documented in docs/reports.md and checked by ``s3audit/schemas/findings.schema.json``;
findings come sorted (severity, then waived last, rule, subject) so that two runs diff cleanly.
"""
from __future__ import annotations

import enum
import json as _json
from typing import Any

from .model import Report


def to_plain(value: Any) -> Any:
    """``json.dumps`` fallback for evidence values: objects with ``to_json``, sets, enums, dataclasses."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses
        return dataclasses.asdict(value)
    if isinstance(value, type(Ellipsis)) or value is None:
        return None
    return str(value)


def dumps(document: Any) -> str:
    return _json.dumps(document, indent=2, ensure_ascii=False, default=to_plain) + "\n"


def render(report: Report) -> str:
    return dumps(report.to_json())
