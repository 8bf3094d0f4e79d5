"""s3audit: policy-as-code compliance linter and auditor for S3 data access.

The public API (imported lazily so that ``import s3audit`` stays cheap):

- ``load_snapshot(path)`` -> ``Snapshot``
- ``Engine(snapshot)`` -> ``engine.decide(Request(...))`` -> ``Decision``
- ``load_rules(paths)`` -> ``Program``; ``check(program)`` -> diagnostics (``s3audit.lang``)
- ``load_program(paths=None, params=None)`` -> checked, compiled rules (None: the built-in packs);
  ``run_rules(program, snapshot)`` -> ``RunResult(findings, rules, packs)`` (``s3audit.lang.evaluate``)
- ``build_graph(snapshot)`` -> ``AccessGraph``; ``paths_to(graph, bucket, ...)`` / ``paths_from(graph, principals,
  ...)`` -> ``Path`` lists (``s3audit.graph``)
"""
from __future__ import annotations

__version__ = "0.1.0"

from .precompiled import install as _install_precompiled  # noqa: E402 - before any module defines a dataclass

_install_precompiled()

_LAZY = {
    "load_snapshot": ("s3audit.snapshot.load", "load_snapshot"),
    "Snapshot": ("s3audit.snapshot.model", "Snapshot"),
    "Engine": ("s3audit.iam.engine", "Engine"),
    "Request": ("s3audit.iam.engine", "Request"),
    "Decision": ("s3audit.iam.engine", "Decision"),
    "load_rules": ("s3audit.lang.load", "load_rules"),
    "parse_rules": ("s3audit.lang.parse", "parse_rules"),
    "check": ("s3audit.lang.check", "check"),
    "load_program": ("s3audit.lang.evaluate", "load_program"),
    "run_rules": ("s3audit.lang.evaluate", "run_rules"),
    "build_graph": ("s3audit.graph.build", "build_graph"),
    "AccessGraph": ("s3audit.graph.build", "AccessGraph"),
    "paths_to": ("s3audit.graph.paths", "paths_to"),
    "paths_from": ("s3audit.graph.paths", "paths_from"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(name)
