"""Terraform plans (``terraform show -json``) -> the snapshot of what the plan proposes.

The values of ``resource_changes`` (``after`` with ``after_unknown``), else ``planned_values``; values the
plan leaves unknown are taken from the configuration directory when it can tell them (a bucket policy's
``bucket = aws_s3_bucket.x.id``), or from the plan's ``configuration`` references; anything else stays
unknown. Source positions come from the configuration directory (``terraform_dir``, by default the plan
file's directory) since a plan records none. What the plan destroys is destroyed.py's.
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Iterable

from ...errors import InputError, Place
from ...fileio import parse_json, read_text
from ..builder import DEFAULT_ACCOUNT_ID, IacPart, SnapshotBuilder, decode_policy, note_unknown_managed_policies
from ..collector import collector_held
from ..values import Loc, PDict, PList, PStr, Unknown, first_unknown, top_level_elements
from .config import has_configuration
from .destroyed import plan_removals
from .evaluate import DirLoader
from .plan_shape import check_shape
from .resource import Res, placeholder, strip_keys
from .resources import add_computed, map_resources


def _inject_unknown(value: Any, unknown: Any, label: str) -> Any:
    if unknown is True:
        return Unknown(f"`{label}` is known only after apply")
    if isinstance(unknown, dict):
        out = dict(value) if isinstance(value, dict) else {}
        for k, u in unknown.items():
            out[k] = _inject_unknown(out.get(k), u, f"{label}.{k}")
        return out
    if isinstance(unknown, list):
        out_l = list(value) if isinstance(value, list) else []
        while len(out_l) < len(unknown):
            out_l.append(None)
        for i, u in enumerate(unknown):
            out_l[i] = _inject_unknown(out_l[i], u, f"{label}[{i}]")
        return out_l
    return value


def _entry(entries: list[Loc], pointer: str) -> Loc | None:
    """The position of the ``resource_changes`` entry a pointer is in."""
    m = re.match(r"/resource_changes/(\d+)/", pointer)
    return entries[int(m.group(1))] if m and int(m.group(1)) < len(entries) else None


def _module_prefix(module: Any) -> str:
    return module + "." if isinstance(module, str) and module else ""


def _creates(actions: Any) -> bool:
    return isinstance(actions, list) and "create" in actions


def _changes(actions: Any) -> bool:
    """Whether a change's actions change anything (``no-op`` and ``read`` only restate the object)."""
    return isinstance(actions, list) and not set(actions) <= {"no-op", "read"}


def _need(cond: bool, message: str, file: str, pointer: str) -> None:
    if not cond:
        raise InputError(message, Place(file, pointer=pointer))


def _walk_modules(module: dict, file: str, pointer: str) -> Iterable[tuple[dict, str]]:
    _need(isinstance(module, dict), "expected a module object", file, pointer)
    for i, r in enumerate(module.get("resources") or []):
        yield r, f"{pointer}/resources/{i}"
    for i, child in enumerate(module.get("child_modules") or []):
        yield from _walk_modules(child, file, f"{pointer}/child_modules/{i}")


def _config_modules(cfg_module: dict, prefix: str = "") -> Iterable[tuple[str, dict]]:
    """(module address prefix without instance keys, configuration module) pairs."""
    if not isinstance(cfg_module, dict):
        return
    yield prefix, cfg_module
    for name, call in (cfg_module.get("module_calls") or {}).items():
        if isinstance(call, dict):
            yield from _config_modules(call.get("module") or {}, f"{prefix}module.{name}.")


def _account_in(plan: dict) -> str | None:
    """The account a plan deploys to, when the plan shows it (the ARN of an IAM resource it already has)."""
    for rc in plan.get("resource_changes") or []:
        for side in ("after", "before"):
            vals = (rc.get("change") or {}).get(side)
            arn = vals.get("arn") if isinstance(vals, dict) else None
            m = re.match(r"arn:aws:iam::(\d{12}):", arn) if isinstance(arn, str) else None
            if m:
                return m.group(1)
    return None


def load_terraform_plan(path: str, *, terraform_dir: str | None = None, account_id: str | None = None,
                        known_accounts: Iterable[str] = ()) -> IacPart:
    """Read ``terraform show -json`` output (see the module docstring).

    ``account_id`` defaults to the account the plan's own IAM ARNs show; with ``known_accounts`` (the live
    estate's, in order) only if it is one of them, else the first of them; else the placeholder.
    """
    with collector_held():
        return _load_plan(str(path), terraform_dir, account_id, known_accounts)


def _load_plan(file: str, terraform_dir: str | None, account_id: str | None, known_accounts: Iterable[str]) -> IacPart:
    path = file
    text = read_text(path)
    plan = parse_json(text, file)
    _need(isinstance(plan, dict), "a Terraform plan is a JSON object", file, "")
    _need("format_version" in plan, "not a Terraform plan: missing `format_version`", file, "")
    _need("planned_values" in plan or "resource_changes" in plan,
          "not a Terraform plan: missing `planned_values` and `resource_changes`", file, "")
    check_shape(plan, file)
    if account_id is None:
        shown, known = _account_in(plan), list(known_accounts)
        account_id = (shown if shown in known else known[0]) if known else shown or DEFAULT_ACCOUNT_ID
    var_values = {k: v.get("value") for k, v in (plan.get("variables") or {}).items() if isinstance(v, dict)}

    # The configuration directory: positions, and values the plan leaves unknown.
    directory = terraform_dir if terraform_dir is not None else os.path.dirname(os.path.abspath(path))
    shown_dir = terraform_dir if terraform_dir is not None else os.path.dirname(file) or "."
    dir_res: dict[str, Res] = {}
    dir_loader = None
    if has_configuration(directory):
        dir_loader = DirLoader(shown_dir if terraform_dir is not None or not os.path.isabs(file) else directory,
                               account_id, var_values)
        for r in dir_loader.resources():
            dir_res[r.address] = r
    dir_by_base: dict[str, Res] = {}
    for r in dir_res.values():
        dir_by_base.setdefault(strip_keys(r.address), r)

    region: Any = Unknown("the provider's region is not set in the configuration")
    cfg = plan.get("configuration") or {}
    aws_provider = (cfg.get("provider_config") or {}).get("aws") or {}
    reg_expr = (aws_provider.get("expressions") or {}).get("region")
    reg_expr = reg_expr if isinstance(reg_expr, dict) else {}
    if isinstance(reg_expr.get("constant_value"), str):
        region = reg_expr["constant_value"]
    elif dir_loader is not None:
        region = dir_loader.region
    elif "references" in reg_expr and reg_expr["references"]:
        ref = reg_expr["references"][0]
        if ref.startswith("var.") and isinstance(var_values.get(ref[4:]), str):
            region = var_values[ref[4:]]

    config_by_address: dict[str, dict] = {}
    for prefix, m in _config_modules(cfg.get("root_module") or {}):
        for rc in m.get("resources") or []:
            if isinstance(rc, dict) and "address" in rc:
                config_by_address[prefix + rc["address"]] = rc

    changes: dict[str, dict] = {}
    change_at: dict[str, int] = {}  # address -> its index in resource_changes
    for i, rc in enumerate(plan.get("resource_changes") or []):
        _need(isinstance(rc, dict) and isinstance(rc.get("address"), str) and isinstance(rc.get("change"), dict),
              "a resource change needs `address` and `change`", file, f"/resource_changes/{i}")
        if rc.get("mode", "managed") == "managed":
            changes[rc["address"]] = rc
            change_at[rc["address"]] = i

    planned: list[tuple[dict, str]] = []
    if isinstance(plan.get("planned_values"), dict) and plan["planned_values"].get("root_module") is not None:
        planned = list(_walk_modules(plan["planned_values"]["root_module"], file, "/planned_values/root_module"))
    seen: set[str] = set()
    # Without its configuration a plan's resources are placed on their entries in the plan file.
    entries = top_level_elements(text, "resource_changes", file) if dir_loader is None else []
    # (address, type, module prefix, values, after_unknown, created, JSON pointer of the values in the plan,
    # whether the plan changes it)
    records: list[tuple[str, str, str, dict, Any, bool, str, bool]] = []
    for r, ptr in planned:
        _need(isinstance(r, dict) and isinstance(r.get("address"), str) and isinstance(r.get("type"), str),
              "a planned resource needs `address` and `type`", file, ptr)
        if r.get("mode", "managed") != "managed":
            continue
        rc = changes.get(r["address"])
        values = r.get("values") or {}
        _need(isinstance(values, dict), "a planned resource's `values` is an object", file, ptr + "/values")
        where = ptr + "/values"
        unknown = None
        actions: Any = ["no-op"]
        if rc is not None:
            ch = rc["change"]
            actions = ch.get("actions") or actions
            if isinstance(ch.get("after"), dict):
                values = ch["after"]
                where = f"/resource_changes/{change_at[r['address']]}/change/after"
            unknown = ch.get("after_unknown")
        module = (rc or r).get("module_address", "")
        records.append((r["address"], r["type"], _module_prefix(module), values, unknown, _creates(actions), where,
                        _changes(actions)))
        seen.add(r["address"])
    for address, rc in changes.items():  # changes planned_values does not list (rare, but be complete)
        ch = rc["change"]
        actions = ch.get("actions") or []
        if address in seen or actions == ["delete"] or not isinstance(ch.get("after"), dict):
            continue
        records.append((address, rc.get("type") or "", _module_prefix(rc.get("module_address", "")), ch["after"],
                        ch.get("after_unknown"), _creates(actions),
                        f"/resource_changes/{change_at[address]}/change/after", _changes(actions)))

    resources: list[Res] = []
    for address, rtype, module, values, unknown, created, where, changed in records:
        vals = _inject_unknown(values, unknown, address) if unknown else dict(values)
        if not isinstance(vals, dict):
            vals = {}  # `after_unknown: true`: nothing of the resource is known before apply
        d = dir_res.get(address) or dir_by_base.get(strip_keys(address))
        rel_address = address[len(module):] if module and address.startswith(module) else address
        conf = config_by_address.get(strip_keys(module) + strip_keys(rel_address)) or {}
        declared = set((conf.get("expressions") or {}).keys()) if conf else None
        if d is not None and declared is None:
            declared = set(d.values.keys())
        _fill_from_config(vals, d, conf, module, changes, dir_res, account_id, region, _instance_key(rel_address))
        if declared is not None:
            # Unknown computed attributes the configuration does not set (``arn``, a role's
            # ``inline_policy``): either s3audit computes them below or they are not the change's to decide.
            for k in [k for k, v in vals.items() if k not in declared and first_unknown(v) is not None]:
                del vals[k]
        if rtype == "aws_s3_bucket" and declared is not None:
            # computed inline blocks the configuration does not set come from AWS or split-out resources
            for k in ("acl", "grant", "policy", "versioning", "logging", "server_side_encryption_configuration",
                      "lifecycle_rule", "replication_configuration", "website", "object_lock_configuration"):
                if k not in declared:
                    vals.pop(k, None)
        elif rtype == "aws_s3_bucket":
            for k in list(vals):
                if isinstance(vals[k], Unknown) and k != "bucket":
                    vals.pop(k)
        if rtype == "aws_iam_role" and declared is not None:
            # Optional+computed: without the argument the state only reflects attachments and inline
            # policies that other resources (or AWS) manage, as they were before this plan.
            for k in ("inline_policy", "managed_policy_arns"):
                if k not in declared:
                    vals.pop(k, None)
        why = add_computed(rtype, vals, address, account_id, region)
        if why is None and d is not None and d.name_unknown and placeholder(d.address) in (
                vals.get("bucket"), vals.get("name")):
            why = d.name_unknown  # the configuration's placeholder stands in for the name
        _decode_policies(vals, file, where)
        if d is not None:
            vals = _transplant_positions(vals, d.values)
        loc = d.loc if d else _entry(entries, where)
        resources.append(Res(address, rtype, vals, loc, dict(d.key_pos) if d else {}, created, module, why,
                             (file, where), restated=d is None and not changed))

    builder = SnapshotBuilder("terraform", f"plan {file}", account_id, file)
    map_resources(builder, resources, region)
    note_unknown_managed_policies(builder)
    removals = plan_removals(plan, changes, text, file, account_id, dir_loader, dir_res, dir_by_base)
    return IacPart(builder.finish(), set(builder.created_buckets), removals, set(builder.declared_buckets))


# Attributes that name another resource: when the plan leaves them unknown, references can tell them.
_REF_ATTRS = {"bucket": ("id", "bucket"), "role": ("name", "id"), "user": ("name", "id"), "group": ("name", "id"),
              "policy_arn": ("arn",), "policy_id": ("id",), "target_bucket": ("id", "bucket"),
              "access_point_arn": ("arn",)}


def _instance_key(address: str) -> str:
    """The instance key of a resource address, as written (``["a"]`` of ``aws_s3_bucket.x["a"]``; ``""``)."""
    m = re.match(r"[^.\[]+\.[^.\[]+(\[.*\])$", address)
    return m.group(1) if m else ""


def _for_each_source(conf: dict) -> str | None:
    """The resource a configuration resource's ``for_each`` iterates (``for_each = aws_s3_bucket.x``), if any."""
    refs = (conf.get("for_each_expression") or {}).get("references") if isinstance(
        conf.get("for_each_expression"), dict) else None
    found = [r for r in refs or [] if isinstance(r, str) and re.fullmatch(r"[a-z0-9_]+\.[A-Za-z0-9_-]+", r)
             and not r.startswith(("var.", "local.", "module.", "data.", "each.", "count."))]
    return found[0] if len(found) == 1 else None


def _fill_from_config(vals: dict, d: Res | None, conf: dict, module: str, changes: dict, dir_res: dict,
                      account_id: str, region: Any, key: str = "") -> None:
    """Replace unknown values the configuration can tell: first from the evaluated directory, then from
    the plan's own references (``bucket = aws_s3_bucket.x.id`` -> that bucket's planned name; with
    ``for_each = aws_s3_bucket.x``, ``bucket = each.value.id`` -> the name of the bucket of the same key)."""
    for field, value in list(vals.items()):
        if first_unknown(value) is None:
            continue
        if d is not None and field in d.values and first_unknown(d.values[field]) is None:
            vals[field] = d.values[field]
            continue
        if field in _REF_ATTRS:
            expr = (conf.get("expressions") or {}).get(field)
            for ref in (expr.get("references") or []) if isinstance(expr, dict) else []:
                parts = ref.split(".")
                source = _for_each_source(conf) if parts[:2] == ["each", "value"] else None
                if source is not None and len(parts) == 3 and parts[2] in _REF_ATTRS[field]:
                    target = changes.get(module + source + key)
                elif len(parts) == 3 and parts[2] in _REF_ATTRS[field]:
                    target = changes.get(module + ".".join(parts[:2]))
                else:
                    continue
                if target is None:
                    continue
                tvals = target["change"].get("after") or {}
                tv = dict(tvals) if isinstance(tvals, dict) else {}
                tu = target["change"].get("after_unknown") or {}
                tv = _inject_unknown(tv, tu, target["address"]) if tu else tv
                if not isinstance(tv, dict):
                    continue
                add_computed(target.get("type") or "", tv, target["address"], account_id, region)
                got = tv.get(parts[2])
                if isinstance(got, str):
                    vals[field] = got
                    break


# The arguments that hold a policy document as JSON text (at the top level, or in a nested block).
_POLICY_TEXTS = ("policy", "assume_role_policy", "content")


def _decode_policies(vals: dict, file: str, pointer: str, depth: int = 0) -> None:
    """Decode the policy documents a plan holds as JSON text, in place: the text keeps its value (PStr) and
    remembers the document it encodes; text that is not JSON is an input error at its pointer in the plan (the
    provider would have refused it). A plan records no positions inside the text."""
    for key, value in list(vals.items()):
        at = f"{pointer}/{key}"
        if key in _POLICY_TEXTS and isinstance(value, str) and value and not isinstance(value, PStr):
            try:
                vals[key] = PStr(value, encoded=json.loads(value))
            except ValueError as exc:
                raise InputError(f"`{key}` is not valid JSON ({exc})", Place(file, pointer=at)) from None
        elif isinstance(value, list) and depth < 2:
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _decode_policies(item, file, f"{at}/{i}", depth + 1)


def _transplant_positions(plan_vals: dict, dir_vals: dict) -> dict:
    """Give policy documents from the plan the positions of the same documents in the configuration
    (same number of statements), so findings on statements point at lines."""
    out = dict(plan_vals)
    for key in ("policy", "assume_role_policy", "content"):
        pv, dv = plan_vals.get(key), dir_vals.get(key)
        if not isinstance(pv, str) or pv == "" or dv is None or isinstance(dv, Unknown):
            continue
        try:
            pdoc = json.loads(str(pv))
            ddoc = decode_policy(dv, None)
        except (ValueError, InputError):
            continue
        if ddoc is None or ddoc.doc is None or not isinstance(pdoc, dict):
            continue
        dst, pst = ddoc.doc.get("Statement"), pdoc.get("Statement")
        doc = PDict(pdoc, pos=getattr(ddoc.doc, "pos", None))
        if isinstance(dst, list) and isinstance(pst, list) and len(dst) == len(pst):
            doc["Statement"] = PList((PDict(s, pos=getattr(t, "pos", None)) if isinstance(s, dict) else s
                                      for s, t in zip(pst, dst)), pos=getattr(dst, "pos", None))
        out[key] = PStr(str(pv), encoded=doc)
    return out
