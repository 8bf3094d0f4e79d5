"""A CloudFormation template's values resolved: parameters, conditions, ``Ref``/``Fn::GetAtt`` between its
resources and the intrinsic functions (intrinsics.py).

What only a deployment knows (``Fn::ImportValue``, ``Fn::GetAZs``, a parameter without default, a generated
physical id) is Unknown. Names CloudFormation generates at deploy time become the placeholder
``<LogicalId>``; what each resource type's name property and attributes are is in registry.py.
"""
from __future__ import annotations

from typing import Any

from ...errors import InputError, Place
from ..values import Loc, PDict, PList, Unknown
from .intrinsics import INTRINSICS, NOVALUE, TemplateError
from .registry import ATTRIBUTES, NAME_PROPERTY, REF_ATTRIBUTE, Named


class Template:
    def __init__(self, doc: PDict, file: str, account_id: str, region: str | None, stack_name: str | None,
                 parameters: dict[str, Any] | None):
        self.doc, self.file, self.account_id = doc, file, account_id
        self.region: Any = region if region else Unknown("`AWS::Region` is chosen at deploy time")
        self.stack_name = stack_name
        resources = doc.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise InputError("a CloudFormation template needs a non-empty `Resources` section",
                             Place(file, *(doc.key_pos.get("Resources") or doc.pos or Loc(file, 1, 1))[1:]))
        self.resources: PDict = resources
        for logical, res in resources.items():
            if not isinstance(res, dict) or not isinstance(res.get("Type"), str):
                at = resources.key_pos.get(logical) or resources.pos
                raise InputError(f"resource `{logical}` needs a `Type`", Place(file, at.line, at.column))
        self.params = doc.get("Parameters") or {}
        self.mappings = doc.get("Mappings") or {}
        self.conditions = doc.get("Conditions") or {}
        self.given = parameters or {}
        self._props: dict[str, Any] = {}
        self._cond: dict[str, Any] = {}
        self._busy: set[str] = set()
        self.name_unknown: dict[str, str] = {}

    def loc_of(self, logical: str) -> Loc:
        return self.resources.key_pos.get(logical) or Loc(self.file, 1, 1)

    def type_of(self, logical: str) -> str:
        return self.resources[logical]["Type"]

    # -- parameters and references
    def param(self, name: str) -> Any:
        spec = self.params.get(name) or {}
        if name in self.given:
            value = self.given[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            return Unknown(f"parameter `{name}` has no default")
        ptype = str(spec.get("Type", "String"))
        if (ptype.startswith("List<") or ptype == "CommaDelimitedList") and isinstance(value, str):
            return PList(x.strip() for x in value.split(","))
        return value

    def ref(self, name: str) -> Any:
        pseudo = {"AWS::AccountId": self.account_id, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
                  "AWS::Region": self.region, "AWS::NoValue": NOVALUE,
                  "AWS::StackName": self.stack_name or Unknown("`AWS::StackName` is chosen at deploy time"),
                  "AWS::StackId": Unknown("`AWS::StackId` is known only after deploy"),
                  "AWS::NotificationARNs": Unknown("`AWS::NotificationARNs` is chosen at deploy time")}
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.param(name)
        if name in self.resources:
            return self.physical(name)
        raise TemplateError(f"`Ref` to `{name}`, which is neither a parameter nor a resource")

    def name(self, logical: str) -> Any:
        """The resource's name: given, or the placeholder for a name CloudFormation generates."""
        rtype = self.type_of(logical)
        prop = NAME_PROPERTY.get(rtype)
        if prop is None:
            return Unknown(f"the physical id of `{logical}` is known only after deploy")
        value = self.prop(logical, prop)
        if isinstance(value, str) and value:
            return value
        self.name_unknown[logical] = (f"`{prop}` is unknown ({value.reason})" if isinstance(value, Unknown)
                                      else f"CloudFormation generates the name of `{logical}` at deploy time")
        return f"<{logical}>"

    def physical(self, logical: str) -> Any:
        """What ``Ref`` of a resource returns: its name, or for some types an attribute (a managed policy's ARN)."""
        attr = REF_ATTRIBUTE.get(self.type_of(logical))
        return self.getatt(logical, attr) if attr is not None else self.name(logical)

    def getatt(self, logical: str, attr: str) -> Any:
        if logical not in self.resources:
            raise TemplateError(f"`Fn::GetAtt` of `{logical}`, which is not a resource")
        rtype = self.type_of(logical)
        name = self.name(logical) if rtype in NAME_PROPERTY else None
        path = self.prop(logical, "Path")
        fn = ATTRIBUTES.get(rtype)
        value = fn(self, Named(rtype, name, path if isinstance(path, str) else "/"), attr) if fn is not None else None
        return value if value is not None else Unknown(f"`{logical}.{attr}` is known only after deploy")

    # -- conditions
    def condition(self, name: str) -> Any:
        if name not in self.conditions:
            raise TemplateError(f"condition `{name}` is not defined")
        if name in self._cond:
            return self._cond[name]
        if name in self._busy:
            raise TemplateError(f"condition `{name}` refers to itself")
        self._busy.add(name)
        try:
            value = self.resolve(self.conditions[name])
        finally:
            self._busy.discard(name)
        if not isinstance(value, (bool, Unknown)):
            value = Unknown(f"condition `{name}` is not true or false")
        self._cond[name] = value
        return value

    # -- values
    def prop(self, logical: str, key: str) -> Any:
        """One property, resolved alone: a name or path must not depend on the resource's other properties
        (CloudFormation resolves a reference to ``Ref``/``GetAtt`` from the physical resource, not from
        all of its properties)."""
        if logical in self._props:
            props = self._props[logical]
            return props.get(key) if isinstance(props, dict) else props
        raw = self.resources[logical].get("Properties") or PDict()
        if not isinstance(raw, dict) or key not in raw:
            return None
        cache_key = f"prop:{logical}.{key}"
        if cache_key in self._busy:
            return Unknown(f"`{logical}.{key}` refers to itself")
        self._busy.add(cache_key)
        try:
            value = self.resolve_at(raw[key], logical)
        finally:
            self._busy.discard(cache_key)
        return None if value is NOVALUE else value

    def properties(self, logical: str) -> Any:
        if logical in self._props:
            return self._props[logical]
        key = "props:" + logical
        if key in self._busy:
            return Unknown(f"the properties of `{logical}` refer to themselves")
        self._busy.add(key)
        try:
            raw = self.resources[logical].get("Properties") or PDict()
            value = self.resolve_at(raw, logical)
        finally:
            self._busy.discard(key)
        self._props[logical] = value
        return value

    def resolve_at(self, value: Any, logical: str) -> Any:
        try:
            return self.resolve(value)
        except TemplateError as exc:
            at = getattr(value, "pos", None) or self.loc_of(logical)
            raise InputError(str(exc), Place(at.file, at.line, at.column)) from None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                fn = INTRINSICS.get(key)
                if fn is not None:
                    try:
                        return fn(self, arg)
                    except TemplateError as exc:
                        if exc.at is None:
                            exc.at = value.key_pos.get(key) if isinstance(value, PDict) else None
                        raise
            out = PDict(pos=getattr(value, "pos", None))
            for k, v in value.items():
                r = self.resolve(v)
                if r is NOVALUE:
                    continue
                out[k] = r
                if isinstance(value, PDict) and k in value.key_pos:
                    out.key_pos[k] = value.key_pos[k]
            return out
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return PList((x for x in items if x is not NOVALUE), pos=getattr(value, "pos", None))
        return value
