"""The shape of ``terraform show -json`` output, as far as s3audit reads it: checked once, before it is read.

https://developer.hashicorp.com/terraform/internals/json-format describes the format. A plan whose parts do not
have their documented types (a hand-edited or truncated file) is an input error at the JSON pointer of the
first such part, so the reader that follows can rely on the types it reads; what s3audit does not read is not
checked. Resource values (``values``, ``before``, ``after``) are only required to be objects here: the mapping
converts the arguments it reads to their types (arguments.py).
"""
from __future__ import annotations

from typing import Any

from ...errors import InputError, Place, pointer_join

_KIND = {dict: "an object", list: "a list", str: "a string"}


def check_shape(plan: dict, file: str) -> None:
    """InputError at the first part of ``plan`` that does not have the type the format gives it."""
    _Check(file).plan(plan)


class _Check:
    def __init__(self, file: str):
        self.file = file

    def need(self, value: Any, kind: type | tuple, pointer: str, what: str, *, optional: bool = True) -> Any:
        if value is None and optional:
            return value
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            names = " or ".join(_KIND.get(k, k.__name__) for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise InputError(f"{what} must be {names}", Place(self.file, pointer=pointer or "/"))
        return value

    def plan(self, plan: dict) -> None:
        variables = self.need(plan.get("variables"), dict, "/variables", "`variables`")
        for name, v in (variables or {}).items():
            self.need(v, dict, pointer_join("/variables", name), f"variable `{name}`", optional=False)
        changes = self.need(plan.get("resource_changes"), list, "/resource_changes", "`resource_changes`")
        for i, rc in enumerate(changes or []):
            self.change(rc, f"/resource_changes/{i}")
        planned = self.need(plan.get("planned_values"), dict, "/planned_values", "`planned_values`")
        if planned:
            self.module(planned.get("root_module"), "/planned_values/root_module")
        prior = self.need(plan.get("prior_state"), dict, "/prior_state", "`prior_state`")
        if prior:
            values = self.need(prior.get("values"), dict, "/prior_state/values", "`values`")
            if values:
                self.module(values.get("root_module"), "/prior_state/values/root_module")
        cfg = self.need(plan.get("configuration"), dict, "/configuration", "`configuration`")
        if cfg:
            providers = self.need(cfg.get("provider_config"), dict, "/configuration/provider_config",
                                  "`provider_config`")
            for name, p in (providers or {}).items():
                at = pointer_join("/configuration/provider_config", name)
                self.need(p, dict, at, f"provider configuration `{name}`", optional=False)
                self.expressions(p.get("expressions"), at + "/expressions")
            self.config_module(cfg.get("root_module"), "/configuration/root_module")

    def change(self, rc: Any, at: str) -> None:
        self.need(rc, dict, at, "a resource change", optional=False)
        self.need(rc.get("address"), str, at + "/address", "`address`", optional=False)
        for key in ("mode", "type", "name", "module_address"):
            self.need(rc.get(key), str, f"{at}/{key}", f"`{key}`")
        change = self.need(rc.get("change"), dict, at + "/change", "`change`", optional=False)
        actions = self.need(change.get("actions"), list, at + "/change/actions", "`actions`")
        for j, a in enumerate(actions or []):
            self.need(a, str, f"{at}/change/actions/{j}", "an action", optional=False)
        for side in ("before", "after"):
            self.need(change.get(side), dict, f"{at}/change/{side}", f"`{side}`")

    def resources(self, m: Any, at: str):
        """(resource, its pointer) of a module's `resources`, each an object with an `address`."""
        self.need(m, dict, at, "a module")
        if not m:
            return
        resources = self.need(m.get("resources"), list, at + "/resources", "`resources`")
        for i, r in enumerate(resources or []):
            rat = f"{at}/resources/{i}"
            self.need(r, dict, rat, "a resource", optional=False)
            self.need(r.get("address"), str, rat + "/address", "`address`", optional=False)
            yield r, rat

    def module(self, m: Any, at: str) -> None:
        for r, rat in self.resources(m, at):
            for key in ("mode", "type", "name"):
                self.need(r.get(key), str, f"{rat}/{key}", f"`{key}`")
            self.need(r.get("values"), dict, rat + "/values", "`values`")
        if not m:
            return
        children = self.need(m.get("child_modules"), list, at + "/child_modules", "`child_modules`")
        for i, child in enumerate(children or []):
            self.module(child, f"{at}/child_modules/{i}")

    def config_module(self, m: Any, at: str) -> None:
        for r, rat in self.resources(m, at):
            self.expressions(r.get("expressions"), rat + "/expressions")
        if not m:
            return
        calls = self.need(m.get("module_calls"), dict, at + "/module_calls", "`module_calls`")
        for name, call in (calls or {}).items():
            cat = pointer_join(at + "/module_calls", name)
            self.need(call, dict, cat, f"module call `{name}`", optional=False)
            self.config_module(call.get("module"), cat + "/module")

    def expressions(self, e: Any, at: str) -> None:
        self.need(e, dict, at, "`expressions`")
        for name, x in (e or {}).items():
            if isinstance(x, dict):
                refs = self.need(x.get("references"), list, pointer_join(at, name) + "/references", "`references`")
                for j, ref in enumerate(refs or []):
                    self.need(ref, str, pointer_join(at, name) + f"/references/{j}", "a reference", optional=False)
