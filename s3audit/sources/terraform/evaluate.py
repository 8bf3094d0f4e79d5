"""Evaluating a Terraform configuration: the module tree, variables, locals, resources and data sources.

``DirLoader`` reads a root module (config.py), the local modules it calls and those ``terraform init``
downloaded (``.terraform/modules/modules.json``), and evaluates each module instance lazily
(``ModuleInstance``): a name is computed when first referenced, once, and a reference to itself is
unknown. ``count`` and ``for_each`` expand resources, data sources and module calls; values only apply
can tell are ``Unknown``. ``DirLoader.resources()`` lists every resource instance as a ``Res``.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterable

from ...errors import InputError
from ...fileio import read_text
from ..hcl import Block, EvalError, Namespace, Obj, Resolver, Scope, block_value, evaluate, to_number, to_string
from ..values import Loc, PDict, PList, PStr, Unknown, first_unknown
from .config import ModuleConfig, NoRefs, place_of, read_module, read_tfvars
from .resource import Res
from .resources import add_computed, read_data_source
from .variables import convert, type_constraint


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
                    return convert(evaluate(a.expr, Scope(NoRefs(), a.src)), vtype)
                except EvalError as exc:
                    # Terraform rejects the configuration; an override that changed the type or the default
                    # is where it went wrong (https://developer.hashicorp.com/terraform/language/files/override)
                    overridden = [x for x in (block.attrs.get("type"), a) if x is not None and x.loc.file != block.loc.file]
                    raise InputError(f"the default value of variable `{name}` does not match its type ({exc})",
                                     place_of(overridden[-1] if overridden else a)) from None
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

    def _each_instance(self, block: Block, key: str, one) -> Any:
        """``one(address, names)`` for each instance of a resource or data source (``key``, relative to this
        module): one value, a list (``count``), a map (``for_each``), or Unknown."""
        expansion = self._expand(block, key)
        if isinstance(expansion, Unknown):
            return expansion
        base = self.prefix + key
        if expansion is None:
            return one(base, {})
        if "count" in block.attrs:
            return PList(one(f"{base}[{i}]", names) for i, names in expansion.items())
        return PDict({k: one(f"{base}[{json.dumps(k)}]", names) for k, names in expansion.items()})

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

        return self._once(key, lambda: self._each_instance(block, key, one))

    def data(self, key: str) -> Any:
        if key not in self.cfg.data:
            raise EvalError(f"data source `data.{key}` is not declared")
        block = self.cfg.data[key]
        dtype = block.labels[0]

        def one(address: str, names: dict) -> Obj:
            scope = Scope(self, block.src, names)
            obj = block_value(block, scope, label=address)
            read_data_source(dtype, obj, address, self.loader.account_id, self.loader.region)
            return obj

        return self._once("data." + key, lambda: self._each_instance(block, "data." + key, one))

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
    parts = re.findall(r"module\.([^.\[]+)", prefix)
    return ".".join(parts + [name])
