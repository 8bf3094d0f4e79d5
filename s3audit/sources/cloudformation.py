"""CloudFormation templates (YAML or JSON) -> format-v1 snapshots (source kind ``cloudformation``).

YAML is composed with PyYAML (libyaml when present) into nodes, which keep the line and column of every
mapping, key and value, and converted here: the short intrinsic tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...)
become their long forms (``{"Ref": ...}``), timestamps stay the strings the template wrote (CloudFormation
reads ``Version: 2012-10-17`` as text). JSON templates are read by the position-keeping reader in
values.py. Then ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::If`` (with the template's Conditions), ``Fn::FindInMap`` and ``Fn::Base64`` are resolved between the
template's resources, parameters with defaults and pseudo parameters; what only a deployment knows
(``Fn::ImportValue``, ``Fn::GetAZs``, a parameter without default, a generated physical id) is Unknown.

Names CloudFormation generates at deploy time (a bucket without ``BucketName``, a role without
``RoleName``) become the placeholder ``<LogicalId>``: never a valid AWS name, and every ``Ref``/``GetAtt``
of the resource resolves to the same placeholder. Such a bucket also gets ``Errors["ListBuckets"]``.
A resource whose ``Condition`` cannot be decided is kept: it may be deployed.
"""
from __future__ import annotations

import base64
import json
import re
from typing import Any

from ..errors import InputError, Place
from .builder import DEFAULT_ACCOUNT_ID, IacPart, SnapshotBuilder, canned_acl, note_unknown_managed_policies
from .values import Loc, PDict, PList, PStr, Unknown, first_unknown, parse_json_with_positions

_NOVALUE = object()  # AWS::NoValue: the property is removed

_SHORT_TAGS = {"Ref": "Ref", "Condition": "Condition"}
_FUNCTIONS = ("Sub", "GetAtt", "Join", "If", "Select", "Split", "FindInMap", "ImportValue", "Base64", "Equals",
              "Not", "And", "Or", "GetAZs", "Cidr", "Transform", "ToJsonString", "Length")


# --- reading ----------------------------------------------------------------------------------------------

def read_template(text: str, file: str) -> PDict:
    """A template as PDict/PList with positions; syntax errors become InputError at file:line:column."""
    if text.lstrip().startswith("{"):
        doc = parse_json_with_positions(text, file)
    else:
        doc = _read_yaml(text, file)
    if not isinstance(doc, dict):
        raise InputError("a CloudFormation template is a mapping with a `Resources` section", Place(file, 1, 1))
    return doc


def _read_yaml(text: str, file: str) -> Any:
    import yaml
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader_cls)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "syntax error").strip()
        raise InputError(f"invalid YAML: {problem}", Place(file, mark.line + 1 if mark else None,
                                                           mark.column + 1 if mark else None)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0]}", Place(file)) from None
    if node is None:
        raise InputError("the template is empty", Place(file, 1, 1))
    return _Converter(file).convert(node)


class _Converter:
    def __init__(self, file: str):
        import yaml
        self.yaml = yaml
        self.file = file
        self.scalars = yaml.constructor.SafeConstructor()

    def loc(self, node) -> Loc:
        return Loc(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node) -> Any:
        y = self.yaml
        tag = node.tag or ""
        if tag.startswith("!"):
            name = tag[1:]
            if name not in _SHORT_TAGS and name not in _FUNCTIONS:
                raise InputError(f"unknown tag `{tag}`", Place(self.file, *self.loc(node)[1:]))
            if isinstance(node, y.ScalarNode):
                inner: Any = node.value
                if name == "GetAtt":
                    inner = PList(inner.split(".", 1), pos=self.loc(node))
            else:
                inner = self.convert_plain(node)
            key = _SHORT_TAGS.get(name, f"Fn::{name}")
            out = PDict({key: inner}, pos=self.loc(node))
            out.key_pos[key] = self.loc(node)
            return out
        return self.convert_plain(node)

    def convert_plain(self, node) -> Any:
        y = self.yaml
        if isinstance(node, y.MappingNode):
            out = PDict(pos=self.loc(node))
            for k, v in node.value:
                if k.tag == "tag:yaml.org,2002:merge":
                    raise InputError("YAML merge keys (`<<`) are not supported in CloudFormation templates",
                                     Place(self.file, *self.loc(k)[1:]))
                key = self.convert(k)
                if not isinstance(key, (str, int, float, bool)):
                    raise InputError("a mapping key must be a plain value", Place(self.file, *self.loc(k)[1:]))
                key = str(key) if not isinstance(key, bool) else ("true" if key else "false")
                if key in out:
                    raise InputError(f"duplicate key `{key}`", Place(self.file, *self.loc(k)[1:]))
                out[key] = self.convert(v)
                out.key_pos[key] = self.loc(k)
            return out
        if isinstance(node, y.SequenceNode):
            return PList((self.convert(v) for v in node.value), pos=self.loc(node))
        tag = node.tag
        if tag == "tag:yaml.org,2002:str" or tag.startswith("tag:yaml.org,2002:timestamp"):
            return node.value
        if tag == "tag:yaml.org,2002:int":
            digits = node.value.lstrip("+-")
            if len(digits) > 1 and digits.startswith("0") and not digits.startswith(("0x", "0o", "0b")):
                return node.value  # "012345678901" is an account id, not YAML 1.1 octal
            return self.scalars.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            return self.scalars.construct_yaml_float(node)
        if tag == "tag:yaml.org,2002:bool":
            return self.scalars.construct_yaml_bool(node)
        if tag == "tag:yaml.org,2002:null":
            return None
        return node.value


# --- resolving intrinsics ---------------------------------------------------------------------------------

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
                  "AWS::Region": self.region, "AWS::NoValue": _NOVALUE,
                  "AWS::StackName": self.stack_name or Unknown("`AWS::StackName` is chosen at deploy time"),
                  "AWS::StackId": Unknown("`AWS::StackId` is known only after deploy"),
                  "AWS::NotificationARNs": Unknown("`AWS::NotificationARNs` is chosen at deploy time")}
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.param(name)
        if name in self.resources:
            return self.physical(name)
        raise _Bad(f"`Ref` to `{name}`, which is neither a parameter nor a resource")

    _NAME_PROP = {"AWS::S3::Bucket": "BucketName", "AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName",
                  "AWS::IAM::Group": "GroupName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
                  "AWS::S3::AccessPoint": "Name"}

    def name(self, logical: str) -> Any:
        """The resource's name: given, or the placeholder for a name CloudFormation generates."""
        rtype = self.type_of(logical)
        prop = self._NAME_PROP.get(rtype)
        if prop is None:
            return Unknown(f"the physical id of `{logical}` is known only after deploy")
        value = self.prop(logical, prop)
        if isinstance(value, str) and value:
            return value
        self.name_unknown[logical] = (f"`{prop}` is unknown ({value.reason})" if isinstance(value, Unknown)
                                      else f"CloudFormation generates the name of `{logical}` at deploy time")
        return f"<{logical}>"

    def physical(self, logical: str) -> Any:
        rtype = self.type_of(logical)
        if rtype == "AWS::IAM::ManagedPolicy":
            return self.getatt(logical, "PolicyArn")
        return self.name(logical)

    def getatt(self, logical: str, attr: str) -> Any:
        if logical not in self.resources:
            raise _Bad(f"`Fn::GetAtt` of `{logical}`, which is not a resource")
        rtype = self.type_of(logical)
        name = self.name(logical) if rtype in self._NAME_PROP else None
        path = self.prop(logical, "Path")
        path = path if isinstance(path, str) else "/"
        region = self.region
        if rtype == "AWS::S3::Bucket":
            values = {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}
            if isinstance(region, str):
                values["RegionalDomainName"] = f"{name}.s3.{region}.amazonaws.com"
            if attr in values:
                return values[attr]
        elif rtype in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group") and attr == "Arn":
            kind = rtype.rsplit("::", 1)[1].lower()
            return f"arn:aws:iam::{self.account_id}:{kind}{path}{name}"
        elif rtype == "AWS::IAM::ManagedPolicy" and attr == "PolicyArn":
            return f"arn:aws:iam::{self.account_id}:policy{path}{name}"
        elif rtype == "AWS::S3::AccessPoint":
            if attr == "Name":
                return name
            if attr == "Arn" and isinstance(region, str):
                return f"arn:aws:s3:{region}:{self.account_id}:accesspoint/{name}"
        return Unknown(f"`{logical}.{attr}` is known only after deploy")

    # -- conditions
    def condition(self, name: str) -> Any:
        if name not in self.conditions:
            raise _Bad(f"condition `{name}` is not defined")
        if name in self._cond:
            return self._cond[name]
        if name in self._busy:
            raise _Bad(f"condition `{name}` refers to itself")
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
        return None if value is _NOVALUE else value

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
        except _Bad as exc:
            at = getattr(value, "pos", None) or self.loc_of(logical)
            raise InputError(str(exc), Place(at.file, at.line, at.column)) from None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                fn = _INTRINSICS.get(key)
                if fn is not None:
                    try:
                        return fn(self, arg)
                    except _Bad as exc:
                        if exc.at is None:
                            exc.at = value.key_pos.get(key) if isinstance(value, PDict) else None
                        raise
            out = PDict(pos=getattr(value, "pos", None))
            for k, v in value.items():
                r = self.resolve(v)
                if r is _NOVALUE:
                    continue
                out[k] = r
                if isinstance(value, PDict) and k in value.key_pos:
                    out.key_pos[k] = value.key_pos[k]
            return out
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return PList((x for x in items if x is not _NOVALUE), pos=getattr(value, "pos", None))
        return value


class _Bad(Exception):
    """An intrinsic function used in a way CloudFormation rejects."""

    def __init__(self, message: str):
        super().__init__(message)
        self.at: Loc | None = None


def _args(arg: Any, n: int, fn: str) -> list:
    if not isinstance(arg, list) or len(arg) != n:
        raise _Bad(f"`{fn}` takes a list of {n} values")
    return list(arg)


def _i_ref(t: Template, arg: Any) -> Any:
    if not isinstance(arg, str):
        raise _Bad("`Ref` takes a name")
    return t.ref(arg)


def _i_getatt(t: Template, arg: Any) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    logical, attr = _args(arg, 2, "Fn::GetAtt")
    attr = t.resolve(attr)
    if isinstance(attr, Unknown):
        return attr
    return t.getatt(str(logical), str(attr))


_SUB = re.compile(r"\$\{([^}]*)\}")


def _i_sub(t: Template, arg: Any) -> Any:
    variables: dict = {}
    if isinstance(arg, list):
        text, variables = _args(arg, 2, "Fn::Sub")
        variables = t.resolve(variables)
    else:
        text = arg
    if not isinstance(text, str):
        raise _Bad("`Fn::Sub` takes a string")
    unknown: list[Unknown] = []

    def sub(m: re.Match) -> str:
        name = m.group(1).strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            value = variables[name]
        elif "." in name and name.split(".", 1)[0] in t.resources:
            value = t.getatt(*name.split(".", 1))
        else:
            value = t.ref(name)
        if isinstance(value, Unknown):
            unknown.append(value)
            return ""
        if isinstance(value, (dict, list)) or value is _NOVALUE:
            raise _Bad(f"`${{{name}}}` in `Fn::Sub` is not a string")
        return _text(value)
    result = _SUB.sub(sub, text)
    return unknown[0] if unknown else result


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _i_join(t: Template, arg: Any) -> Any:
    delim, items = _args(arg, 2, "Fn::Join")
    items = t.resolve(items)
    if isinstance(items, Unknown):
        return items
    if not isinstance(items, list):
        raise _Bad("`Fn::Join` takes a list to join")
    u = first_unknown(items)
    return u if u is not None else str(delim).join(_text(x) for x in items)


def _i_select(t: Template, arg: Any) -> Any:
    index, items = _args(arg, 2, "Fn::Select")
    index, items = t.resolve(index), t.resolve(items)
    if isinstance(index, Unknown):
        return index
    if isinstance(items, Unknown):
        return items
    try:
        return items[int(index)]
    except (ValueError, IndexError, TypeError):
        raise _Bad("`Fn::Select` index is out of range") from None


def _i_split(t: Template, arg: Any) -> Any:
    delim, text = _args(arg, 2, "Fn::Split")
    text = t.resolve(text)
    if isinstance(text, Unknown):
        return text
    return PList(str(text).split(str(delim)))


def _i_if(t: Template, arg: Any) -> Any:
    name, yes, no = _args(arg, 3, "Fn::If")
    cond = t.condition(str(name))
    if isinstance(cond, Unknown):
        a, b = t.resolve(yes), t.resolve(no)
        if first_unknown(a) is None and first_unknown(b) is None and a == b:
            return a
        return Unknown(f"condition `{name}` is undecided ({cond.reason})")
    return t.resolve(yes if cond else no)


def _i_findinmap(t: Template, arg: Any) -> Any:
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        raise _Bad("`Fn::FindInMap` takes a map name and two keys")
    keys = [t.resolve(a) for a in arg[:3]]
    for k in keys:
        if isinstance(k, Unknown):
            return k
    try:
        return t.resolve(t.mappings[keys[0]][keys[1]][keys[2]])
    except (KeyError, TypeError):
        if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
            return t.resolve(arg[3]["DefaultValue"])
        raise _Bad(f"`Fn::FindInMap` finds no `{keys[0]}.{keys[1]}.{keys[2]}`") from None


def _i_base64(t: Template, arg: Any) -> Any:
    v = t.resolve(arg)
    return v if isinstance(v, Unknown) else base64.b64encode(_text(v).encode()).decode()


def _i_equals(t: Template, arg: Any) -> Any:
    a, b = (t.resolve(x) for x in _args(arg, 2, "Fn::Equals"))
    u = first_unknown(a) or first_unknown(b)
    return u if u is not None else _text(a) == _text(b) if not isinstance(a, (dict, list)) else a == b


def _i_not(t: Template, arg: Any) -> Any:
    (v,) = _args(arg, 1, "Fn::Not")
    v = t.resolve(v)
    return v if isinstance(v, Unknown) else not v


def _i_and(t: Template, arg: Any) -> Any:
    values = [t.resolve(x) for x in arg]
    if any(v is False for v in values):
        return False
    return next((v for v in values if isinstance(v, Unknown)), True)


def _i_or(t: Template, arg: Any) -> Any:
    values = [t.resolve(x) for x in arg]
    if any(v is True for v in values):
        return True
    return next((v for v in values if isinstance(v, Unknown)), False)


def _i_condition(t: Template, arg: Any) -> Any:
    return t.condition(str(arg))


def _i_tojson(t: Template, arg: Any) -> Any:
    v = t.resolve(arg)
    u = first_unknown(v)
    return u if u is not None else PStr(json.dumps(v), encoded=v)


def _i_length(t: Template, arg: Any) -> Any:
    v = t.resolve(arg)
    return v if isinstance(v, Unknown) else len(v)


def _unknown_fn(what: str):
    return lambda t, arg: Unknown(what)


_INTRINSICS = {
    "Ref": _i_ref, "Fn::GetAtt": _i_getatt, "Fn::Sub": _i_sub, "Fn::Join": _i_join, "Fn::Select": _i_select,
    "Fn::Split": _i_split, "Fn::If": _i_if, "Fn::FindInMap": _i_findinmap, "Fn::Base64": _i_base64,
    "Fn::Equals": _i_equals, "Fn::Not": _i_not, "Fn::And": _i_and, "Fn::Or": _i_or, "Condition": _i_condition,
    "Fn::ToJsonString": _i_tojson, "Fn::Length": _i_length,
    "Fn::ImportValue": _unknown_fn("`Fn::ImportValue` is exported by another stack"),
    "Fn::GetAZs": _unknown_fn("`Fn::GetAZs` is known only at deploy time"),
    "Fn::Cidr": _unknown_fn("`Fn::Cidr` is not evaluated by s3audit"),
    "Fn::Transform": _unknown_fn("`Fn::Transform` runs a macro at deploy time"),
}


# --- mapping -----------------------------------------------------------------------------------------------

_CANNED = {"Private": "private", "PublicRead": "public-read", "PublicReadWrite": "public-read-write",
           "AuthenticatedRead": "authenticated-read", "LogDeliveryWrite": "log-delivery-write",
           "BucketOwnerRead": "bucket-owner-read", "BucketOwnerFullControl": "bucket-owner-full-control",
           "AwsExecRead": "aws-exec-read"}
_PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _keep(d: Any, keys: tuple) -> dict:
    return {k: d[k] for k in keys if isinstance(d, dict) and d.get(k) is not None}


class _Mapper:
    ORDER = ("AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::ManagedPolicy",
             "AWS::S3::AccessPoint", "AWS::S3::BucketPolicy", "AWS::IAM::Policy", "AWS::IAM::UserToGroupAddition")

    def __init__(self, t: Template, b: SnapshotBuilder):
        self.t, self.b = t, b

    def run(self) -> None:
        t = self.t
        for rtype in self.ORDER:
            for logical, res in t.resources.items():
                if res["Type"] != rtype:
                    continue
                cond = res.get("Condition")
                if cond is not None:
                    try:
                        decided = t.condition(str(cond))
                    except _Bad as exc:
                        at = res.key_pos.get("Condition") or t.loc_of(logical)
                        raise InputError(str(exc), Place(at.file, at.line, at.column)) from None
                    if decided is False:
                        continue
                props = t.properties(logical)
                if isinstance(props, Unknown):
                    self.b.unplaced(logical, props.reason)
                    continue
                getattr(self, "m_" + rtype.replace("::", "_"))(logical, props)

    def at(self, logical: str, props: PDict, key: str) -> Loc:
        return props.key_pos.get(key) if isinstance(props, PDict) and key in props.key_pos else self.t.loc_of(logical)

    def _set(self, name: str, logical: str, props: PDict, prop: str, key: str, value: Any) -> None:
        self.b.set_bucket(name, key, value, self.at(logical, props, prop))

    def m_AWS_S3_Bucket(self, logical: str, p: PDict) -> None:
        t, b = self.t, self.b
        name = t.name(logical)
        b.bucket(name, t.loc_of(logical), created=True, name_unknown=t.name_unknown.get(logical))
        b.set_bucket(name, "Region", t.region, None)
        if "Tags" in p:
            tags = p["Tags"]
            self._set(name, logical, p, "Tags", "Tags", tags if isinstance(tags, Unknown) else
                      {str(x.get("Key")): x.get("Value") for x in tags if isinstance(x, dict)})
        if "AccessControl" in p:
            acl = p["AccessControl"]
            value = acl if isinstance(acl, Unknown) else canned_acl(_CANNED.get(str(acl), ""), b.account_id)
            if value is None:
                at = self.at(logical, p, "AccessControl")
                raise InputError(f"`{acl}` is not a canned ACL CloudFormation knows", Place(at.file, at.line, at.column))
            self._set(name, logical, p, "AccessControl", "Acl", value)
        if "BucketEncryption" in p:
            enc = p["BucketEncryption"]
            rules = enc.get("ServerSideEncryptionConfiguration") if isinstance(enc, dict) else enc
            if not isinstance(rules, Unknown):
                rules = {"Rules": [{**({"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                                      if "ServerSideEncryptionByDefault" in r else {}),
                                   **_keep(r, ("BucketKeyEnabled",))} for r in rules or []]}
            self._set(name, logical, p, "BucketEncryption", "Encryption", rules)
        if "VersioningConfiguration" in p:
            self._set(name, logical, p, "VersioningConfiguration", "Versioning",
                      _keep(p["VersioningConfiguration"], ("Status",)) if isinstance(p["VersioningConfiguration"], dict)
                      else p["VersioningConfiguration"])
        if "LoggingConfiguration" in p:
            lc = p["LoggingConfiguration"]
            # "By default, logs are stored in the bucket where the LoggingConfiguration property is defined."
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-s3-bucket-loggingconfiguration.html
            value = lc if isinstance(lc, Unknown) else {"LoggingEnabled": {
                "TargetBucket": lc.get("DestinationBucketName", name), "TargetPrefix": lc.get("LogFilePrefix", "")}}
            self._set(name, logical, p, "LoggingConfiguration", "Logging", value)
        if "PublicAccessBlockConfiguration" in p:
            pab = p["PublicAccessBlockConfiguration"]
            self._set(name, logical, p, "PublicAccessBlockConfiguration", "PublicAccessBlock",
                      pab if isinstance(pab, Unknown) else {k: pab.get(k, False) for k in _PAB_KEYS})
        if "OwnershipControls" in p:
            self._set(name, logical, p, "OwnershipControls", "OwnershipControls", p["OwnershipControls"])
        if "LifecycleConfiguration" in p:
            lc = p["LifecycleConfiguration"]
            self._set(name, logical, p, "LifecycleConfiguration", "Lifecycle",
                      lc if isinstance(lc, Unknown) else {"Rules": [_lifecycle_rule(r) for r in lc.get("Rules", [])]})
        if "ObjectLockConfiguration" in p or p.get("ObjectLockEnabled") is True:
            olc = p.get("ObjectLockConfiguration") or {}
            value = olc if isinstance(olc, Unknown) else {"ObjectLockEnabled": olc.get("ObjectLockEnabled", "Enabled"),
                                                          **_keep(olc, ("Rule",))}
            self._set(name, logical, p, "ObjectLockConfiguration" if "ObjectLockConfiguration" in p
                      else "ObjectLockEnabled", "ObjectLock", value)
        if "ReplicationConfiguration" in p:
            rc = p["ReplicationConfiguration"]
            self._set(name, logical, p, "ReplicationConfiguration", "Replication",
                      rc if isinstance(rc, Unknown) else {"Role": rc.get("Role"),
                                                          "Rules": [_replication_rule(r) for r in rc.get("Rules", [])]})
        if "WebsiteConfiguration" in p:
            w = p["WebsiteConfiguration"]
            self._set(name, logical, p, "WebsiteConfiguration", "Website", w if isinstance(w, Unknown) else _website(w))

    def _named(self, logical: str, p: PDict, prop: str, what: str) -> str | None:
        v = p.get(prop)
        if isinstance(v, str) and v:
            return v
        reason = v.reason if isinstance(v, Unknown) else f"`{prop}` is not set"
        self.b.unplaced(logical, f"the {what} of `{logical}` is not known ({reason})")
        return None

    def m_AWS_S3_BucketPolicy(self, logical: str, p: PDict) -> None:
        name = self._named(logical, p, "Bucket", "bucket")
        if name:
            self.b.bucket(name)
            self.b.set_bucket_policy(name, p.get("PolicyDocument"), self.at(logical, p, "PolicyDocument"))
            self.b.locate(self.b.bucket_path(name) + ("Policy",), self.t.loc_of(logical))

    def m_AWS_S3_AccessPoint(self, logical: str, p: PDict) -> None:
        name = self.t.name(logical)
        bucket = self._named(logical, p, "Bucket", "bucket")
        if bucket is None:
            return
        entry: dict = {"Bucket": bucket}
        vpc = p.get("VpcConfiguration")
        if isinstance(vpc, Unknown):
            entry["VpcConfiguration"] = vpc
        elif vpc:
            entry.update({"NetworkOrigin": "VPC", "VpcConfiguration": _keep(vpc, ("VpcId",))})
        else:
            entry["NetworkOrigin"] = "Internet"
        pab = p.get("PublicAccessBlockConfiguration")
        # An access point's Block Public Access settings are all on unless the template turns them off.
        entry["PublicAccessBlock"] = pab if isinstance(pab, Unknown) else {k: (pab or {}).get(k, True) for k in _PAB_KEYS}
        if isinstance(p.get("BucketAccountId"), str):
            entry["BucketAccountId"] = p["BucketAccountId"]
        self.b.access_point(name, entry, p.get("Policy"), self.t.loc_of(logical))

    def _entity_common(self, kind: str, name: str, logical: str, p: PDict) -> None:
        b = self.b
        label = kind.title()
        policies = p.get("Policies")
        if isinstance(policies, Unknown):
            b.account_errors[f"iam:{label}/{name}/{b._ENTITY[kind][3]}"] = f"Unknown: {policies.reason}"
        else:
            for pol in policies or []:
                if isinstance(pol, Unknown):  # an undecided `Fn::If` around a policy: it may be there
                    b.account_errors[f"iam:{label}/{name}/{b._ENTITY[kind][3]}"] = f"Unknown: {pol.reason}"
                    continue
                pname = pol.get("PolicyName") if isinstance(pol, dict) else None
                if isinstance(pname, str):
                    b.inline_policy(kind, name, pname, pol.get("PolicyDocument"),
                                    getattr(pol, "pos", None) or self.at(logical, p, "Policies"))
        arns = p.get("ManagedPolicyArns")
        if isinstance(arns, Unknown):
            b.account_errors[f"iam:{label}/{name}/AttachedManagedPolicies"] = f"Unknown: {arns.reason}"
        else:
            for arn in arns or []:
                if isinstance(arn, Unknown):
                    b.account_errors[f"iam:{label}/{name}/AttachedManagedPolicies"] = f"Unknown: {arn.reason}"
                else:
                    b.attach(kind, name, str(arn), self.at(logical, p, "ManagedPolicyArns"))
        if kind != "group":
            b.boundary(kind, name, p.get("PermissionsBoundary"), self.at(logical, p, "PermissionsBoundary"))
            tags = p.get("Tags")
            if isinstance(tags, list):
                b.tags(kind, name, {str(x.get("Key")): x.get("Value") for x in tags if isinstance(x, dict)})

    def _path(self, p: PDict) -> str:
        return p["Path"] if isinstance(p.get("Path"), str) else "/"

    def m_AWS_IAM_Role(self, logical: str, p: PDict) -> None:
        name = self.t.name(logical)
        self.b.role(name, self._path(p), self.t.loc_of(logical))
        self.b.trust_policy(name, p.get("AssumeRolePolicyDocument"), self.at(logical, p, "AssumeRolePolicyDocument"))
        self._entity_common("role", name, logical, p)

    def m_AWS_IAM_User(self, logical: str, p: PDict) -> None:
        name = self.t.name(logical)
        self.b.user(name, self._path(p), self.t.loc_of(logical))
        self._entity_common("user", name, logical, p)
        groups = p.get("Groups")
        if isinstance(groups, Unknown):
            self.b.account_errors[f"iam:User/{name}/GroupList"] = f"Unknown: {groups.reason}"
        else:
            for g in groups or []:
                if isinstance(g, str):
                    self.b.add_to_group(name, g, self.at(logical, p, "Groups"))

    def m_AWS_IAM_Group(self, logical: str, p: PDict) -> None:
        name = self.t.name(logical)
        self.b.group(name, self._path(p), self.t.loc_of(logical))
        self._entity_common("group", name, logical, p)

    def m_AWS_IAM_ManagedPolicy(self, logical: str, p: PDict) -> None:
        arn = self.t.getatt(logical, "PolicyArn")
        name = self.t.name(logical)
        self.b.managed_policy(arn, name, self._path(p), p.get("PolicyDocument"), self.at(logical, p, "PolicyDocument"))
        self.b.locate(self.b._account() + ("iam", "Policies", _sel("Arn", arn)), self.t.loc_of(logical))
        self._attach_to(logical, p, lambda kind, entity: self.b.attach(kind, entity, arn, self.t.loc_of(logical)))

    def m_AWS_IAM_Policy(self, logical: str, p: PDict) -> None:
        pname = p.get("PolicyName")
        if not isinstance(pname, str):
            pname = f"<{logical}>"
        doc = p.get("PolicyDocument")
        at = self.at(logical, p, "PolicyDocument")
        self._attach_to(logical, p, lambda kind, entity: self.b.inline_policy(kind, entity, pname, doc, at))

    def _attach_to(self, logical: str, p: PDict, attach) -> None:
        for prop, kind in (("Roles", "role"), ("Users", "user"), ("Groups", "group")):
            names = p.get(prop)
            if isinstance(names, Unknown):
                self.b.unplaced(logical, f"the {prop.lower()} of `{logical}` are not known ({names.reason})")
                continue
            for n in names or []:
                if isinstance(n, Unknown) or not isinstance(n, str):
                    self.b.unplaced(logical, f"the {prop.lower()} of `{logical}` are not known")
                    continue
                if n.startswith("arn:aws:iam::"):
                    n = n.rsplit("/", 1)[-1]
                if n not in getattr(self.b, kind + "s"):
                    getattr(self.b, kind)(n)
                attach(kind, n)

    def m_AWS_IAM_UserToGroupAddition(self, logical: str, p: PDict) -> None:
        group = self._named(logical, p, "GroupName", "group")
        users = p.get("Users")
        if group is None:
            return
        if group not in self.b.groups:
            self.b.group(group)
        if isinstance(users, Unknown):
            self.b.unplaced(logical, f"the users of `{logical}` are not known ({users.reason})")
            return
        for u in users or []:
            if isinstance(u, str):
                self.b.add_to_group(u, group, self.t.loc_of(logical))


def _sel(field: str, value: str):
    from .locations import Sel
    return Sel(field, value)


def _filter(r: dict) -> dict:
    tags = r.get("TagFilters") or []
    prefix = r.get("Prefix")
    if tags:
        return {"And": {**({"Prefix": prefix} if prefix else {}), "Tags": [_keep(x, ("Key", "Value")) for x in tags]}}
    return {"Prefix": prefix or ""}


def _lifecycle_rule(r: dict) -> dict:
    out = {"ID": r.get("Id"), "Status": r.get("Status"), "Filter": _filter(r)}
    exp = {}
    if r.get("ExpirationInDays") is not None:
        exp["Days"] = r["ExpirationInDays"]
    if r.get("ExpirationDate") is not None:
        exp["Date"] = r["ExpirationDate"]
    if r.get("ExpiredObjectDeleteMarker") is not None:
        exp["ExpiredObjectDeleteMarker"] = r["ExpiredObjectDeleteMarker"]
    if exp:
        out["Expiration"] = exp
    trans = list(r.get("Transitions") or []) + ([r["Transition"]] if r.get("Transition") else [])
    if trans:
        out["Transitions"] = [{**_keep(x, ("StorageClass",)), **({"Days": x["TransitionInDays"]} if "TransitionInDays" in x else {}),
                               **({"Date": x["TransitionDate"]} if "TransitionDate" in x else {})} for x in trans]
    nve = r.get("NoncurrentVersionExpiration")
    if nve:
        out["NoncurrentVersionExpiration"] = _keep(nve, ("NoncurrentDays", "NewerNoncurrentVersions"))
    elif r.get("NoncurrentVersionExpirationInDays") is not None:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": r["NoncurrentVersionExpirationInDays"]}
    nvt = list(r.get("NoncurrentVersionTransitions") or []) + (
        [r["NoncurrentVersionTransition"]] if r.get("NoncurrentVersionTransition") else [])
    if nvt:
        out["NoncurrentVersionTransitions"] = [{**_keep(x, ("StorageClass",)), "NoncurrentDays": x.get("TransitionInDays")}
                                               for x in nvt]
    if r.get("AbortIncompleteMultipartUpload"):
        out["AbortIncompleteMultipartUpload"] = _keep(r["AbortIncompleteMultipartUpload"], ("DaysAfterInitiation",))
    return {k: v for k, v in out.items() if v is not None}


def _replication_rule(r: dict) -> dict:
    out = {"ID": r.get("Id"), "Priority": r.get("Priority"), "Status": r.get("Status"),
           "Destination": _keep(r.get("Destination") or {}, ("Bucket", "StorageClass", "Account",
                                                              "AccessControlTranslation", "EncryptionConfiguration"))}
    if "Filter" in r:
        out["Filter"] = r["Filter"]
    elif "Prefix" in r:
        out["Filter"] = {"Prefix": r["Prefix"]}
    if "DeleteMarkerReplication" in r:
        out["DeleteMarkerReplication"] = r["DeleteMarkerReplication"]
    return {k: v for k, v in out.items() if v is not None}


def _website(w: dict) -> dict:
    out: dict = {}
    if w.get("IndexDocument"):
        out["IndexDocument"] = {"Suffix": w["IndexDocument"]}
    if w.get("ErrorDocument"):
        out["ErrorDocument"] = {"Key": w["ErrorDocument"]}
    if w.get("RedirectAllRequestsTo"):
        out["RedirectAllRequestsTo"] = w["RedirectAllRequestsTo"]
    if w.get("RoutingRules"):
        out["RoutingRules"] = [{"Condition": x.get("RoutingRuleCondition") or {}, "Redirect": x.get("RedirectRule") or {}}
                               for x in w["RoutingRules"]]
    return out


# --- entry point -------------------------------------------------------------------------------------------

def load_cloudformation(path: str, *, account_id: str = DEFAULT_ACCOUNT_ID, region: str | None = None,
                        stack_name: str | None = None, parameters: dict[str, Any] | None = None):
    """Read one template: its snapshot (without creation defaults) and the buckets it creates."""
    from ..fileio import read_text
    file = str(path)
    doc = read_template(read_text(path), file)
    t = Template(doc, file, account_id, region, stack_name, parameters)
    b = SnapshotBuilder("cloudformation", f"template {file}", account_id)
    if "Transform" in doc or any(str(r["Type"]).startswith("AWS::Serverless::") for r in t.resources.values()):
        from .sam import expand  # the SAM transform's generated roles and policies (only when needed)
        expand(t, b)
    _Mapper(t, b).run()
    note_unknown_managed_policies(b)
    return IacPart(b.finish(), set(b.created_buckets))
