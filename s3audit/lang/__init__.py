"""The rule language: text -> AST (``parse_rules``) -> checked (``check``) -> compiled and run (``evaluate``).

Imported lazily so that ``import s3audit.lang`` does not load Lark:

- ``parse_rules(text, path) -> RuleFile`` (raises ``RuleSyntaxError``)
- ``load_rules(paths, root=None) -> Program`` (reads files and their imports)
- ``check(files_or_program, params_schema=None) -> list[Diagnostic]``
- ``check_program(...) -> CheckResult`` (types, names, calls per node: what the evaluator compiles from)
- ``load_program(paths=None, params=None) -> CompiledProgram`` and ``run_rules(program, snapshot) -> RunResult``
  (``evaluate.py``; ``builtins.py`` answers the built-in functions, ``records.py`` is the model as rules see it)
"""
from __future__ import annotations

_LAZY = {
    "parse_rules": ("s3audit.lang.parse", "parse_rules"),
    "load_rules": ("s3audit.lang.load", "load_rules"),
    "check": ("s3audit.lang.check", "check"),
    "check_program": ("s3audit.lang.check", "check_program"),
    "CheckResult": ("s3audit.lang.check", "CheckResult"),
    "Program": ("s3audit.lang.program", "Program"),
    "Diagnostic": ("s3audit.lang.diagnostics", "Diagnostic"),
    "RuleSyntaxError": ("s3audit.lang.diagnostics", "RuleSyntaxError"),
    "load_program": ("s3audit.lang.evaluate", "load_program"),
    "run_rules": ("s3audit.lang.evaluate", "run_rules"),
    "RuleMeta": ("s3audit.lang.evaluate", "RuleMeta"),
    "RunResult": ("s3audit.lang.evaluate", "RunResult"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(name)
