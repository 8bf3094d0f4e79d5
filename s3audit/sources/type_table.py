"""A table from a resource type to the function that handles it, shared by the IaC readers.

Each reader keeps one table per job (Terraform: mapping to the snapshot, computed attributes, what
destroying a resource takes away, data sources; CloudFormation: mapping), and the modules that know a
family of resource types fill them, one decorated function per type or per family, so that adding a type
touches no central function::

    @MAPS.register("aws_kms_key", stage=0)
    def aws_kms_key(m, r): ...

``stage`` orders the mapping: resources that others refer to (buckets, IAM entities, keys) map before the
resources that attach to them; within a stage, the reader's own order holds (the order of the input, or of
registration). A type ending in ``*`` is a prefix: it handles every type that starts with it and has no
entry of its own.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

LAST = 1  # the default stage, unless a table says otherwise: after what other resources refer to


class TypeTable:
    def __init__(self, what: str, default_stage: int = LAST):
        self.what = what  # what the functions do, named in errors
        self.default_stage = default_stage
        self._fns: dict[str, Callable[..., Any]] = {}
        self._prefixes: list[tuple[str, Callable[..., Any]]] = []
        self._stages: dict[str, int] = {}  # by type, or by prefix with its `*`

    def register(self, *rtypes: str, stage: int | None = None) -> Callable[[F], F]:
        """Decorate the function that handles ``rtypes``; a type registered twice is a programming error."""
        def add(fn: F) -> F:
            for rtype in rtypes:
                if rtype in self._fns or rtype in self._stages:
                    raise ValueError(f"{self.what} of `{rtype}` is registered twice")
                if rtype.endswith("*"):
                    self._prefixes.append((rtype[:-1], fn))
                    self._prefixes.sort(key=lambda p: -len(p[0]))  # the longest prefix wins
                else:
                    self._fns[rtype] = fn
                self._stages[rtype] = self.default_stage if stage is None else stage
            return fn
        return add

    def get(self, rtype: str) -> Callable[..., Any] | None:
        fn = self._fns.get(rtype)
        if fn is None:
            fn = next((f for p, f in self._prefixes if rtype.startswith(p)), None)
        return fn

    def __contains__(self, rtype: str) -> bool:
        return self.get(rtype) is not None

    def stage(self, rtype: str) -> int:
        if rtype in self._stages:
            return self._stages[rtype]
        prefix = next((p for p, _ in self._prefixes if rtype.startswith(p)), None)
        return self._stages[prefix + "*"] if prefix is not None else self.default_stage

    def types(self) -> list[str]:
        """The exact types, by stage, then in the order they were registered."""
        return sorted(self._fns, key=self.stage)

    def in_stages(self, items: Iterable[Any], type_of: Callable[[Any], str]) -> list[Any]:
        """``items`` by the stage of their type, keeping their order within a stage."""
        return sorted(items, key=lambda x: self.stage(type_of(x)))
