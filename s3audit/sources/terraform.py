"""Terraform configurations and plans -> format-v1 snapshots (source kind ``terraform``).

Two entry points, one mapping:

* ``load_terraform_dir(dir)`` reads the ``.tf`` and ``.tf.json`` files of a root module (and of the local
  modules it calls, or of modules ``terraform init`` already downloaded), merges its override files into
  them, evaluates the references between resources, locals, variables (defaults, ``terraform.tfvars``,
  ``*.auto.tfvars`` and their ``.json`` forms), data sources and module outputs (see hcl.py and
  hcljson.py), and maps the resources. No Terraform binary, no provider download.
* ``load_terraform_plan(plan.json)`` reads ``terraform show -json`` output: the values of
  ``resource_changes`` (``after`` with ``after_unknown``), else ``planned_values``; values the plan leaves
  unknown are taken from the configuration directory when it can tell them (a bucket policy's
  ``bucket = aws_s3_bucket.x.id``), or from the plan's ``configuration`` references; anything else stays
  unknown. Source positions come from the configuration directory (``terraform_dir``, by default the
  plan file's directory) since a plan records none.

Both produce an ``IacPart``: the snapshot (with ``locations``) without S3's creation defaults, and
which buckets the change creates (``iac.load_iac`` decides about the defaults; see builder.py). A plan's
part also lists what the plan destroys (``removals``, see removals.py and ``removals_of`` below), kept out
of the snapshot document, which cannot say "gone".

Names Terraform leaves to apply time (a bucket with ``bucket_prefix`` or no name, a role without ``name``)
become placeholders ``<address>`` (for example ``<aws_s3_bucket.logs>``): never a valid AWS name, so they
cannot collide with a real one, and every reference to the resource (``.id``, ``.arn``) resolves to the
same placeholder. A bucket named so also gets ``Errors["ListBuckets"]`` saying why.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError, Place
from .builder import (DEFAULT_ACCOUNT_ID, IacPart, SnapshotBuilder, canned_acl, decode_policy,
                      note_unknown_managed_policies)
from .hcl import (Attr, Block, EvalError, Namespace, Obj, Resolver, Scope, block_value, evaluate, kids, read_file,
                  to_number, to_string)
from .values import Loc, PDict, PList, PStr, Unknown, first_unknown


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
    return f"<{address}>"


# --- computed attributes ----------------------------------------------------------------------------------

NAMED_TYPES = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group", "aws_iam_policy": "policy"}


def _fill(obj: dict, key: str, value: Any) -> None:
    """Set a computed attribute the configuration (or the plan) leaves absent or unknown."""
    if obj.get(key) is None or isinstance(obj.get(key), Unknown):
        obj[key] = value


def add_computed(rtype: str, obj: dict, address: str, account_id: str, region: Any) -> str | None:
    """Fill the attributes the provider computes but s3audit can tell (``id``, ``arn``...).

    Returns why the resource's name is a placeholder, or None when the name is known.
    """
    why = None
    if rtype == "aws_s3_bucket":
        name = obj.get("bucket")
        if not isinstance(name, str) or name == "":
            why = ("the name is generated from `bucket_prefix` at apply time" if obj.get("bucket_prefix")
                   else f"the name is unknown ({name.reason})" if isinstance(name, Unknown)
                   else "the name is generated at apply time")
            name = obj["bucket"] = placeholder(address)
        _fill(obj, "id", name)
        _fill(obj, "arn", f"arn:aws:s3:::{name}")
        _fill(obj, "bucket_domain_name", f"{name}.s3.amazonaws.com")
        if isinstance(region, str):
            _fill(obj, "region", region)
            _fill(obj, "bucket_regional_domain_name", f"{name}.s3.{region}.amazonaws.com")
    elif rtype in NAMED_TYPES:
        name = obj.get("name")
        if not isinstance(name, str) or name == "":
            why = (f"the name is unknown ({name.reason})" if isinstance(name, Unknown)
                   else "the name is generated at apply time")
            name = obj["name"] = placeholder(address)
        path = obj.get("path") if isinstance(obj.get("path"), str) else "/"
        arn = f"arn:aws:iam::{account_id}:{NAMED_TYPES[rtype]}{path}{name}"
        _fill(obj, "arn", arn)
        _fill(obj, "id", arn if rtype == "aws_iam_policy" else name)
    elif rtype == "aws_s3_access_point":
        name = obj.get("name")
        if isinstance(name, str):
            _fill(obj, "id", f"{account_id}:{name}")
            if isinstance(region, str):
                _fill(obj, "arn", f"arn:aws:s3:{region}:{account_id}:accesspoint/{name}")
    elif rtype == "aws_organizations_policy":
        _fill(obj, "id", placeholder(address))
    elif rtype.startswith("aws_s3_bucket_") and isinstance(obj.get("bucket"), str):
        _fill(obj, "id", obj["bucket"])
    return why


# --- configuration directories ----------------------------------------------------------------------------

@dataclass
class ModuleConfig:
    dir: Path  # where the files are
    shown: str  # the directory as shown to the user
    rel: str  # relative to the root module (Terraform's path.module)
    resources: dict[str, Block] = field(default_factory=dict)  # "type.name"
    data: dict[str, Block] = field(default_factory=dict)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attr] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)
    removed: dict[str, Loc] = field(default_factory=dict)  # `removed` blocks (Terraform 1.7+) by `from`


def _dup(kind: str, name: str, b: Block | Attr) -> InputError:
    return InputError(f"{kind} `{name}` is declared twice", Place(b.loc.file, b.loc.line, b.loc.column))


def _ignored(name: str) -> bool:
    """Files Terraform skips in a module directory: hidden files and editor backups."""
    return name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))


def config_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The configuration files of a module directory: (primary files, override files), each by name.

    ``.tf`` (native syntax) and ``.tf.json`` (JSON syntax) files; ``override.tf[.json]`` and
    ``*_override.tf[.json]`` are override files, merged after all others
    (https://developer.hashicorp.com/terraform/language/files/override).
    """
    primary: list[Path] = []
    overrides: list[Path] = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        name = path.name
        ext = ".tf" if name.endswith(".tf") else ".tf.json" if name.endswith(".tf.json") else None
        if ext is None or _ignored(name) or not path.is_file():
            continue
        base = name[:-len(ext)]
        (overrides if base == "override" or base.endswith("_override") else primary).append(path)
    return primary, overrides


def has_configuration(directory: str) -> bool:
    """Whether a directory holds Terraform configuration files (``.tf`` or ``.tf.json``)."""
    if not os.path.isdir(directory):
        return False
    primary, overrides = config_files(Path(directory))
    return bool(primary or overrides)


def _read_config_file(path: Path, shown: str) -> list[Block | Attr]:
    from ..fileio import read_text
    display = os.path.normpath(os.path.join(shown, path.name))
    if path.name.endswith(".tf.json"):
        from .hcljson import read_config
        return list(read_config(read_text(path), display))
    return read_file(read_text(path), display)


def _place(x: Block | Attr) -> Place:
    return Place(x.loc.file, x.loc.line, x.loc.column)


def read_module(directory: Path, shown: str, rel: str) -> ModuleConfig:
    if not directory.is_dir():
        raise InputError("no such directory", Place(shown))
    primary, overrides = config_files(directory)
    cfg = ModuleConfig(directory, shown, rel)
    for path in primary:
        for item in _read_config_file(path, shown):
            _declare(cfg, item)
    for path in overrides:
        for item in _read_config_file(path, shown):
            _override(cfg, item)
    return cfg


def _declare(cfg: ModuleConfig, item: Block | Attr) -> None:
    if isinstance(item, Attr):
        raise InputError(f"unexpected attribute `{item.name}` at the top level of a configuration file", _place(item))
    b = item
    if b.type in ("resource", "data") and len(b.labels) == 2:
        table = cfg.resources if b.type == "resource" else cfg.data
        key = ".".join(b.labels)
        if key in table:
            raise _dup(b.type, key, b)
        table[key] = b
    elif b.type == "variable" and b.labels:
        if b.labels[0] in cfg.variables:
            raise _dup("variable", b.labels[0], b)
        cfg.variables[b.labels[0]] = b
    elif b.type == "locals":
        for name, attr in b.attrs.items():
            if name in cfg.locals:
                raise _dup("local value", name, attr)
            cfg.locals[name] = attr
    elif b.type == "module" and b.labels:
        cfg.modules[b.labels[0]] = b
    elif b.type == "output" and b.labels:
        cfg.outputs[b.labels[0]] = b
    elif b.type == "provider" and b.labels:
        cfg.providers.append(b)
    elif b.type == "removed" and "from" in b.attrs:
        cfg.removed[b.src.snippet(b.attrs["from"].expr)] = b.loc


def _override(cfg: ModuleConfig, item: Block | Attr) -> None:
    """Merge one top-level block of an override file into the configuration, as Terraform does
    (https://developer.hashicorp.com/terraform/language/files/override#merging-behavior): an override block
    needs an original with the same header; what it sets keeps the override file's position."""
    if isinstance(item, Attr):
        raise InputError(f"unexpected attribute `{item.name}` at the top level of a configuration file", _place(item))
    b = item
    if b.type in ("resource", "data") and len(b.labels) == 2:
        table = cfg.resources if b.type == "resource" else cfg.data
        key = ".".join(b.labels)
        if key not in table:
            what = "resource" if b.type == "resource" else "data source"
            raise InputError(f"there is no {what} `{key}` for this override block to override", _place(b))
        _no_depends_on(b)
        table[key] = merge_blocks(table[key], b, lifecycle=True)
    elif b.type in ("variable", "module", "output") and b.labels:
        table = {"variable": cfg.variables, "module": cfg.modules, "output": cfg.outputs}[b.type]
        name = b.labels[0]
        if name not in table:
            what = {"variable": "variable", "module": "module call", "output": "output"}[b.type]
            raise InputError(f"there is no {what} `{name}` for this override block to override", _place(b))
        if b.type == "output":
            _no_depends_on(b)
        table[name] = merge_blocks(table[name], b)
    elif b.type == "locals":
        for name, attr in b.attrs.items():  # value by value, whichever locals block declared it
            if name not in cfg.locals:
                raise InputError(f"there is no local value `{name}` for this override to override", _place(attr))
            cfg.locals[name] = attr
    elif b.type == "provider" and b.labels:
        alias = _alias(b)
        for i, p in enumerate(cfg.providers):
            if p.labels[0] == b.labels[0] and _alias(p) == alias:
                cfg.providers[i] = merge_blocks(p, b)
                return
        if alias is not None:
            raise InputError(f"there is no `{b.labels[0]}` provider configuration with the alias `{alias}` for this "
                             f"override block to override", _place(b))
        cfg.providers.append(b)  # a default provider configuration may be overridden without one
    elif b.type in ("moved", "import"):
        raise InputError(f"`{b.type}` blocks cannot be in an override file", _place(b))
    # `terraform` blocks (and block types s3audit does not read) change nothing s3audit reads


def _no_depends_on(b: Block) -> None:
    if "depends_on" in b.attrs:
        raise InputError("`depends_on` cannot be overridden", _place(b.attrs["depends_on"]))


def _alias(b: Block) -> str | None:
    a = b.attrs.get("alias")
    if a is None:
        return None
    v = evaluate(a.expr, Scope(_NoRefs(), a.src))
    return v if isinstance(v, str) else repr(v)


def _kind(b: Block) -> str:
    """The block type a nested block makes: a `dynamic "x"` block makes `x` blocks."""
    return b.labels[0] if b.type == "dynamic" and b.labels else b.type


def merge_blocks(base: Block, over: Block, *, lifecycle: bool = False) -> Block:
    """``over`` merged into ``base``: its arguments replace the original's, its nested blocks of a type
    replace all of the original's of that type (static or `dynamic`), and the contents of nested blocks are
    not merged, except a resource's ``lifecycle``, merged argument by argument. The block keeps its original
    position; each argument and nested block keeps its own, so what the override sets is located in the
    override file. An argument and nested blocks of the same name replace each other: the provider's schema
    makes the name one or the other, whatever the syntax (or s3audit's reading of it) took it for."""
    over_kinds = {_kind(b) for b in over.blocks}
    attrs = {n: a for n, a in base.attrs.items() if n not in over_kinds}
    attrs.update(over.attrs)
    kept = [b for b in base.blocks if _kind(b) not in over_kinds and _kind(b) not in over.attrs]
    added = list(over.blocks)
    base_lc = next((b for b in base.blocks if b.type == "lifecycle"), None) if lifecycle else None
    if base_lc is not None:
        added = [Block("lifecycle", [], base_lc.loc, base_lc.src, {**base_lc.attrs, **b.attrs}, base_lc.blocks)
                 if b.type == "lifecycle" else b for b in added]
    return Block(base.type, base.labels, base.loc, base.src, attrs, kept + added)


def read_tfvars(directory: Path, shown: str) -> dict[str, Any]:
    """Variable values from the files Terraform loads by itself, later ones winning: ``terraform.tfvars``,
    ``terraform.tfvars.json``, then ``*.auto.tfvars`` and ``*.auto.tfvars.json`` by name
    (https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence)."""
    from ..fileio import read_text
    from .hcljson import read_values
    paths = [directory / n for n in ("terraform.tfvars", "terraform.tfvars.json") if (directory / n).is_file()]
    paths += sorted((p for p in directory.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
                     and p.is_file()), key=lambda p: p.name)
    values: dict[str, Any] = {}
    for p in paths:
        display = os.path.normpath(os.path.join(shown, p.name))
        text = read_text(p)
        items = read_values(text, display) if p.name.endswith(".json") else read_file(text, display)
        for item in items:
            if isinstance(item, Attr):
                values[item.name] = evaluate(item.expr, Scope(_NoRefs(), item.src))
    return values


# --- variable types -----------------------------------------------------------------------------------------

def type_constraint(attr: Attr | None) -> tuple:
    """A variable's ``type`` as s3audit converts values to it: ("string",), ("number",), ("bool",),
    ("list"|"set"|"map", element), ("any",); ("?",) for structural types (object, tuple), left unconverted."""
    if attr is None:
        return ("any",)
    node = attr.expr
    if hasattr(node, "expression"):  # JSON syntax: the type expression is a string
        parsed = node.expression()
        if parsed is None:
            return ("?",)
        node = parsed[0]
    return _type_of(node)


def _type_of(node) -> tuple:
    k = kids(node)
    if node.data == "expr_term" and len(k) == 1:
        return _type_of(k[0])
    if node.data == "identifier":
        name = str(node.children[0])
        return (name,) if name in ("string", "number", "bool", "any") else ("?",)
    if node.data == "function_call":
        name = str(next(x for x in k if x.data == "identifier").children[0])
        args = [x for x in k if x.data == "arguments"]
        argv = kids(args[0]) if args else []
        if name in ("list", "set", "map") and len(argv) == 1:
            return (name, _type_of(argv[0]))
        if name == "optional" and argv:
            return _type_of(argv[0])
    return ("?",)


def convert(value: Any, vtype: tuple) -> Any:
    """``value`` converted to a variable's type as Terraform converts it (``"true"`` to true, 3 to ``"3"``);
    EvalError when it cannot be (https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types)."""
    kind = vtype[0]
    if kind in ("any", "?") or value is None or isinstance(value, Unknown):
        return value
    if kind == "string":
        if isinstance(value, (bool, int, float, str)):
            return value if isinstance(value, str) else to_string(value)
        raise EvalError("a string is required")
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise EvalError("a number is required")
        return to_number(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        raise EvalError("a bool is required")
    if kind in ("list", "set"):
        if not isinstance(value, list):
            raise EvalError(f"a {kind} is required")
        out = PList((convert(x, vtype[1]) for x in value), pos=getattr(value, "pos", None))
        if kind == "set":
            from .hcl import FUNCTIONS
            out = PList(FUNCTIONS["toset"](out), pos=out.pos)
        return out
    if kind == "map":
        if not isinstance(value, dict) or isinstance(value, Namespace):
            raise EvalError("a map is required")
        out_m = PDict({k: convert(x, vtype[1]) for k, x in value.items()}, pos=getattr(value, "pos", None))
        out_m.key_pos.update(getattr(value, "key_pos", {}))
        return out_m
    return value


class _NoRefs(Resolver):
    def root(self, name, scope, node):
        raise EvalError(f"`{name}` cannot be referenced here")

    def read_file(self, path, scope):
        raise EvalError("file() cannot be used here")


class _Lazy(Namespace):
    def __init__(self, fn, label: str, index=None):
        self.fn, self.label, self._index = fn, label, index

    def attr(self, name: str) -> Any:
        return self.fn(name)

    def index(self, key: Any) -> Any:
        if self._index is None:
            raise EvalError(f"`{self.label}` cannot be indexed")
        return self._index(key)


class DirLoader:
    """Evaluates one root module and the modules it calls."""

    def __init__(self, directory: str, account_id: str, var_values: dict | None = None):
        self.root_dir = Path(directory)
        self.shown = os.path.normpath(directory)
        self.account_id = account_id
        self._configs: dict[Path, ModuleConfig] = {}
        self.root_cfg = self.config(self.root_dir, self.shown, ".")
        inputs = read_tfvars(self.root_dir, self.shown)
        inputs.update(var_values or {})
        self.root = ModuleInstance(self, self.root_cfg, "", inputs)
        self.region, self.default_tags = self._provider_settings()
        self.unplaced: list[tuple[str, str]] = []
        self._downloaded = self._read_modules_json()

    def config(self, directory: Path, shown: str, rel: str) -> ModuleConfig:
        key = directory.resolve()
        if key not in self._configs:
            self._configs[key] = read_module(directory, shown, rel)
        return self._configs[key]

    def _provider_settings(self) -> tuple[Any, Any]:
        region: Any = Unknown("the provider's region is not set in the configuration")
        tags: Any = None
        for p in self.root_cfg.providers:
            if p.labels[0] != "aws" or "alias" in p.attrs:
                continue
            scope = Scope(self.root, p.src)
            if "region" in p.attrs:
                region = evaluate(p.attrs["region"].expr, scope.with_src(p.attrs["region"].src))
            for dt in p.children("default_tags"):
                if "tags" in dt.attrs:
                    tags = evaluate(dt.attrs["tags"].expr, scope.with_src(dt.attrs["tags"].src))
        return region, tags

    def _read_modules_json(self) -> dict[str, str]:
        path = self.root_dir / ".terraform" / "modules" / "modules.json"
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return {m.get("Key", ""): m.get("Dir", "") for m in data.get("Modules", []) if isinstance(m, dict)}

    def module_dir(self, key: str, source: Any, parent: ModuleConfig) -> tuple[Path, str, str] | None:
        if isinstance(source, str) and source.startswith(("./", "../")):
            rel = os.path.normpath(os.path.join(parent.rel, source))
            return self.root_dir / rel, os.path.normpath(os.path.join(self.shown, rel)), rel
        if key in self._downloaded and self._downloaded[key]:
            rel = os.path.normpath(self._downloaded[key])
            return self.root_dir / rel, os.path.normpath(os.path.join(self.shown, rel)), rel
        return None

    def read_file(self, path: str) -> PStr:
        from ..fileio import read_text
        full = Path(path) if os.path.isabs(path) else self.root_dir / path
        shown = path if os.path.isabs(path) else os.path.normpath(os.path.join(self.shown, path))
        if not full.is_file():
            raise EvalError(f"file `{shown}` does not exist")
        return PStr(read_text(full), Loc(shown, 1, 1))

    # -- all resource instances, root first, then each module in declaration order
    def resources(self) -> list[Res]:
        out: list[Res] = []
        self._collect(self.root, out)
        return out

    def _collect(self, inst: "ModuleInstance", out: list[Res]) -> None:
        for key, block in inst.cfg.resources.items():
            result = inst.resource(key)
            if isinstance(result, Unknown):
                self.unplaced.append((inst.prefix + key, result.reason))
                continue
            for address, obj in _instances(result, inst.prefix + key):
                out.append(Res(address, block.labels[0], obj, block.loc, dict(obj.key_pos), True, inst.prefix,
                               inst.name_unknown.get(address)))
        for name in inst.cfg.modules:
            children = inst.module_instances(name)
            if isinstance(children, Unknown):
                self.unplaced.append((f"{inst.prefix}module.{name}", children.reason))
                continue
            for child in children:
                self._collect(child, out)


def _instances(result: Any, base: str) -> Iterable[tuple[str, Obj]]:
    if isinstance(result, Obj):
        yield base, result
    elif isinstance(result, list):
        for i, obj in enumerate(result):
            yield f"{base}[{i}]", obj
    elif isinstance(result, dict):
        for k, obj in result.items():
            yield f"{base}[{json.dumps(k)}]", obj


class ModuleInstance(Resolver):
    def __init__(self, loader: DirLoader, cfg: ModuleConfig, prefix: str, inputs: dict[str, Any]):
        self.loader, self.cfg, self.prefix, self.inputs = loader, cfg, prefix, inputs
        self._cache: dict[str, Any] = {}
        self._busy: set[str] = set()
        self.name_unknown: dict[str, str] = {}

    def _once(self, key: str, compute) -> Any:
        if key in self._cache:
            return self._cache[key]
        if key in self._busy:
            return Unknown(f"`{self.prefix}{key}` refers to itself")
        self._busy.add(key)
        try:
            value = compute()
        finally:
            self._busy.discard(key)
        self._cache[key] = value
        return value

    # -- Resolver
    def root(self, name: str, scope: Scope, node) -> Any:
        if name == "var":
            return _Lazy(self.var, "var")
        if name == "local":
            return _Lazy(self.local, "local")
        if name == "module":
            return _Lazy(self.module_value, "module")
        if name == "data":
            return _Lazy(lambda t: _Lazy(lambda n: self.data(f"{t}.{n}"), f"data.{t}"), "data")
        if name == "path":
            return PDict({"module": self.cfg.rel, "root": ".", "cwd": "."})
        if name == "terraform":
            return PDict({"workspace": "default"})
        if name == "self":
            return Unknown("`self` is only known to provisioners")
        if name in ("count", "each"):
            raise EvalError(f"`{name}` is only available in a resource or module with {name}")
        if any(k.startswith(name + ".") for k in self.cfg.resources):
            return _Lazy(lambda n: self.resource(f"{name}.{n}"), name)
        raise EvalError(f"`{name}` is not declared in this module")

    def read_file(self, path: str, scope: Scope) -> PStr:
        return self.loader.read_file(path)

    # -- names
    def var(self, name: str) -> Any:
        if name not in self.cfg.variables:
            raise EvalError(f"variable `{name}` is not declared")

        def compute():
            block = self.cfg.variables[name]
            vtype = type_constraint(block.attrs.get("type"))
            if name in self.inputs:
                try:
                    return convert(self.inputs[name], vtype)
                except EvalError as exc:
                    return Unknown(f"the value given to variable `{name}` does not match its type ({exc})")
            if "default" in block.attrs:
                a = block.attrs["default"]
                try:
                    return convert(evaluate(a.expr, Scope(_NoRefs(), a.src)), vtype)
                except EvalError as exc:
                    # Terraform rejects the configuration; an override that changed the type or the default
                    # is where it went wrong (https://developer.hashicorp.com/terraform/language/files/override)
                    overridden = [x for x in (block.attrs.get("type"), a) if x is not None and x.loc.file != block.loc.file]
                    raise InputError(f"the default value of variable `{name}` does not match its type ({exc})",
                                     _place(overridden[-1] if overridden else a)) from None
            return Unknown(f"variable `{name}` has no value in the configuration")
        return self._once("var." + name, compute)

    def local(self, name: str) -> Any:
        if name not in self.cfg.locals:
            raise EvalError(f"local value `{name}` is not declared")
        a = self.cfg.locals[name]
        return self._once("local." + name, lambda: evaluate(a.expr, Scope(self, a.src)))

    def _expand(self, block: Block, key: str) -> Any:
        """None for a single instance, else {instance key: names for its scope}, or Unknown."""
        scope = Scope(self, block.src)
        if "count" in block.attrs:
            n = evaluate(block.attrs["count"].expr, scope.with_src(block.attrs["count"].src))
            if isinstance(n, str):  # Terraform converts "2" to the number 2
                try:
                    n = to_number(n)
                except EvalError:
                    pass
            if isinstance(n, Unknown):
                return Unknown(f"the count of `{self.prefix}{key}` is unknown ({n.reason})")
            if not isinstance(n, int) or isinstance(n, bool):
                return Unknown(f"the count of `{self.prefix}{key}` is not a whole number")
            return {i: {"count": PDict({"index": i})} for i in range(n)}
        if "for_each" in block.attrs:
            coll = evaluate(block.attrs["for_each"].expr, scope.with_src(block.attrs["for_each"].src))
            u = first_unknown(coll) if not isinstance(coll, dict) else (coll if isinstance(coll, Unknown) else
                                                                         first_unknown(list(coll.keys())))
            if u is not None:
                return Unknown(f"the for_each of `{self.prefix}{key}` is unknown ({u.reason})")
            if isinstance(coll, dict):
                return {k: {"each": PDict({"key": k, "value": v})} for k, v in coll.items()}
            if isinstance(coll, list):
                return {to_string(v): {"each": PDict({"key": to_string(v), "value": v})} for v in coll}
            return Unknown(f"the for_each of `{self.prefix}{key}` is not a map or set")
        return None

    def resource(self, key: str) -> Any:
        if key not in self.cfg.resources:
            raise EvalError(f"resource `{key}` is not declared")
        block = self.cfg.resources[key]
        rtype = block.labels[0]

        def one(address: str, names: dict) -> Obj:
            obj = block_value(block, Scope(self, block.src, names), label=address)
            why = add_computed(rtype, obj, address, self.loader.account_id, self.loader.region)
            if why:
                self.name_unknown[address] = why
            if "tags" in obj or isinstance(self.loader.default_tags, dict):
                tags = obj.get("tags")
                dt = self.loader.default_tags
                if isinstance(dt, dict) and (isinstance(tags, dict) or tags is None):
                    obj.setdefault("tags_all", PDict({**dt, **(tags or {})}))
                else:
                    obj.setdefault("tags_all", tags)
            return obj

        def compute():
            expansion = self._expand(block, key)
            if isinstance(expansion, Unknown):
                return expansion
            base = self.prefix + key
            if expansion is None:
                return one(base, {})
            if "count" in block.attrs:
                return PList(one(f"{base}[{i}]", names) for i, names in expansion.items())
            return PDict({k: one(f"{base}[{json.dumps(k)}]", names) for k, names in expansion.items()})
        return self._once(key, compute)

    def data(self, key: str) -> Any:
        if key not in self.cfg.data:
            raise EvalError(f"data source `data.{key}` is not declared")
        block = self.cfg.data[key]
        dtype = block.labels[0]

        def one(address: str, names: dict) -> Obj:
            scope = Scope(self, block.src, names)
            obj = block_value(block, scope, label=address)
            if dtype == "aws_iam_policy_document":
                doc = policy_document(obj, address)
                text = doc if isinstance(doc, Unknown) else PStr(json.dumps(doc), encoded=doc)
                obj.update({"json": text, "minified_json": text})
            elif dtype == "aws_caller_identity":
                obj.update({"account_id": self.loader.account_id, "id": self.loader.account_id})
            elif dtype == "aws_partition":
                obj.update({"partition": "aws", "dns_suffix": "amazonaws.com", "id": "aws"})
            elif dtype == "aws_region":
                region = obj.get("name") or obj.get("region") or self.loader.region
                obj.update({"name": region, "region": region, "id": region})
            return obj

        def compute():
            expansion = self._expand(block, "data." + key)
            if isinstance(expansion, Unknown):
                return expansion
            base = f"{self.prefix}data.{key}"
            if expansion is None:
                return one(base, {})
            if "count" in block.attrs:
                return PList(one(f"{base}[{i}]", names) for i, names in expansion.items())
            return PDict({k: one(f"{base}[{json.dumps(k)}]", names) for k, names in expansion.items()})
        return self._once("data." + key, compute)

    def module_instances(self, name: str) -> Any:
        """The child instances of ``module "name"`` (a list), or Unknown."""
        def compute():
            block = self.cfg.modules[name]
            scope = Scope(self, block.src)
            source = (evaluate(block.attrs["source"].expr, scope.with_src(block.attrs["source"].src))
                      if "source" in block.attrs else None)
            where = self.loader.module_dir(_module_key(self.prefix, name), source, self.cfg)
            if where is None:
                return Unknown(f"module source `{source}` is not available locally (run `terraform init`, "
                               f"or check the plan instead)")
            cfg = self.loader.config(*where)
            expansion = self._expand(block, "module." + name)
            if isinstance(expansion, Unknown):
                return expansion
            skip = {"source", "version", "count", "for_each", "providers", "depends_on"}
            out = []
            for ikey, names in ([(None, {})] if expansion is None else expansion.items()):
                iscope = Scope(self, block.src, names)
                inputs = {n: evaluate(a.expr, iscope.with_src(a.src)) for n, a in block.attrs.items() if n not in skip}
                suffix = "" if ikey is None else f"[{ikey}]" if isinstance(ikey, int) else f"[{json.dumps(ikey)}]"
                out.append((ikey, ModuleInstance(self.loader, cfg, f"{self.prefix}module.{name}{suffix}.", inputs)))
            return out
        if name not in self.cfg.modules:
            raise EvalError(f"module `{name}` is not declared")
        result = self._once("module." + name, compute)
        return result if isinstance(result, Unknown) else [inst for _, inst in result]

    def module_value(self, name: str) -> Any:
        if name not in self.cfg.modules:
            raise EvalError(f"module `{name}` is not declared")
        instances = self.module_instances(name)
        if isinstance(instances, Unknown):
            return instances
        pairs = self._cache["module." + name]
        block = self.cfg.modules[name]
        outputs = [_Lazy(inst.output, f"module.{name}") for _, inst in pairs]
        if "count" in block.attrs:
            return PList(outputs)
        if "for_each" in block.attrs:
            return PDict({k: o for (k, _), o in zip(pairs, outputs)})
        return outputs[0]

    def output(self, name: str) -> Any:
        if name not in self.cfg.outputs:
            raise EvalError(f"module output `{name}` is not declared")
        block = self.cfg.outputs[name]
        if "value" not in block.attrs:
            raise EvalError(f"output `{name}` has no value")
        a = block.attrs["value"]
        return self._once("output." + name, lambda: evaluate(a.expr, Scope(self, a.src)))


def _module_key(prefix: str, name: str) -> str:
    """The key ``terraform init`` gives a module call in modules.json (``a.b`` for module.a.module.b)."""
    import re
    parts = re.findall(r"module\.([^.\[]+)", prefix)
    return ".".join(parts + [name])


# --- aws_iam_policy_document -------------------------------------------------------------------------------

def _listify(v: Any) -> Any:
    return v if isinstance(v, (list, Unknown)) else PList([v]) if v is not None else PList()


def _one_or_list(values: Any) -> Any:
    if isinstance(values, list) and len(values) == 1:
        return values[0]
    return values


def policy_document(obj: Obj, address: str) -> Any:
    """The JSON document ``data.aws_iam_policy_document`` renders, with each statement's position.

    https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document
    """
    doc = PDict(pos=obj.pos)
    doc["Version"] = obj.get("version") or "2012-10-17"
    if obj.get("policy_id"):
        doc["Id"] = obj["policy_id"]
    statements = PList(pos=obj.pos)
    blocks = obj.get("statement")
    if isinstance(blocks, Unknown):
        return blocks
    for st in blocks or []:
        s = PDict(pos=getattr(st, "pos", None))
        if st.get("sid"):
            s["Sid"] = st["sid"]
        s["Effect"] = st.get("effect") or "Allow"
        for src, dst in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                         ("not_resources", "NotResource")):
            if st.get(src) is not None:
                s[dst] = _one_or_list(_listify(st[src]))
        for src, dst in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            blocks_p = st.get(src)
            if isinstance(blocks_p, Unknown):
                s[dst] = blocks_p
                continue
            if not blocks_p:
                continue
            principal = PDict()
            for p in blocks_p:
                ptype, ids = p.get("type"), _listify(p.get("identifiers"))
                if isinstance(ptype, Unknown) or isinstance(ids, Unknown):
                    principal = ptype if isinstance(ptype, Unknown) else ids
                    break
                if ptype == "*" and list(ids) == ["*"]:
                    principal = "*"
                    break
                existing = principal.setdefault(ptype, PList())
                existing.extend(x for x in ids if x not in existing)
            if isinstance(principal, PDict):
                principal = PDict({k: _one_or_list(v) for k, v in principal.items()})
            s[dst] = principal
        conditions = st.get("condition")
        if isinstance(conditions, Unknown):
            s["Condition"] = conditions
        elif conditions:
            cond = PDict()
            for c in conditions:
                test, var, values = c.get("test"), c.get("variable"), _listify(c.get("values"))
                if isinstance(test, Unknown) or isinstance(var, Unknown):
                    cond = test if isinstance(test, Unknown) else var
                    break
                per_test = cond.setdefault(test, PDict())
                if var in per_test and not isinstance(values, Unknown):
                    merged = _listify(per_test[var])
                    per_test[var] = _one_or_list(PList(list(merged) + [v for v in values if v not in merged]))
                else:
                    per_test[var] = _one_or_list(values)
            s["Condition"] = cond
        statements.append(s)
    # source documents come first, the document's own statements replace theirs by Sid; override
    # documents' statements replace by Sid or are added.
    merged = _merge_documents(obj.get("source_policy_documents"), statements, address, override=False)
    if isinstance(merged, Unknown):
        return merged
    merged = _merge_documents(obj.get("override_policy_documents"), merged, address, override=True)
    if isinstance(merged, Unknown):
        return merged
    doc["Statement"] = merged
    return doc


def _merge_documents(others: Any, current: PList, address: str, *, override: bool) -> Any:
    if others is None:
        return current
    if isinstance(others, Unknown):
        return others
    result = PList(current, pos=current.pos)
    for text in others:
        if isinstance(text, Unknown):
            return text
        pol = decode_policy(text, None, "source or override policy document")
        if pol is None:
            continue
        if pol.unknown is not None:
            return pol.unknown
        stmts = pol.doc.get("Statement", [])
        stmts = stmts if isinstance(stmts, list) else [stmts]
        for st in stmts:
            sid = st.get("Sid") if isinstance(st, dict) else None
            same = [i for i, x in enumerate(result) if sid and isinstance(x, dict) and x.get("Sid") == sid]
            if override:
                if same:
                    result[same[0]] = st
                else:
                    result.append(st)
            elif not same:
                result.insert(len([x for x in result if x in current and False]), st)
    if not override:
        own = [x for x in result if any(x is c for c in current)]
        src = [x for x in result if not any(x is c for c in current)]
        result = PList(src + own, pos=current.pos)
    return result


# --- mapping resources to the snapshot ---------------------------------------------------------------------

def _blocks(v: Any) -> Any:
    if v is None:
        return []
    if isinstance(v, Unknown):
        return v
    if isinstance(v, dict):
        return [v]
    return list(v)


def _first(v: Any) -> Any:
    b = _blocks(v)
    if isinstance(b, Unknown):
        return b
    return b[0] if b else None


def _pick(d: dict | None, mapping: Iterable[tuple[str, str]], convert=None) -> dict:
    out = {}
    if not d:
        return out
    for src, dst in mapping:
        v = d.get(src)
        if v is None or v == "" or (isinstance(v, list) and not v):
            continue
        out[dst] = convert(v) if convert else v
    return out


def _enc_rules(rules: Any) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in _blocks(rules):
        d = _first(r.get("apply_server_side_encryption_by_default"))
        rule: dict = {}
        if isinstance(d, Unknown):
            return d
        if d:
            rule["ApplyServerSideEncryptionByDefault"] = _pick(d, (("sse_algorithm", "SSEAlgorithm"),
                                                                   ("kms_master_key_id", "KMSMasterKeyID")))
        if r.get("bucket_key_enabled") is not None:
            rule["BucketKeyEnabled"] = r["bucket_key_enabled"]
        out.append(rule)
    return {"Rules": out}


def _lifecycle_filter(f: Any, prefix: Any = None, tags: Any = None) -> Any:
    if isinstance(f, Unknown):
        return f
    if f:
        and_ = _first(f.get("and"))
        if and_:
            out = {"And": _pick(and_, (("prefix", "Prefix"), ("object_size_greater_than", "ObjectSizeGreaterThan"),
                                       ("object_size_less_than", "ObjectSizeLessThan")))}
            if and_.get("tags"):
                out["And"]["Tags"] = [{"Key": k, "Value": v} for k, v in and_["tags"].items()]
            return out
        tag = _first(f.get("tag"))
        if tag:
            return {"Tag": {"Key": tag.get("key"), "Value": tag.get("value")}}
        return _pick(f, (("prefix", "Prefix"), ("object_size_greater_than", "ObjectSizeGreaterThan"),
                         ("object_size_less_than", "ObjectSizeLessThan")))
    if tags:
        return {"And": {"Prefix": prefix or "", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}}
    return {"Prefix": prefix or ""}


def _lifecycle_v4(rules: Any) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in _blocks(rules):
        rule = {"ID": r.get("id"), "Status": r.get("status"),
                "Filter": _lifecycle_filter(_first(r.get("filter")), r.get("prefix"))}
        exp = _first(r.get("expiration"))
        if exp:
            rule["Expiration"] = _pick(exp, (("days", "Days"), ("date", "Date"),
                                             ("expired_object_delete_marker", "ExpiredObjectDeleteMarker")))
        trans = [_pick(t, (("days", "Days"), ("date", "Date"), ("storage_class", "StorageClass")))
                 for t in _blocks(r.get("transition"))]
        if trans:
            rule["Transitions"] = trans
        nve = _first(r.get("noncurrent_version_expiration"))
        if nve:
            rule["NoncurrentVersionExpiration"] = _pick(nve, (("noncurrent_days", "NoncurrentDays"),
                                                              ("newer_noncurrent_versions", "NewerNoncurrentVersions")))
        nvt = [_pick(t, (("noncurrent_days", "NoncurrentDays"), ("storage_class", "StorageClass")))
               for t in _blocks(r.get("noncurrent_version_transition"))]
        if nvt:
            rule["NoncurrentVersionTransitions"] = nvt
        ab = _first(r.get("abort_incomplete_multipart_upload"))
        if ab:
            rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": ab.get("days_after_initiation")}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Rules": out}


def _lifecycle_v3(rules: Any) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in _blocks(rules):
        enabled = r.get("enabled")
        rule = {"ID": r.get("id"), "Status": enabled if isinstance(enabled, Unknown) else
                ("Enabled" if enabled else "Disabled"),
                "Filter": _lifecycle_filter(None, r.get("prefix"), r.get("tags"))}
        exp = _first(r.get("expiration"))
        if exp:
            rule["Expiration"] = _pick(exp, (("days", "Days"), ("date", "Date"),
                                             ("expired_object_delete_marker", "ExpiredObjectDeleteMarker")))
        trans = [_pick(t, (("days", "Days"), ("date", "Date"), ("storage_class", "StorageClass")))
                 for t in _blocks(r.get("transition"))]
        if trans:
            rule["Transitions"] = trans
        nve = _first(r.get("noncurrent_version_expiration"))
        if nve:
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": nve.get("days")}
        nvt = [_pick(t, (("days", "NoncurrentDays"), ("storage_class", "StorageClass")))
               for t in _blocks(r.get("noncurrent_version_transition"))]
        if nvt:
            rule["NoncurrentVersionTransitions"] = nvt
        if r.get("abort_incomplete_multipart_upload_days"):
            rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": r["abort_incomplete_multipart_upload_days"]}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Rules": out}


def _replication(role: Any, rules: Any, v3: bool) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in _blocks(rules):
        d = _first(r.get("destination")) or {}
        if isinstance(d, Unknown):
            return d
        dest = _pick(d, (("bucket", "Bucket"), ("storage_class", "StorageClass"),
                         ("account" if not v3 else "account_id", "Account")))
        act = _first(d.get("access_control_translation"))
        if act:
            dest["AccessControlTranslation"] = {"Owner": act.get("owner")}
        kms = d.get("replica_kms_key_id") if v3 else (_first(d.get("encryption_configuration")) or {}).get("replica_kms_key_id")
        if kms:
            dest["EncryptionConfiguration"] = {"ReplicaKmsKeyID": kms}
        rule = {"ID": r.get("id"), "Priority": r.get("priority"), "Status": r.get("status"), "Destination": dest}
        f = _first(r.get("filter"))
        if f or r.get("prefix") is not None:
            rule["Filter"] = _lifecycle_filter(f, r.get("prefix"))
        dmr = _first(r.get("delete_marker_replication"))
        if dmr:
            rule["DeleteMarkerReplication"] = {"Status": dmr.get("status")}
        elif v3 and r.get("delete_marker_replication_status"):
            rule["DeleteMarkerReplication"] = {"Status": r["delete_marker_replication_status"]}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Role": role, "Rules": out}


def _website_v4(w: dict) -> Any:
    out: dict = {}
    idx = _first(w.get("index_document"))
    if idx:
        out["IndexDocument"] = {"Suffix": idx.get("suffix")}
    err = _first(w.get("error_document"))
    if err:
        out["ErrorDocument"] = {"Key": err.get("key")}
    red = _first(w.get("redirect_all_requests_to"))
    if red:
        out["RedirectAllRequestsTo"] = _pick(red, (("host_name", "HostName"), ("protocol", "Protocol")))
    rules = w.get("routing_rules")
    if isinstance(rules, str) and rules:
        out["RoutingRules"] = json.loads(str(rules))
    elif _blocks(w.get("routing_rule")):
        out["RoutingRules"] = [{"Condition": _pick(_first(r.get("condition")), (
            ("http_error_code_returned_equals", "HttpErrorCodeReturnedEquals"), ("key_prefix_equals", "KeyPrefixEquals"))),
            "Redirect": _pick(_first(r.get("redirect")), (("host_name", "HostName"), ("protocol", "Protocol"),
                                                           ("replace_key_prefix_with", "ReplaceKeyPrefixWith"),
                                                           ("replace_key_with", "ReplaceKeyWith"),
                                                           ("http_redirect_code", "HttpRedirectCode")))}
            for r in _blocks(w.get("routing_rule"))]
    return out


def _grants(grants: Any, owner_id: str) -> Any:
    out = []
    for g in _blocks(grants):
        if isinstance(g, Unknown):
            return g
        gtype = g.get("type")
        grantee: dict = {"Type": gtype}
        if g.get("id"):
            grantee["ID"] = g["id"]
        if g.get("uri"):
            grantee["URI"] = g["uri"]
        if g.get("email_address"):
            grantee["EmailAddress"] = g["email_address"]
        perms = g.get("permissions") or ([g["permission"]] if g.get("permission") else [])
        for p in perms:
            out.append({"Grantee": grantee, "Permission": p})
    return out


_PAB = (("block_public_acls", "BlockPublicAcls"), ("ignore_public_acls", "IgnorePublicAcls"),
        ("block_public_policy", "BlockPublicPolicy"), ("restrict_public_buckets", "RestrictPublicBuckets"))


def _pab(d: dict, default: bool = False) -> dict:
    return {dst: (d.get(src) if d.get(src) is not None else default) for src, dst in _PAB}


class Mapper:
    """Turns resource instances (Terraform attribute names) into builder calls (AWS API shapes)."""

    FIRST = ("aws_s3_bucket", "aws_iam_role", "aws_iam_user", "aws_iam_group", "aws_iam_policy",
             "aws_organizations_policy", "aws_s3_access_point")

    def __init__(self, builder: SnapshotBuilder, region: Any, default_tags: Any = None):
        self.b, self.region, self.default_tags = builder, region, default_tags

    def map_all(self, resources: list[Res]) -> None:
        ordered = [r for r in resources if r.type in self.FIRST] + [r for r in resources if r.type not in self.FIRST]
        for r in ordered:
            fn = getattr(self, "r_" + r.type, None)
            if fn is not None:
                fn(r)

    # -- helpers
    def _name(self, r: Res, attr: str, what: str) -> str | None:
        """A referenced name (a bucket, a role); None (and an account error) when unknown."""
        v = r.values.get(attr)
        if isinstance(v, str) and v:
            return str(v)
        reason = v.reason if isinstance(v, Unknown) else f"`{attr}` is not set"
        self.b.unplaced(r.address, f"the {what} of `{r.address}` is not known ({reason})")
        return None

    def _bucket_of(self, r: Res) -> str | None:
        return self._name(r, "bucket", "bucket")

    def _set(self, r: Res, bucket: str, key: str, value: Any, attr: str) -> None:
        # An inline argument of aws_s3_bucket is located at its line; a split-out resource at its block, or
        # at what an override file changed in it.
        self.b.set_bucket(bucket, key, value, r.at(attr) if r.type == "aws_s3_bucket" else r.changed_at())

    # -- S3
    def r_aws_s3_bucket(self, r: Res) -> None:
        v = r.values
        name = v["bucket"]
        self.b.bucket(name, r.loc, created=r.created, name_unknown=r.name_unknown)
        region = v.get("region") if isinstance(v.get("region"), str) else self.region
        if isinstance(region, str):
            self.b.set_bucket(name, "Region", region, None)
        else:
            self.b.set_bucket(name, "Region", region if isinstance(region, Unknown) else
                              Unknown("the region is chosen at apply time"), None)
        tags = v.get("tags_all") if v.get("tags_all") is not None else v.get("tags")
        if tags:
            self._set(r, name, "Tags", tags if isinstance(tags, Unknown) else dict(tags), "tags")
        # Provider v3 inline arguments (still accepted, deprecated, in v4 and v5).
        if v.get("acl") is not None:
            acl = v["acl"]
            self._set(r, name, "Acl", acl if isinstance(acl, Unknown) else
                      canned_acl(str(acl), self.b.account_id) or Unknown(f"`{acl}` is not a canned ACL"), "acl")
        if _blocks(v.get("grant")):
            grants = _grants(v["grant"], "")
            self._set(r, name, "Acl", grants if isinstance(grants, Unknown) else
                      {"Owner": {"ID": _owner(self.b)}, "Grants": grants}, "grant")
        if v.get("policy") not in (None, ""):
            self.b.set_bucket_policy(name, v["policy"], r.at("policy"))
        ver = _first(v.get("versioning"))
        if ver is not None:
            self._set(r, name, "Versioning", ver if isinstance(ver, Unknown) else _versioning_v3(ver), "versioning")
        log = _first(v.get("logging"))
        if log is not None:
            self._set(r, name, "Logging", log if isinstance(log, Unknown) else
                      {"LoggingEnabled": _pick(log, (("target_bucket", "TargetBucket"), ("target_prefix", "TargetPrefix")))}
                      if log.get("target_bucket") else {}, "logging")
        sse = _first(v.get("server_side_encryption_configuration"))
        if sse is not None:
            self._set(r, name, "Encryption", sse if isinstance(sse, Unknown) else _enc_rules(sse.get("rule")),
                      "server_side_encryption_configuration")
        if _blocks(v.get("lifecycle_rule")):
            self._set(r, name, "Lifecycle", _lifecycle_v3(v["lifecycle_rule"]), "lifecycle_rule")
        rep = _first(v.get("replication_configuration"))
        if rep is not None:
            self._set(r, name, "Replication", rep if isinstance(rep, Unknown) else
                      _replication(rep.get("role"), rep.get("rules"), True), "replication_configuration")
        web = _first(v.get("website"))
        if web is not None:
            self._set(r, name, "Website", web if isinstance(web, Unknown) else _website_v3(web), "website")
        ol = _first(v.get("object_lock_configuration"))
        if ol is not None:
            self._set(r, name, "ObjectLock", ol if isinstance(ol, Unknown) else _object_lock(ol), "object_lock_configuration")
        elif v.get("object_lock_enabled") is True:
            self._set(r, name, "ObjectLock", {"ObjectLockEnabled": "Enabled"}, "object_lock_enabled")

    def r_aws_s3_bucket_policy(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self.b.bucket(name)
            self.b.set_bucket_policy(name, r.values.get("policy"), r.at("policy"))

    def r_aws_s3_bucket_acl(self, r: Res) -> None:
        name = self._bucket_of(r)
        if not name:
            return
        v = r.values
        if v.get("acl") is not None:
            acl = v["acl"]
            self._set(r, name, "Acl", acl if isinstance(acl, Unknown) else
                      canned_acl(str(acl), self.b.account_id) or Unknown(f"`{acl}` is not a canned ACL"), "acl")
            return
        acp = _first(v.get("access_control_policy"))
        if acp is None:
            return
        if isinstance(acp, Unknown):
            self._set(r, name, "Acl", acp, "access_control_policy")
            return
        owner = _first(acp.get("owner")) or {}
        grants = []
        for g in _blocks(acp.get("grant")):
            ge = _first(g.get("grantee")) or {}
            grants.append({"grantee": ge, "permission": g.get("permission")})
        flat = _grants([{**x["grantee"], "permission": x["permission"]} for x in grants], "")
        self._set(r, name, "Acl", flat if isinstance(flat, Unknown) else
                  {"Owner": _pick(owner, (("id", "ID"), ("display_name", "DisplayName"))) or {"ID": _owner(self.b)},
                   "Grants": flat}, "access_control_policy")

    def r_aws_s3_bucket_public_access_block(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "PublicAccessBlock", _pab(r.values), "bucket")

    def r_aws_s3_bucket_ownership_controls(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            rule = _first(r.values.get("rule"))
            value = rule if isinstance(rule, Unknown) else {"Rules": [{"ObjectOwnership": rule.get("object_ownership")}]} if rule else None
            if value is not None:
                self._set(r, name, "OwnershipControls", value, "rule")

    def r_aws_s3_bucket_server_side_encryption_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Encryption", _enc_rules(r.values.get("rule")), "rule")

    def r_aws_s3_bucket_versioning(self, r: Res) -> None:
        name = self._bucket_of(r)
        if not name:
            return
        vc = _first(r.values.get("versioning_configuration"))
        if isinstance(vc, Unknown) or vc is None:
            self._set(r, name, "Versioning", vc if vc is not None else {}, "versioning_configuration")
            return
        status = vc.get("status")
        out: dict = {}
        if isinstance(status, Unknown):
            out["Status"] = status
        elif status in ("Enabled", "Suspended"):
            out["Status"] = status  # "Disabled" is only allowed for a bucket never versioned: no Status
        if vc.get("mfa_delete") in ("Enabled", "Disabled"):
            out["MFADelete"] = vc["mfa_delete"]
        self._set(r, name, "Versioning", out, "versioning_configuration")

    def r_aws_s3_bucket_logging(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Logging", {"LoggingEnabled": _pick(r.values, (("target_bucket", "TargetBucket"),
                                                                              ("target_prefix", "TargetPrefix")))},
                      "target_bucket")

    def r_aws_s3_bucket_lifecycle_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Lifecycle", _lifecycle_v4(r.values.get("rule")), "rule")

    def r_aws_s3_bucket_object_lock_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "ObjectLock", _object_lock(r.values), "rule")

    def r_aws_s3_bucket_replication_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Replication", _replication(r.values.get("role"), r.values.get("rule"), False), "rule")

    def r_aws_s3_bucket_website_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Website", _website_v4(r.values), "bucket")

    def r_aws_s3_account_public_access_block(self, r: Res) -> None:
        self.b.set_account_public_access_block(_pab(r.values), r.changed_at())

    def r_aws_s3_access_point(self, r: Res) -> None:
        v = r.values
        name = v.get("name")
        bucket = v.get("bucket")
        if not isinstance(name, str) or not isinstance(bucket, str):
            self.b.unplaced(r.address, "the name or bucket of the access point is known only after apply")
            return
        entry: dict = {"Bucket": bucket}
        vpc = _first(v.get("vpc_configuration"))
        if isinstance(vpc, Unknown):
            entry["VpcConfiguration"] = vpc
        elif vpc:
            entry["NetworkOrigin"] = "VPC"
            entry["VpcConfiguration"] = {"VpcId": vpc.get("vpc_id")}
        else:
            entry["NetworkOrigin"] = "Internet"
        pab = _first(v.get("public_access_block_configuration"))
        # The provider's (and S3's) default for an access point is all four settings on.
        entry["PublicAccessBlock"] = pab if isinstance(pab, Unknown) else _pab(pab or {}, default=True)
        if isinstance(v.get("bucket_account_id"), str):
            entry["BucketAccountId"] = v["bucket_account_id"]
        self.b.access_point(name, entry, v.get("policy"), r.loc)

    def r_aws_s3control_access_point_policy(self, r: Res) -> None:
        arn = r.values.get("access_point_arn")
        name = arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None
        if name is None or name not in self.b.access_points:
            self.b.unplaced(r.address, "the access point of this policy is not in the configuration")
            return
        ap = self.b.access_points[name]
        entry = {k: v for k, v in ap.items() if k not in ("Name", "Policy")}
        self.b.access_point(name, entry, r.values.get("policy"), r.loc)

    # -- IAM
    def _path(self, r: Res) -> str:
        p = r.values.get("path")
        return p if isinstance(p, str) and p else "/"

    def r_aws_iam_role(self, r: Res) -> None:
        v = r.values
        name = v["name"]
        self.b.role(name, self._path(r), r.loc, _arn(v))
        self.b.trust_policy(name, v.get("assume_role_policy"), r.at("assume_role_policy"))
        inline = _blocks(v.get("inline_policy"))
        if isinstance(inline, Unknown):
            self.b.account_errors[f"iam:Role/{name}/RolePolicyList"] = f"Unknown: {inline.reason}"
        else:
            for p in inline:
                pname = p.get("name")
                if isinstance(pname, str) and pname:
                    self.b.inline_policy("role", name, pname, p.get("policy"), getattr(p, "pos", None) or r.at("inline_policy"))
        arns = v.get("managed_policy_arns")
        self._attach_list(r, "role", name, arns, "managed_policy_arns")
        self.b.boundary("role", name, v.get("permissions_boundary"), r.at("permissions_boundary"))
        self.b.tags("role", name, v.get("tags_all") if v.get("tags_all") is not None else v.get("tags"))

    def _attach_list(self, r: Res, kind: str, entity: str, arns: Any, attr: str) -> None:
        if arns is None:
            return
        if isinstance(arns, Unknown):
            self.b.account_errors[f"iam:{kind.title()}/{entity}/AttachedManagedPolicies"] = f"Unknown: {arns.reason}"
            return
        for arn in arns:
            if isinstance(arn, Unknown):
                self.b.account_errors[f"iam:{kind.title()}/{entity}/AttachedManagedPolicies"] = f"Unknown: {arn.reason}"
            else:
                self.b.attach(kind, entity, str(arn), r.at(attr))

    def _entity(self, r: Res, attr: str, kind: str) -> str | None:
        name = self._name(r, attr, kind)
        if name is None:
            return None
        if name.startswith("arn:aws:iam::"):
            name = name.rsplit("/", 1)[-1]
        if name not in getattr(self.b, kind + "s"):  # managed elsewhere: a partial entry to merge with live
            getattr(self.b, kind)(name)
        return name

    def _inline(self, r: Res, kind: str) -> None:
        entity = self._entity(r, kind, kind)
        if entity is None:
            return
        pname = r.values.get("name")
        if not isinstance(pname, str) or not pname:
            pname = placeholder(r.address)
        self.b.inline_policy(kind, entity, pname, r.values.get("policy"), r.at("policy"))
        self.b.locate(self.b._entity_path(kind, entity) + (self.b._ENTITY[kind][3], _sel_policy(pname)), r.loc)

    def r_aws_iam_role_policy(self, r: Res) -> None:
        self._inline(r, "role")

    def r_aws_iam_user_policy(self, r: Res) -> None:
        self._inline(r, "user")

    def r_aws_iam_group_policy(self, r: Res) -> None:
        self._inline(r, "group")

    def _attachment(self, r: Res, kind: str) -> None:
        entity = self._entity(r, kind, kind)
        arn = r.values.get("policy_arn")
        if entity is None:
            return
        self._attach_list(r, kind, entity, [arn], "policy_arn")

    def r_aws_iam_role_policy_attachment(self, r: Res) -> None:
        self._attachment(r, "role")

    def r_aws_iam_user_policy_attachment(self, r: Res) -> None:
        self._attachment(r, "user")

    def r_aws_iam_group_policy_attachment(self, r: Res) -> None:
        self._attachment(r, "group")

    def r_aws_iam_policy_attachment(self, r: Res) -> None:
        arn = r.values.get("policy_arn")
        for attr, kind in (("roles", "role"), ("users", "user"), ("groups", "group")):
            names = r.values.get(attr)
            if isinstance(names, Unknown):
                self.b.unplaced(r.address, f"the {attr} of `{r.address}` are not known ({names.reason})")
                continue
            for n in names or []:
                if isinstance(n, Unknown):
                    self.b.unplaced(r.address, f"the {attr} of `{r.address}` are not known ({n.reason})")
                    continue
                if n not in getattr(self.b, kind + "s"):
                    getattr(self.b, kind)(n)
                self._attach_list(r, kind, n, [arn], "policy_arn")

    def r_aws_iam_policy(self, r: Res) -> None:
        v = r.values
        self.b.managed_policy(v["arn"], v["name"], self._path(r), v.get("policy"), r.at("policy"))
        self.b.locate(self.b._account() + ("iam", "Policies", _sel_arn(v["arn"])), r.loc)

    def r_aws_iam_user(self, r: Res) -> None:
        v = r.values
        self.b.user(v["name"], self._path(r), r.loc, _arn(v))
        self.b.boundary("user", v["name"], v.get("permissions_boundary"), r.at("permissions_boundary"))
        self.b.tags("user", v["name"], v.get("tags_all") if v.get("tags_all") is not None else v.get("tags"))

    def r_aws_iam_group(self, r: Res) -> None:
        v = r.values
        self.b.group(v["name"], self._path(r), r.loc, _arn(v))

    def r_aws_iam_group_membership(self, r: Res) -> None:
        self._memberships(r, "group", "users", lambda group, user: (user, group))

    def r_aws_iam_user_group_membership(self, r: Res) -> None:
        self._memberships(r, "user", "groups", lambda user, group: (user, group))

    def _memberships(self, r: Res, kind: str, members_key: str, pair) -> None:
        """One entity (a group or a user) and a list of the other side: each pair becomes a membership."""
        entity = self._entity(r, kind, kind)
        members = r.values.get(members_key)
        if entity is None:
            return
        if isinstance(members, Unknown):
            self.b.unplaced(r.address, f"the {members_key} of `{r.address}` are not known ({members.reason})")
            return
        for m in members or []:
            if isinstance(m, str):
                user, group = pair(entity, m)
                self.b.add_to_group(user, group, r.loc)

    # -- Organizations
    def r_aws_organizations_policy(self, r: Res) -> None:
        v = r.values
        ptype = v.get("type") or "SERVICE_CONTROL_POLICY"
        if ptype not in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            return  # tag, backup and AI opt-out policies do not decide access
        pid = v.get("id") if isinstance(v.get("id"), str) else placeholder(r.address)
        name = v.get("name") if isinstance(v.get("name"), str) else pid
        self.b.org_policy(pid, name, ptype, v.get("content"), r.at("content"))
        self.b.locate(("organization", "policies", _sel_id(pid)), r.loc)

    def r_aws_organizations_policy_attachment(self, r: Res) -> None:
        pid, target = r.values.get("policy_id"), r.values.get("target_id")
        if not isinstance(pid, str) or not isinstance(target, str):
            self.b.unplaced(r.address, "the policy or target of this attachment is known only after apply")
            return
        self.b.org_attach(pid, target, r.loc)


def _arn(v: dict) -> str | None:
    arn = v.get("arn")
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def _sel_policy(name: str):
    from .locations import Sel
    return Sel("PolicyName", name)


def _sel_arn(arn: str):
    from .locations import Sel
    return Sel("Arn", arn)


def _sel_id(pid: str):
    from .locations import Sel
    return Sel("Id", pid)


def _owner(b: SnapshotBuilder) -> str:
    from .builder import owner_placeholder
    return owner_placeholder(b.account_id)


def _versioning_v3(ver: dict) -> dict:
    out: dict = {}
    enabled = ver.get("enabled")
    if isinstance(enabled, Unknown):
        out["Status"] = enabled
    elif enabled:
        out["Status"] = "Enabled"
    if ver.get("mfa_delete") is not None:
        m = ver["mfa_delete"]
        out["MFADelete"] = m if isinstance(m, Unknown) else "Enabled" if m else "Disabled"
    return out


def _website_v3(w: dict) -> dict:
    out: dict = {}
    if w.get("index_document"):
        out["IndexDocument"] = {"Suffix": w["index_document"]}
    if w.get("error_document"):
        out["ErrorDocument"] = {"Key": w["error_document"]}
    red = w.get("redirect_all_requests_to")
    if red:
        if isinstance(red, str) and "://" in red:
            proto, host = red.split("://", 1)
            out["RedirectAllRequestsTo"] = {"HostName": host, "Protocol": proto}
        else:
            out["RedirectAllRequestsTo"] = {"HostName": red}
    rules = w.get("routing_rules")
    if isinstance(rules, str) and rules:
        out["RoutingRules"] = json.loads(str(rules))
    return out


def _object_lock(ol: dict) -> Any:
    out: dict = {"ObjectLockEnabled": ol.get("object_lock_enabled") or "Enabled"}
    rule = _first(ol.get("rule"))
    if isinstance(rule, Unknown):
        return rule
    if rule:
        dr = _first(rule.get("default_retention"))
        if isinstance(dr, Unknown):
            return dr
        if dr:
            out["Rule"] = {"DefaultRetention": _pick(dr, (("mode", "Mode"), ("days", "Days"), ("years", "Years")))}
    return out


# --- entry points ------------------------------------------------------------------------------------------

def load_terraform_dir(directory: str, *, account_id: str = DEFAULT_ACCOUNT_ID,
                       var_values: dict | None = None) -> IacPart:
    """Read and evaluate the Terraform configuration in ``directory`` (see the module docstring)."""
    loader = DirLoader(directory, account_id, var_values)
    resources = loader.resources()
    builder = SnapshotBuilder("terraform", f"configuration {loader.shown}", account_id)
    Mapper(builder, loader.region, loader.default_tags).map_all(resources)
    for address, reason in loader.unplaced:
        builder.unplaced(address, reason)
    note_unknown_managed_policies(builder)
    snap = builder.finish()
    return IacPart(snap, set(builder.created_buckets))


# --- plans -------------------------------------------------------------------------------------------------

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


def _strip_keys(address: str) -> str:
    import re
    return re.sub(r"\[[^\]]*\]", "", address)


def _account_in(plan: dict) -> str | None:
    """The account a plan deploys to, when the plan shows it (the ARN of an IAM resource it already has)."""
    import re
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
    from ..fileio import parse_json, read_text
    file = str(path)
    text = read_text(path)
    plan = parse_json(text, file)
    _need(isinstance(plan, dict), "a Terraform plan is a JSON object", file, "")
    _need("format_version" in plan, "not a Terraform plan: missing `format_version`", file, "")
    _need("planned_values" in plan or "resource_changes" in plan,
          "not a Terraform plan: missing `planned_values` and `resource_changes`", file, "")
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
        dir_by_base.setdefault(_strip_keys(r.address), r)

    region: Any = Unknown("the provider's region is not set in the configuration")
    cfg = plan.get("configuration") or {}
    aws_provider = (cfg.get("provider_config") or {}).get("aws") or {}
    reg_expr = (aws_provider.get("expressions") or {}).get("region") or {}
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
    for i, rc in enumerate(plan.get("resource_changes") or []):
        _need(isinstance(rc, dict) and isinstance(rc.get("address"), str) and isinstance(rc.get("change"), dict),
              "a resource change needs `address` and `change`", file, f"/resource_changes/{i}")
        if rc.get("mode", "managed") == "managed":
            changes[rc["address"]] = rc

    planned: list[tuple[dict, str]] = []
    if isinstance(plan.get("planned_values"), dict) and plan["planned_values"].get("root_module") is not None:
        planned = list(_walk_modules(plan["planned_values"]["root_module"], file, "/planned_values/root_module"))
    seen: set[str] = set()
    records: list[tuple[str, str, str, dict, dict | None, bool]] = []
    for r, ptr in planned:
        _need(isinstance(r, dict) and isinstance(r.get("address"), str) and isinstance(r.get("type"), str),
              "a planned resource needs `address` and `type`", file, ptr)
        if r.get("mode", "managed") != "managed":
            continue
        rc = changes.get(r["address"])
        values = r.get("values") or {}
        unknown = None
        actions = ["no-op"]
        if rc is not None:
            ch = rc["change"]
            actions = ch.get("actions") or actions
            if isinstance(ch.get("after"), dict):
                values = ch["after"]
            unknown = ch.get("after_unknown")
        module = (rc or r).get("module_address", "")
        records.append((r["address"], r["type"], module + "." if module else "", values, unknown, "create" in actions))
        seen.add(r["address"])
    for address, rc in changes.items():  # changes planned_values does not list (rare, but be complete)
        ch = rc["change"]
        actions = ch.get("actions") or []
        if address in seen or actions == ["delete"] or not isinstance(ch.get("after"), dict):
            continue
        module = rc.get("module_address", "")
        records.append((address, rc.get("type", ""), module + "." if module else "", ch["after"],
                        ch.get("after_unknown"), "create" in actions))

    resources: list[Res] = []
    for address, rtype, module, values, unknown, created in records:
        vals = _inject_unknown(values, unknown, address) if unknown else dict(values)
        d = dir_res.get(address) or dir_by_base.get(_strip_keys(address))
        rel_address = address[len(module):] if module and address.startswith(module) else address
        conf = config_by_address.get(_strip_keys(module) + _strip_keys(rel_address)) or {}
        declared = set((conf.get("expressions") or {}).keys()) if conf else None
        if d is not None and declared is None:
            declared = set(d.values.keys())
        _fill_from_config(vals, d, conf, module, changes, dir_res, account_id, region)
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
        if d is not None:
            vals = _transplant_positions(vals, d.values)
        resources.append(Res(address, rtype, vals, d.loc if d else None, dict(d.key_pos) if d else {}, created,
                             module, why))

    builder = SnapshotBuilder("terraform", f"plan {file}", account_id, file)
    Mapper(builder, region).map_all(resources)
    note_unknown_managed_policies(builder)
    removals = _plan_removals(plan, changes, text, file, account_id, dir_loader, dir_res, dir_by_base)
    return IacPart(builder.finish(), set(builder.created_buckets), removals)


# Attributes that name another resource: when the plan leaves them unknown, references can tell them.
_REF_ATTRS = {"bucket": ("id", "bucket"), "role": ("name", "id"), "user": ("name", "id"), "group": ("name", "id"),
              "policy_arn": ("arn",), "policy_id": ("id",), "target_bucket": ("id", "bucket"),
              "access_point_arn": ("arn",)}


def _fill_from_config(vals: dict, d: Res | None, conf: dict, module: str, changes: dict, dir_res: dict,
                      account_id: str, region: Any) -> None:
    """Replace unknown values the configuration can tell: first from the evaluated directory, then from
    the plan's own references (``bucket = aws_s3_bucket.x.id`` -> that bucket's planned name)."""
    for key, value in list(vals.items()):
        if first_unknown(value) is None:
            continue
        if d is not None and key in d.values and first_unknown(d.values[key]) is None:
            vals[key] = d.values[key]
            continue
        if key in _REF_ATTRS:
            expr = (conf.get("expressions") or {}).get(key) or {}
            for ref in expr.get("references") or []:
                parts = ref.split(".")
                if len(parts) == 3 and parts[2] in _REF_ATTRS[key]:
                    target = changes.get(module + ".".join(parts[:2]))
                    if target is None:
                        continue
                    tvals = target["change"].get("after") or {}
                    tv = dict(tvals) if isinstance(tvals, dict) else {}
                    tu = target["change"].get("after_unknown") or {}
                    tv = _inject_unknown(tv, tu, target["address"]) if tu else tv
                    add_computed(target.get("type", ""), tv, target["address"], account_id, region)
                    got = tv.get(parts[2])
                    if isinstance(got, str):
                        vals[key] = got
                        break


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


# --- what a plan destroys -----------------------------------------------------------------------------------
#
# https://developer.hashicorp.com/terraform/internals/json-format (Change Representation): "actions" is
# ["no-op"], ["create"], ["read"], ["update"], ["delete", "create"] or ["create", "delete"] (replace),
# ["delete"], and since Terraform 1.7 ["forget"] (a `removed` block with `destroy = false`: Terraform stops
# managing the object and leaves it in place) and ["create", "forget"]. Terraform's own advice is to scan
# the list for "delete"; "forget" destroys nothing. The object deleted is the change's `before` value.

def _plan_removals(plan: dict, changes: dict[str, dict], text: str, file: str, account_id: str,
                   dir_loader: "DirLoader | None", dir_res: dict[str, Res], dir_by_base: dict[str, Res]) -> list:
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
    from .values import parse_json_with_positions
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
    d = dir_res.get(address) or dir_by_base.get(_strip_keys(address))
    if d is not None and d.loc is not None:
        return d.loc.as_json()
    base = _strip_keys(address)
    if dir_loader is not None and not module:
        block = dir_loader.root_cfg.resources.get(base)
        if block is not None:
            return block.loc.as_json()
    for key in (address, base):
        if key in removed_blocks:
            return removed_blocks[key].as_json()
    return None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _names(v: Any) -> list[str]:
    return [x for x in v if isinstance(x, str) and x] if isinstance(v, list) else []


def _entity_name(v: Any) -> str | None:
    """A role/user/group given by name, or by ARN where the provider accepts one."""
    v = _str(v)
    return v.rsplit("/", 1)[-1] if v and v.startswith("arn:") else v


# Split-out bucket resources and the bucket value their deletion takes away (see removals.py).
_BUCKET_SETTING = {
    "aws_s3_bucket_policy": "Policy", "aws_s3_bucket_public_access_block": "PublicAccessBlock",
    "aws_s3_bucket_ownership_controls": "OwnershipControls",
    "aws_s3_bucket_server_side_encryption_configuration": "Encryption", "aws_s3_bucket_versioning": "Versioning",
    "aws_s3_bucket_logging": "Logging", "aws_s3_bucket_lifecycle_configuration": "Lifecycle",
    "aws_s3_bucket_object_lock_configuration": "ObjectLock",
    "aws_s3_bucket_replication_configuration": "Replication", "aws_s3_bucket_website_configuration": "Website",
}


def removals_of(rtype: str, v: dict, address: str, account_id: str, location: dict | None) -> list:
    """What destroying one resource (its values before the plan: ``v``) takes away; see removals.py.

    Types s3audit does not map, and ``aws_s3_bucket_acl`` (whose delete leaves the ACL as it is), take away
    nothing."""
    from .removals import Removal

    def rm(kind: str, name: str | None, **kw) -> list:
        if not name:
            return []
        return [Removal(kind, name, kw.pop("account", account_id), address=address, location=location, **kw)]

    if rtype == "aws_s3_bucket":
        return rm("bucket", _str(v.get("bucket")) or _str(v.get("id")))
    if rtype in _BUCKET_SETTING:
        return rm("bucket-setting", _str(v.get("bucket")), detail=_BUCKET_SETTING[rtype])
    if rtype == "aws_s3_account_public_access_block":
        account = _str(v.get("account_id")) or account_id
        return [Removal("account-public-access-block", "", account, address=address, location=location)]
    if rtype == "aws_s3_access_point":
        return rm("access-point", _str(v.get("name")), account=_str(v.get("account_id")) or account_id)
    if rtype == "aws_s3control_access_point_policy":
        arn = _str(v.get("access_point_arn"))
        return rm("access-point-policy", arn.rsplit("/", 1)[-1] if arn else None)
    if rtype in ("aws_iam_role", "aws_iam_user", "aws_iam_group"):
        return rm("entity", _str(v.get("name")), entity=rtype[len("aws_iam_"):])
    for kind in ("role", "user", "group"):
        if rtype == f"aws_iam_{kind}_policy":
            pname = _str(v.get("name"))
            if pname is None and isinstance(v.get("id"), str) and ":" in v["id"]:
                pname = v["id"].split(":", 1)[1]  # the provider's id is "<entity>:<policy name>"
            return rm("inline-policy", _entity_name(v.get(kind)), entity=kind, detail=pname) if pname else []
        if rtype == f"aws_iam_{kind}_policy_attachment":
            arn = _str(v.get("policy_arn"))
            return rm("attachment", _entity_name(v.get(kind)), entity=kind, detail=arn) if arn else []
    if rtype == "aws_iam_policy_attachment":
        arn = _str(v.get("policy_arn"))
        if not arn:
            return []
        return [r for attr, kind in (("roles", "role"), ("users", "user"), ("groups", "group"))
                for n in _names(v.get(attr)) for r in rm("attachment", n, entity=kind, detail=arn)]
    if rtype == "aws_iam_policy":
        return rm("managed-policy", _str(v.get("arn")))
    if rtype == "aws_iam_group_membership":
        group = _str(v.get("group"))
        return [r for u in _names(v.get("users")) for r in rm("membership", u, detail=group)] if group else []
    if rtype == "aws_iam_user_group_membership":
        user = _str(v.get("user"))
        return [r for g in _names(v.get("groups")) for r in rm("membership", user, detail=g)]
    if rtype == "aws_organizations_policy":
        return rm("org-policy", _str(v.get("id")), account=None)
    if rtype == "aws_organizations_policy_attachment":
        pid, target = _str(v.get("policy_id")), _str(v.get("target_id"))
        return rm("org-attachment", pid, account=None, detail=target) if target else []
    return []
