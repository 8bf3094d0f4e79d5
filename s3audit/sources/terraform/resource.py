"""One Terraform resource instance as the mapping sees it, from either reader (a configuration directory or a
plan), and helpers for the values of its arguments and nested blocks."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..values import Loc, Unknown


@dataclass
class Res:
    """One resource instance, from either reader, as the mapping sees it."""

    address: str
    type: str
    values: dict
    loc: Loc | None
    key_pos: dict[str, Loc] = field(default_factory=dict)
    created: bool = True
    module: str = ""  # module address prefix, "" for the root module, else "module.a." ...
    name_unknown: str | None = None

    def at(self, key: str) -> Loc | None:
        return self.key_pos.get(key) or self.loc

    def changed_at(self) -> Loc | None:
        """Where the value a resource sets as a whole comes from: the first argument an override file set
        in it (the last override file, by name, wins), else its block."""
        if self.loc is None:
            return None
        outside = [loc for loc in self.key_pos.values() if loc.file != self.loc.file]
        if not outside:
            return self.loc
        last = max(loc.file for loc in outside)
        return min((loc for loc in outside if loc.file == last), key=lambda loc: (loc.line, loc.column))


def placeholder(address: str) -> str:
    """The name of a resource whose name Terraform leaves to apply time: never a valid AWS name."""
    return f"<{address}>"


def strip_keys(address: str) -> str:
    """A resource address without its instance keys (``aws_s3_bucket.b[0]`` -> ``aws_s3_bucket.b``)."""
    return re.sub(r"\[[^\]]*\]", "", address)


def fill(obj: dict, key: str, value: Any) -> None:
    """Set a computed attribute the configuration (or the plan) leaves absent or unknown."""
    if obj.get(key) is None or isinstance(obj.get(key), Unknown):
        obj[key] = value


# Nested blocks are a list of objects in a configuration (one object when written as an attribute) and in
# a plan; these read them alike.

def blocks(v: Any) -> Any:
    """The nested blocks of an argument, as a list (or Unknown)."""
    if v is None:
        return []
    if isinstance(v, Unknown):
        return v
    if isinstance(v, dict):
        return [v]
    return list(v)


def first(v: Any) -> Any:
    """The first (for a block Terraform allows once, the only) nested block; None, or Unknown."""
    b = blocks(v)
    if isinstance(b, Unknown):
        return b
    return b[0] if b else None


def pick(d: dict | None, mapping: Iterable[tuple[str, str]], convert=None) -> dict:
    """``{AWS key: value}`` for each (Terraform argument, AWS key) pair whose argument is set and not empty."""
    out = {}
    if not d:
        return out
    for src, dst in mapping:
        v = d.get(src)
        if v is None or v == "" or (isinstance(v, list) and not v):
            continue
        out[dst] = convert(v) if convert else v
    return out


def string(v: Any) -> str | None:
    """A string value that is set (not empty, not unknown), else None."""
    return v if isinstance(v, str) and v else None


def strings(v: Any) -> list[str]:
    """The strings of a list that are set."""
    return [x for x in v if isinstance(x, str) and x] if isinstance(v, list) else []
