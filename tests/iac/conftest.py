"""Helpers for the IaC reader tests: paths and positions are relative to the repository root, as in CI."""
from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def pos(path: str | Path, text: str, nth: int = 1) -> tuple[int, int]:
    """(line, column) of the nth occurrence of ``text`` in a file, both 1-based."""
    seen = 0
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            start = 0
            while (col := line.find(text, start)) >= 0:
                seen += 1
                if seen == nth:
                    return i, col + 1
                start = col + 1
    raise AssertionError(f"{text!r} not {nth} times in {path}")


def where(snapshot: dict, pointer: str) -> tuple[str, int, int]:
    loc = snapshot["locations"][pointer]
    return loc["file"], loc["line"], loc["column"]


def bucket(snapshot: dict, name: str) -> dict:
    return next(b for b in snapshot["accounts"][0]["s3"]["buckets"] if b["Name"] == name)


def role(snapshot: dict, name: str) -> dict:
    return next(r for r in snapshot["accounts"][0]["iam"]["RoleDetailList"] if r["RoleName"] == name)


def pointer_of(snapshot: dict, *path) -> str:
    """The JSON pointer of a bucket/role found by name: ("buckets", "x", "Policy")."""
    from s3audit.sources.locations import Sel, to_pointer
    kinds = {"buckets": ("s3", "buckets", "Name"), "roles": ("iam", "RoleDetailList", "RoleName")}
    a, b, field = kinds[path[0]]
    p = to_pointer(snapshot, ("accounts", 0, a, b, Sel(field, path[1])) + tuple(path[2:]))
    assert p is not None, f"{path} not in snapshot"
    return p


def valid(snapshot: dict) -> None:
    from s3audit.snapshot.load import snapshot_from_dict
    snapshot_from_dict(json.loads(json.dumps(snapshot)))


def check(*argv: str) -> tuple[int, list[dict], str]:
    """`s3audit check ... --format json` in process with the real rule packs: (exit status, findings, stderr)."""
    from s3audit.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([*argv, "--format", "json", "--today", "2026-11-26"])
    doc = json.loads(out.getvalue()) if out.getvalue().strip().startswith("{") else {"findings": []}
    return status, doc["findings"], err.getvalue()


def found(findings: list[dict], rule: str, subject: str | None = None, status: str = "open") -> list[tuple[str, int, int]]:
    """(file, line, column) of each finding of a rule (on a subject) with that status (open by default)."""
    return sorted((f["location"]["file"], f["location"]["line"], f["location"]["column"]) for f in findings
                  if f["rule"] == rule and f["status"] == status and (subject is None or f["subject"] == subject))


def write(tmp_path: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return os.fspath(tmp_path)


@pytest.fixture
def cli(capsys, at_root):
    """Run the command line in-process: (exit status, stdout, stderr)."""
    from s3audit.cli import main

    def run(*argv):
        status = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return status, out, err
    return run
