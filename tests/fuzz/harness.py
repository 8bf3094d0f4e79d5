"""One harness for hostile inputs: generated bad files of every kind s3audit reads, run through the command line.

An input kind is an ``InputKind``: how its file is named, a hypothesis strategy of ``Case`` values (the bytes
of a file and whether they are certainly unacceptable), the command lines that read such a file, and how many
cases a run draws. ``test_generated_inputs.py`` runs every kind registered in ``KINDS``; a new kind (Terraform,
CloudFormation, plans) is one ``register(InputKind(...))`` in a module that ``KIND_MODULES`` lists.

What every case must show (``check_outcome``), whatever it holds:

- the exit status is 0, 1 or 2 — never 3 (an internal error), never a traceback;
- a case marked ``bad`` exits 2: an input that could not be read is never a pass;
- an exit 2 names the file on the first line of standard error, in one line (rule files add the line they
  quote), and leaves nothing behind: no report written, nothing on standard output.
"""
from __future__ import annotations

import contextlib
import importlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hypothesis import strategies as st

from s3audit.cli import main

# modules that register input kinds (IaC kinds: add theirs here)
KIND_MODULES = ("tests.fuzz.kinds", "tests.fuzz.kind_cloudformation")


@dataclass(frozen=True)
class Case:
    data: bytes
    bad: bool  # certainly not acceptable: the run must exit 2
    note: str = ""  # what was done to the base input (shown when the case fails)


@dataclass(frozen=True)
class InputKind:
    name: str
    suffix: str  # the file's name ends so (the commands classify some files by name)
    cases: st.SearchStrategy  # of Case
    # the command lines that read the file: argv from (the file, the work folder, the report file to write)
    commands: tuple[Callable[[Path, Path, Path], list[str]], ...]
    examples: int  # cases per run
    quotes_lines: bool = False  # its errors may quote the offending line under the first (rule files)
    prepare: Callable[[Path], None] | None = None  # fills the work folder once (files the input refers to)


KINDS: dict[str, InputKind] = {}


def register(kind: InputKind) -> InputKind:
    KINDS[kind.name] = kind
    return kind


def load_kinds() -> dict[str, InputKind]:
    for module in KIND_MODULES:
        importlib.import_module(module)
    return KINDS


@dataclass
class Outcome:
    status: int
    out: str
    err: str
    argv: list[str] = field(default_factory=list)


def run_cli(argv: list[str]) -> Outcome:
    """The command line in-process (as `s3audit ARGV` runs it), with its two outputs."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            status = exc.code if isinstance(exc.code, int) else 2
    return Outcome(status, out.getvalue(), err.getvalue(), argv)


def check_outcome(kind: InputKind, case: Case, path: Path, report: Path, outcome: Outcome) -> None:
    where = f"{kind.name} ({case.note}): s3audit {' '.join(outcome.argv)}"
    assert "Traceback" not in outcome.err, f"{where}: a traceback\n{outcome.err[-3000:]}"
    assert outcome.status in (0, 1, 2), f"{where}: exit {outcome.status}\n{outcome.err[-2000:]}"
    if case.bad:
        assert outcome.status == 2, f"{where}: an unacceptable input passed with exit {outcome.status}"
    if outcome.status == 2:
        lines = outcome.err.strip().splitlines()
        assert lines, f"{where}: exit 2 without a message"
        assert str(path) in lines[0], f"{where}: the message does not name the file: {lines[0]!r}"
        if not kind.quotes_lines:
            assert len(lines) == 1, f"{where}: more than one line:\n{outcome.err}"
        assert not report.exists(), f"{where}: a report was written for an input that could not be read"
        assert outcome.out == "", f"{where}: output on stdout for an input that could not be read"
