"""The README shows what the commands print, and cannot drift from it again.

Every `$ s3audit ...` line of the README's console blocks is run, in order, in a folder that holds the
repository's fixtures (so relative paths read as in the README); the lines the README shows under it must be
what the command prints — all of them, in order, or, where the README writes `...` for lines left out, the
shown ones in order among them. `$ echo $?` checks the exit status of the command before. Its rule counts are
the packs' own.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import pytest

from s3audit.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```console\n(.*?)```", README, re.S)
# `rules check bad.s3r` in the README: the file it shows the error of
BAD_RULES = ('rule BAD-1 "Buckets are encrypted with KMS"\n  severity high\n  for bucket b\n'
             '  require b.encrypton.algorithm == "aws:kms"\n  message "{b.name} is not encrypted with KMS"\n')


def _commands(block: str) -> list[tuple[str, list[str]]]:
    """(command line, the output lines the README shows under it) of one console block."""
    out: list[tuple[str, list[str]]] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command.rstrip()[:-1] + " " + lines[i].strip()
            out.append((command, []))
        elif out:
            out[-1][1].append(line.rstrip())
        i += 1
    return out


def _normal(line: str) -> str:
    return re.sub(r"\bin \d+(\.\d+)?s\b", "in Ns", line.rstrip())  # how long `rules test` took


def _run(argv: list[str]) -> tuple[int, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    # as a terminal shows them: what the command says on standard error comes before its report
    return status, [_normal(x) for x in (err.getvalue() + out.getvalue()).splitlines()]


def _shown_in(shown: list[str], printed: list[str]) -> str | None:
    """Why the shown lines are not what was printed (None when they are)."""
    shown = [_normal(x) for x in shown]
    if "..." not in shown:
        return None if shown == printed else "the output differs"
    at = 0
    for line in shown:
        if line == "...":
            continue
        try:
            at = printed.index(line, at) + 1
        except ValueError:
            return f"not printed (or not in this order): {line!r}"
    return None


@pytest.fixture
def folder(tmp_path, monkeypatch):
    for name in ("fixtures", "rules", "policies", "s3audit"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    (tmp_path / "bad.s3r").write_text(BAD_RULES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def test_the_readme_has_console_examples():
    assert len(BLOCKS) >= 6 and sum(len(_commands(b)) for b in BLOCKS) >= 10


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_each_console_example_prints_what_the_readme_shows(folder, number):
    status = None
    for command, shown in _commands(BLOCKS[number]):
        argv = shlex.split(command, comments=True)
        if argv[:2] == ["echo", "$?"]:
            assert shown and status == int(shown[0]), f"`{command}` after the command before: exit {status}"
            continue
        if argv[0] != "s3audit":
            continue  # `terraform show ...`: the README names the fixture it stands for
        status, printed = _run(argv[1:])
        problem = _shown_in(shown, printed)
        assert problem is None, f"README: `{command}`: {problem}\nprinted:\n" + "\n".join(printed)


def test_the_rule_counts_are_the_packs_own(folder):
    from s3audit.lang.evaluate import load_program
    built_in = len(load_program().rules)
    counts = re.findall(r"`access-paths`; (\d+) rules\)", README)
    assert counts == [str(built_in)], "the README's count of the built-in packs' rules"
    examples = len(re.findall(r"^rule ", (ROOT / "rules" / "examples.s3r").read_text(), re.M))
    status, printed = _run(["rules", "check", "rules/"])
    assert printed[-1] == f"8 files, {built_in + examples} rules: no problems"
