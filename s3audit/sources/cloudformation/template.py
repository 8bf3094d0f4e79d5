"""A CloudFormation template's values resolved: parameters, conditions, ``Ref``/``Fn::GetAtt`` between its
resources and the intrinsic functions (intrinsics.py).

What only a deployment knows (``Fn::ImportValue``, ``Fn::GetAZs``, a parameter without default, a generated
physical id) is Unknown; a string with such parts is ``Symbolic`` (symbolic.py). Names CloudFormation generates
at deploy time become the placeholder ``<LogicalId>``, and so do names known only at deploy time: every
expression that spells the same name (``!Sub "${AWS::StackName}-data"`` twice) is rewritten to the placeholder,
so a bucket policy finds its bucket. What each resource type's name property and attributes are is in
registry.py.

The template's shape is checked as CloudFormation checks it before it resolves anything (sections that must be
mappings, a ``Type`` for every resource, alphanumeric logical ids); values nest at most ``MAX_RESOLVE_DEPTH``
deep, counting each reference from one resource to another as a few levels, so that no template can exhaust
the interpreter's stack.
"""
from __future__ import annotations

import re
from typing import Any

from ...errors import InputError, Place
from ..symbolic import Names, Symbolic, atom
from ..values import Loc, PDict, PList, Unknown
from .intrinsics import INTRINSICS, NOVALUE, TemplateError, _text
from .registry import ATTRIBUTES, NAME_PROPERTY, REF_ATTRIBUTE, Named

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
MAX_RESOLVE_DEPTH = 250
_HOP = 4  # a reference to another resource's property counts as this many levels
_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]+$")
_LIST_TYPES = ("CommaDelimitedList",)


def transform_names(doc: PDict, file: str) -> list[tuple[str, Loc]]:
    """The template's ``Transform`` section: each transform's name and where it is written. A transform is
    named by a literal string (or, for ``AWS::Include``, a mapping with ``Name``), one or a list."""
    raw = doc.get("Transform")
    if raw is None:
        return []
    at = doc.key_pos.get("Transform") or Loc(file, 1, 1)
    out = []
    for item in (raw if isinstance(raw, list) else [raw]):
        name = item.get("Name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise InputError("`Transform` names a transform (a string) or lists them", _place(at, file))
        out.append((name, getattr(item, "pos", None) or at))
    return out


def _place(loc: Loc | None, file: str) -> Place:
    return Place(loc.file, loc.line, loc.column) if loc is not None else Place(file, 1, 1)


class Template:
    def __init__(self, doc: PDict, file: str, account_id: str, region: str | None, stack_name: str | None,
                 parameters: dict[str, Any] | None):
        self.doc, self.file, self.account_id = doc, file, account_id
        self.region: Any = region if region else atom("AWS::Region", "`AWS::Region` is chosen at deploy time")
        self.stack_name = stack_name
        resources = doc.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise InputError("a CloudFormation template needs a non-empty `Resources` section",
                             _place(doc.key_pos.get("Resources") or doc.pos, file))
        self.resources: PDict = resources
        self.params = self._section("Parameters")
        self.mappings = self._section("Mappings")
        self.conditions = self._section("Conditions")
        self.given = parameters or {}
        self._props: dict[str, Any] = {}
        self._cond: dict[str, Any] = {}
        self._busy: set[str] = set()
        self._depth = 0
        self.name_unknown: dict[str, str] = {}
        self._names_cache: dict[str, Any] = {}
        self._symbols: Names | None = None
        self._building = False
        self._symbolic_reason: dict[str, str] = {}
        self.extra_refs: dict[str, Any] = {}  # references the SAM transform resolves (`Function.Alias`)
        self.unread: list[tuple[str, str, Loc]] = []  # parts of the template a macro rewrites at deploy time
        self.macros: list[str] = []  # template-level transforms s3audit does not expand (set by the loader)

    def not_valid_before_macro(self, exc: InputError, what: str) -> None:
        """A template a macro rewrites need not be valid CloudFormation as written: the macro runs first
        (template-macros.html), so what s3audit finds invalid is reported as not read, not refused. Without a
        macro, the error stands."""
        if not self.macros:
            raise exc
        place = exc.place
        at = Loc(place.file, place.line, place.column) if place is not None else Loc(self.file, 1, 1)
        self.unread.append((what, f"{exc.message}, as written; the macro `{self.macros[0]}` rewrites the template "
                                  "before CloudFormation reads it, and s3audit does not run it", at))

    def check_resources(self) -> None:
        """Every resource as CloudFormation requires it (after the transforms' loops are expanded). An
        ``Fn::Transform`` among the resources (``AWS::Include`` of a snippet, a macro) adds resources at deploy time
        that s3audit does not see: reported as not read, the other resources are read."""
        if "Fn::Transform" in self.resources:
            self.macro(self.resources["Fn::Transform"], self.resources.key_pos.get("Fn::Transform"))
            del self.resources["Fn::Transform"]
        for logical in list(self.resources):
            if isinstance(self.resources[logical], Unknown):  # a logical id written twice (syntax.py)
                self.unread.append((logical, self.resources[logical].reason, self.loc_of(logical)))
                del self.resources[logical]
                continue
            try:
                self._check_resource(logical)
            except InputError as exc:
                self.not_valid_before_macro(exc, logical)
                del self.resources[logical]

    def _check_resource(self, logical: str) -> None:
        res = self.resources[logical]
        at = self.resources.key_pos.get(logical) or self.resources.pos
        if isinstance(logical, str) and logical.startswith("Fn::ForEach::"):
            raise InputError("`Fn::ForEach` needs `Transform: AWS::LanguageExtensions`", _place(at, self.file))
        if not _LOGICAL_ID.match(logical):
            raise InputError(f"the logical id `{logical[:60]}` is not alphanumeric (A-Za-z0-9)",
                             _place(at, self.file))
        if not isinstance(res, dict) or not isinstance(res.get("Type"), str) or not res["Type"]:
            raise InputError(f"resource `{logical}` needs a `Type`", _place(at, self.file))
        for key, kind in (("Properties", dict), ("Condition", str)):
            if key in res and not isinstance(res[key], kind):
                where = res.key_pos.get(key) if isinstance(res, PDict) else None
                raise InputError(f"`{key}` of `{logical}` must be a {'mapping' if kind is dict else 'string'}",
                                 _place(where or at, self.file))

    def _section(self, name: str) -> PDict:
        value = self.doc.get(name)
        if value is None:
            return PDict()
        if not isinstance(value, dict):
            raise InputError(f"the `{name}` section must be a mapping", _place(self.doc.key_pos.get(name), self.file))
        return value

    def loc_of(self, logical: str) -> Loc:
        return self.resources.key_pos.get(logical) or Loc(self.file, 1, 1)

    def type_of(self, logical: str) -> str:
        return self.resources[logical]["Type"]

    # -- parameters and references
    def param(self, name: str) -> Any:
        spec = self.params.get(name)
        spec = spec if isinstance(spec, dict) else {}
        ptype = spec.get("Type", "String")
        ptype = ptype if isinstance(ptype, str) else "String"
        is_list = ptype.startswith("List<") or ptype in _LIST_TYPES
        if name in self.given:
            value = self.given[name]
        elif "Default" in spec:
            value = spec["Default"]
            if isinstance(value, dict):  # a default is a plain value: CloudFormation rejects functions there
                at = spec.key_pos.get("Default") if isinstance(spec, PDict) else None
                raise InputError(f"the default of parameter `{name}` must be a plain value", _place(at, self.file))
        elif is_list:
            return Unknown(f"parameter `{name}` has no default")
        else:
            return atom(f"param:{name}", f"parameter `{name}` has no default")
        if is_list:
            if isinstance(value, list):
                return PList(_text(x) for x in value)
            return PList(x.strip() for x in _text(value).split(","))
        return value

    def ref(self, name: str) -> Any:
        pseudo = {"AWS::AccountId": self.account_id, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
                  "AWS::Region": self.region, "AWS::NoValue": NOVALUE,
                  "AWS::StackName": self.stack_name or atom("AWS::StackName", "`AWS::StackName` is chosen at deploy time"),
                  "AWS::StackId": atom("AWS::StackId", "`AWS::StackId` is known only after deploy"),
                  "AWS::NotificationARNs": Unknown("`AWS::NotificationARNs` is chosen at deploy time")}
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.param(name)
        if name in self.resources:
            return self.physical(name)
        if name in self.extra_refs:
            return self.extra_refs[name]
        raise TemplateError(f"`Ref` to `{name}`, which is neither a parameter nor a resource")

    def name(self, logical: str) -> Any:
        """The resource's name: given, or the placeholder for a name CloudFormation generates or that is known
        only at deploy time."""
        if logical in self._names_cache:
            return self._names_cache[logical]
        rtype = self.type_of(logical)
        prop = NAME_PROPERTY.get(rtype)
        if prop is None:
            return atom(f"ref:{logical}", f"the physical id of `{logical}` is known only after deploy")
        value = self.prop(logical, prop)
        placeholder = f"<{logical}>"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = _text(value)  # CloudFormation takes a number where a string is expected as its text
        elif isinstance(value, (dict, list, bool)):
            raw = self.resources[logical].get("Properties")
            at = raw.key_pos.get(prop) if isinstance(raw, PDict) else None
            raise InputError(f"`{prop}` of `{logical}` must be a string", _place(at or self.loc_of(logical), self.file))
        if isinstance(value, str) and value and value != placeholder:
            result: Any = value
        else:
            if logical in self._symbolic_reason or value == placeholder:
                reason = f"`{prop}` is known only at deploy time ({self._symbolic_reason.get(logical, '')})"
            elif isinstance(value, Unknown):
                reason = f"`{prop}` is unknown ({value.reason})"
            else:
                reason = f"CloudFormation generates the name of `{logical}` at deploy time"
            self.name_unknown[logical] = reason
            result = placeholder
        if not self._building:  # while the names are being gathered, a name may still change
            self._names_cache[logical] = result
        return result

    def symbols(self) -> Names:
        """The names known only at deploy time, each with its placeholder (made on first use: the names of every
        resource are read once; while that happens, the names found so far are used)."""
        if self._symbols is None:
            self._symbols = Names()
            self._building = True
            try:
                for logical, res in self.resources.items():
                    rtype = res.get("Type") if isinstance(res, dict) else None
                    prop = NAME_PROPERTY.get(rtype) if isinstance(rtype, str) else None  # a bad Type: refused later
                    if prop is None:
                        continue
                    try:
                        value = self.prop(logical, prop)
                    except (TemplateError, InputError):
                        continue  # reported where the name is used
                    if isinstance(value, Symbolic):
                        self._symbols.add(value, f"<{logical}>")
                        self._symbolic_reason[logical] = value.reason
            finally:
                self._building = False
                self._names_cache.clear()
        return self._symbols

    def named(self, value: Any) -> Any:
        """A value with the names known only at deploy time in it replaced by their placeholders."""
        if isinstance(value, Symbolic):
            return self.symbols().rewrite(value)
        return value

    def physical(self, logical: str) -> Any:
        """What ``Ref`` of a resource returns: its name, or for some types an attribute (a managed policy's ARN)."""
        attr = REF_ATTRIBUTE.get(self.type_of(logical))
        return self.getatt(logical, attr) if attr is not None else self.name(logical)

    def getatt(self, logical: str, attr: str) -> Any:
        if logical not in self.resources:
            if f"{logical}.{attr}" in self.extra_refs:
                return Unknown(f"`{logical}.{attr}` is known only after deploy")
            raise TemplateError(f"`Fn::GetAtt` of `{logical}`, which is not a resource")
        rtype = self.type_of(logical)
        name = self.name(logical) if rtype in NAME_PROPERTY else None
        path = self.prop(logical, "Path")
        fn = ATTRIBUTES.get(rtype)
        value = fn(self, Named(rtype, name, path if isinstance(path, str) else "/"), attr) if fn is not None else None
        return value if value is not None else atom(f"getatt:{logical}.{attr}",
                                                     f"`{logical}.{attr}` is known only after deploy")

    # -- conditions
    def condition(self, name: str) -> Any:
        if name not in self.conditions:
            raise TemplateError(f"condition `{name}` is not defined")
        if name in self._cond:
            return self._cond[name]
        if name in self._busy:
            raise TemplateError(f"condition `{name}` refers to itself")
        self._busy.add(name)
        self._depth += _HOP
        try:
            value = self.resolve(self.conditions[name])
        finally:
            self._busy.discard(name)
            self._depth -= _HOP
        if not isinstance(value, (bool, Unknown)):
            raise TemplateError(f"condition `{name}` is not true or false")
        if isinstance(value, Unknown):
            value = Unknown(value.reason)
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
        self._depth += _HOP
        try:
            value = self.resolve_at(raw[key], logical)
        finally:
            self._busy.discard(cache_key)
            self._depth -= _HOP
        return None if value is NOVALUE else value

    def properties(self, logical: str) -> Any:
        if logical in self._props:
            return self._props[logical]
        key = "props:" + logical
        if key in self._busy:
            return Unknown(f"the properties of `{logical}` refer to themselves")
        self._busy.add(key)
        self._depth += _HOP
        try:
            raw = self.resources[logical].get("Properties") or PDict()
            value = self.resolve_at(raw, logical)
        finally:
            self._busy.discard(key)
            self._depth -= _HOP
        if value is NOVALUE:  # `Properties: !If [C, {...}, !Ref AWS::NoValue]` with C false
            value = PDict(pos=getattr(raw, "pos", None))
        elif not isinstance(value, (dict, Unknown)):
            raise InputError(f"the properties of `{logical}` must be a mapping",
                             _place(getattr(raw, "pos", None) or self.loc_of(logical), self.file))
        self._props[logical] = value
        return value

    def resolve_at(self, value: Any, logical: str) -> Any:
        try:
            return self.resolve(value)
        except TemplateError as exc:
            at = exc.at or getattr(value, "pos", None) or self.loc_of(logical)
            raise InputError(str(exc), _place(at, self.file)) from None

    def macro(self, arg: Any, at: Loc | None) -> Unknown:
        """``Fn::Transform``: a macro rewrites this part of the template at deploy time; s3audit cannot run it."""
        name = arg.get("Name") if isinstance(arg, dict) else None
        name = name if isinstance(name, str) else "?"
        where = at or Loc(self.file, 1, 1)
        what = f"Fn::Transform {name}"
        if name == "AWS::Include":
            params = arg.get("Parameters") if isinstance(arg, dict) else None
            location = params.get("Location") if isinstance(params, dict) else None
            why = (f"the snippet `{location}` is included at deploy time; s3audit does not read it"
                   if isinstance(location, str) else "the snippet it includes is read at deploy time")
        else:
            why = f"the macro `{name}` rewrites this part of the template at deploy time; s3audit cannot run it"
        self.unread.append((what, why, where))
        return Unknown(f"`{what}` rewrites this value at deploy time")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            self._depth += 1
            try:
                if self._depth > MAX_RESOLVE_DEPTH:
                    raise TemplateError(f"values and references nest more than {MAX_RESOLVE_DEPTH} levels deep")
                if len(value) == 1:
                    (key, arg), = value.items()
                    fn = INTRINSICS.get(key)
                    at = value.key_pos.get(key) if isinstance(value, PDict) else None
                    if key == "Fn::Transform":
                        return self.macro(arg, at)
                    if fn is None and isinstance(key, str) and key.startswith("Fn::"):
                        fn = _unknown_function
                    if fn is not None:
                        try:
                            return fn(self, arg) if fn is not _unknown_function else fn(key)
                        except TemplateError as exc:
                            if exc.at is None:
                                exc.at = at
                            raise
                out = PDict(pos=getattr(value, "pos", None))
                for k, v in value.items():
                    if k == "Fn::Transform":  # beside other keys: the macro adds to this mapping at deploy time
                        self.macro(v, value.key_pos.get(k) if isinstance(value, PDict) else None)
                        continue
                    r = self.resolve(v)
                    if r is NOVALUE:
                        continue
                    out[k] = r
                    if isinstance(value, PDict) and k in value.key_pos:
                        out.key_pos[k] = value.key_pos[k]
                return out
            finally:
                self._depth -= 1
        if isinstance(value, list):
            self._depth += 1
            try:
                if self._depth > MAX_RESOLVE_DEPTH:
                    raise TemplateError(f"values and references nest more than {MAX_RESOLVE_DEPTH} levels deep")
                items = [self.resolve(v) for v in value]
            finally:
                self._depth -= 1
            return PList((x for x in items if x is not NOVALUE), pos=getattr(value, "pos", None))
        return value


def _unknown_function(key: str):
    if key.startswith("Fn::ForEach::"):
        raise TemplateError("`Fn::ForEach` needs `Transform: AWS::LanguageExtensions`")
    raise TemplateError(f"`{key[:60]}` is not a function CloudFormation knows")
