"""The ``s3audit`` program (the console script and ``python -m s3audit``) is ``main`` followed by an exit that
does not make the interpreter's shutdown walk every live object again (``cli.run_as_program``): same output,
same exit status, and the collector's objects frozen just before the exit."""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tomllib

import pytest

from s3audit import cli

from .clirun import ROOT


def test_the_console_script_and_python_m_run_as_program():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        assert tomllib.load(fh)["project"]["scripts"] == {"s3audit": "s3audit.cli:run_as_program"}
    with open(os.path.join(ROOT, "s3audit", "__main__.py"), encoding="utf-8") as fh:
        assert "run_as_program()" in fh.read()


@pytest.mark.parametrize("status", [0, 1, 2, 3])
def test_the_exit_status_is_main_s_and_the_live_objects_are_frozen_first(monkeypatch, status):
    monkeypatch.setattr(cli, "main", lambda argv=None: status)
    try:
        with pytest.raises(SystemExit) as done:
            cli.run_as_program()
        assert done.value.code == status
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the suite's own process goes on


def test_a_pre_merge_check_run_as_a_program_writes_what_main_writes(tmp_path, capsys):
    out = tmp_path / "f.json"
    done = subprocess.run([sys.executable, "-m", "s3audit", "check", "--terraform", "fixtures/terraform/v4-public-policy",
                           "--format", "json", "-o", str(out), "--today", "2026-12-01"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    mine = tmp_path / "g.json"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        status = cli.main(["check", "--terraform", "fixtures/terraform/v4-public-policy", "--format", "json", "-o",
                           str(mine), "--today", "2026-12-01"])
    finally:
        os.chdir(cwd)
    assert done.returncode == status == 1
    strip = lambda d: {k: v for k, v in d.items() if k not in ("taken_at", "snapshot")}  # noqa: E731  (the time of the run)
    assert strip(json.loads(out.read_text())) == strip(json.loads(mine.read_text()))
