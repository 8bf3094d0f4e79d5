"""What a Terraform plan destroys: the ``Removal``s (see removals.py) of its deleted resources.

https://developer.hashicorp.com/terraform/internals/json-format (Change Representation): "actions" is
["no-op"], ["create"], ["read"], ["update"], ["delete", "create"] or ["create", "delete"] (replace),
["delete"], and since Terraform 1.7 ["forget"] (a `removed` block with `destroy = false`: Terraform stops
managing the object and leaves it in place) and ["create", "forget"]. Terraform's own advice is to scan
the list for "delete"; "forget" destroys nothing. The object deleted is the change's `before` value.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InputError
from ..values import Loc, parse_json_with_positions
from .resource import Res, strip_keys
from .resources import removals_of

if TYPE_CHECKING:
    from .evaluate import DirLoader


def plan_removals(plan: dict, changes: dict[str, dict], text: str, file: str, account_id: str,
                  dir_loader: "DirLoader | None", dir_res: dict[str, Res], dir_by_base: dict[str, Res]) -> list:
    """What the plan's deleted resources take away, each located where the configuration declares (or
    `removed`) it, else at its entry in the plan file."""
    deleted = [(i, rc) for i, rc in enumerate(plan.get("resource_changes") or [])
               if isinstance(rc, dict) and rc.get("mode", "managed") == "managed" and isinstance(rc.get("change"), dict)
               and "delete" in (rc["change"].get("actions") or [])]
    if not deleted:
        return []
    prior = _prior_values(plan)
    positions = _change_positions(text, file)
    removed_blocks = _removed_blocks(dir_loader)
    out = []
    for i, rc in deleted:
        address = rc["address"]
        before = rc["change"].get("before")
        if not isinstance(before, dict):
            before = prior.get(address)
        if not isinstance(before, dict):
            continue  # nothing says what existed; the live snapshot keeps whatever it has
        location = _declared_at(address, rc.get("type", ""), rc.get("module_address", ""), dir_loader, dir_res,
                                dir_by_base, removed_blocks) or positions.get(i) or {"file": file, "line": None,
                                                                                    "column": None}
        gone = removals_of(rc.get("type", ""), before, address, account_id, location)
        after = rc["change"].get("after")
        if "create" in rc["change"]["actions"] and isinstance(after, dict):
            # An attachment or membership is nothing but the edge it names: replaced by the same edge, it
            # stays (and the overlay could not re-create an attachment to a policy defined elsewhere).
            again = removals_of(rc.get("type", ""), after, address, account_id, None)
            gone = [r for r in gone if not (r.kind in _EDGES and r in again)]
        out += gone
    return out


_EDGES = ("attachment", "membership", "org-attachment")


def _prior_values(plan: dict) -> dict[str, dict]:
    root = ((plan.get("prior_state") or {}).get("values") or {}).get("root_module")
    out: dict[str, dict] = {}
    if not isinstance(root, dict):
        return out
    stack = [root]
    while stack:
        m = stack.pop()
        for r in m.get("resources") or []:
            if isinstance(r, dict) and isinstance(r.get("address"), str) and isinstance(r.get("values"), dict):
                out[r["address"]] = r["values"]
        stack += [c for c in m.get("child_modules") or [] if isinstance(c, dict)]
    return out


def _change_positions(text: str, file: str) -> dict[int, dict]:
    """Where each entry of ``resource_changes`` starts in the plan file (``terraform show -json`` writes one
    line, so the column matters); empty if the positional reader refuses the text."""
    try:
        doc = parse_json_with_positions(text, file)
    except InputError:
        return {}
    changes = doc.get("resource_changes") if isinstance(doc, dict) else None
    out = {}
    for i, rc in enumerate(changes if isinstance(changes, list) else []):
        pos = getattr(rc, "pos", None)
        if pos is not None:
            out[i] = pos.as_json()
    return out


def _removed_blocks(dir_loader: "DirLoader | None") -> dict[str, Loc]:
    """The root module's `removed` blocks (Terraform 1.7+) by their `from` address."""
    if dir_loader is None:
        return {}
    return dict(dir_loader.root_cfg.removed)


def _declared_at(address: str, rtype: str, module: str, dir_loader: "DirLoader | None", dir_res: dict[str, Res],
                 dir_by_base: dict[str, Res], removed_blocks: dict[str, Loc]) -> dict | None:
    """Where the configuration still declares a destroyed resource: its block (an instance that `count` or
    `for_each` no longer produces, the old object of a replacement), else the `removed` block naming it."""
    d = dir_res.get(address) or dir_by_base.get(strip_keys(address))
    if d is not None and d.loc is not None:
        return d.loc.as_json()
    base = strip_keys(address)
    if dir_loader is not None and not module:
        block = dir_loader.root_cfg.resources.get(base)
        if block is not None:
            return block.loc.as_json()
    for key in (address, base):
        if key in removed_blocks:
            return removed_blocks[key].as_json()
    return None
