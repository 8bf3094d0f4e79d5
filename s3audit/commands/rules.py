"""`s3audit rules ACTION`: work on rule files. `check PATH...` parses and checks them without running
anything: every problem is printed (stderr) as `file:line:column`, the line, a caret and one sentence;
the exit status is 2 if there is any error, else 0."""
from __future__ import annotations

import sys

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def run(args) -> int:
    if args.action == "check":
        return check(args)
    raise AssertionError(f"unknown rules action {args.action}")  # argparse allows only the registered ones


def check(args) -> int:
    from ..lang.check import check_program
    from ..lang.load import load_rules

    program = load_rules(args.paths, root=args.root)
    result = check_program(program)
    for d in result.diagnostics:
        print(d.render(), file=sys.stderr)
    errors = sum(1 for d in result.diagnostics if d.is_error)
    files = len(program.files) + len(program.failed)
    summary = f"{_n(files, 'file')}, {_n(len(result.rules), 'rule')}: "
    summary += f"{_n(errors, 'error')}" if errors else "no problems"
    if errors and any(d.code == "too-many-errors" for d in result.diagnostics):
        summary += " shown (more not shown)"
    print(summary, file=sys.stderr if errors else sys.stdout)
    return EXIT_BAD_INPUT if errors else EXIT_OK


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
