"""The files of a Terraform module directory: its blocks, override files merged in, and ``.tfvars`` values.

``read_module`` reads the ``.tf`` and ``.tf.json`` files of one directory into a ``ModuleConfig`` (blocks by
kind and name, nothing evaluated yet) and merges its override files into them as Terraform does;
``read_tfvars`` reads the variable values Terraform loads by itself. Evaluation is evaluate.py's.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError, Place
from ...fileio import read_text
from ..hcl import Attr, Block, EvalError, Resolver, Scope, evaluate, read_file
from ..values import Loc


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
    display = os.path.normpath(os.path.join(shown, path.name))
    if path.name.endswith(".tf.json"):
        from ..hcljson import read_config  # JSON syntax only when a module has it
        return list(read_config(read_text(path), display))
    return read_file(read_text(path), display)


def place_of(x: Block | Attr) -> Place:
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


def _top_level(item: Block | Attr) -> Block:
    if isinstance(item, Attr):
        raise InputError(f"unexpected attribute `{item.name}` at the top level of a configuration file", place_of(item))
    return item


def _resource_table(cfg: ModuleConfig, b: Block) -> tuple[dict[str, Block], str] | None:
    """The table of a `resource` or `data` block, and its key there ("type.name"); None for other blocks."""
    if b.type in ("resource", "data") and len(b.labels) == 2:
        return (cfg.resources if b.type == "resource" else cfg.data), ".".join(b.labels)
    return None


def _declare(cfg: ModuleConfig, item: Block | Attr) -> None:
    b = _top_level(item)
    if (found := _resource_table(cfg, b)) is not None:
        table, key = found
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
    b = _top_level(item)
    if (found := _resource_table(cfg, b)) is not None:
        table, key = found
        if key not in table:
            what = "resource" if b.type == "resource" else "data source"
            raise InputError(f"there is no {what} `{key}` for this override block to override", place_of(b))
        _no_depends_on(b)
        table[key] = merge_blocks(table[key], b, lifecycle=True)
    elif b.type in ("variable", "module", "output") and b.labels:
        table = {"variable": cfg.variables, "module": cfg.modules, "output": cfg.outputs}[b.type]
        name = b.labels[0]
        if name not in table:
            what = {"variable": "variable", "module": "module call", "output": "output"}[b.type]
            raise InputError(f"there is no {what} `{name}` for this override block to override", place_of(b))
        if b.type == "output":
            _no_depends_on(b)
        table[name] = merge_blocks(table[name], b)
    elif b.type == "locals":
        for name, attr in b.attrs.items():  # value by value, whichever locals block declared it
            if name not in cfg.locals:
                raise InputError(f"there is no local value `{name}` for this override to override", place_of(attr))
            cfg.locals[name] = attr
    elif b.type == "provider" and b.labels:
        alias = _alias(b)
        for i, p in enumerate(cfg.providers):
            if p.labels[0] == b.labels[0] and _alias(p) == alias:
                cfg.providers[i] = merge_blocks(p, b)
                return
        if alias is not None:
            raise InputError(f"there is no `{b.labels[0]}` provider configuration with the alias `{alias}` for this "
                             f"override block to override", place_of(b))
        cfg.providers.append(b)  # a default provider configuration may be overridden without one
    elif b.type in ("moved", "import"):
        raise InputError(f"`{b.type}` blocks cannot be in an override file", place_of(b))
    # `terraform` blocks (and block types s3audit does not read) change nothing s3audit reads


def _no_depends_on(b: Block) -> None:
    if "depends_on" in b.attrs:
        raise InputError("`depends_on` cannot be overridden", place_of(b.attrs["depends_on"]))


def _alias(b: Block) -> str | None:
    a = b.attrs.get("alias")
    if a is None:
        return None
    v = evaluate(a.expr, Scope(NoRefs(), a.src))
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
    from ..hcljson import read_values
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
                values[item.name] = evaluate(item.expr, Scope(NoRefs(), item.src))
    return values


class NoRefs(Resolver):
    """Evaluates constants: variable defaults, tfvars values, a provider's alias."""

    def root(self, name, scope, node):
        raise EvalError(f"`{name}` cannot be referenced here")

    def read_file(self, path, scope):
        raise EvalError("file() cannot be used here")

