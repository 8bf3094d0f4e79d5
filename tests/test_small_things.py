"""The small things a new user trips on (issue 11, item 11), each held by a test. (The README's examples and
counts: tests/test_readme.py; docs/reports.md's example profile: tests/report/test_profile.py; the demo's ARNs:
tests/test_demo_command.py.)"""
from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest

from s3audit.cli import build_parser, main

from .clirun import ROOT, cli, in_repository  # noqa: F401 (a fixture)

DAY1 = "s3audit/demo/estate.json"


pytestmark = pytest.mark.usefixtures("in_repository")


def _help(command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return " ".join(sub.format_help().split())


def test_report_fail_on_does_what_its_help_says(capsys, tmp_path):
    text = _help("report")
    assert "Given, the command fails (exit 1) when an open finding is at or above it" in text
    assert "without it, the report is written and the exit status is 0 whatever it finds" in text
    page = tmp_path / "audit.html"
    status, _, err = cli(capsys, "report", DAY1, "--profile", "pci", "-o", page)
    assert status == 0 and page.exists() and "FAIL: 4 at or above medium" in err  # no --fail-on: the page only
    assert cli(capsys, "report", DAY1, "--profile", "pci", "-o", page, "--fail-on", "medium")[0] == 1
    assert cli(capsys, "report", DAY1, "--profile", "pci", "-o", page, "--fail-on", "never")[0] == 0
    assert cli(capsys, "report", DAY1, "--profile", "pci", "-o", page, "--fail-on", "critical")[0] == 1


def test_one_name_for_the_aws_profile_in_collect_and_scan():
    for command in ("collect", "scan"):
        assert "--aws-profile NAME AWS profile for the starting credentials" in _help(command)
    assert "--profile" not in _help("collect")  # the old name still works, out of sight
    parser = build_parser()
    for option in ("--aws-profile", "--profile"):
        args = parser.parse_args(["collect", "-o", "s.json", option, "audit"])
        assert args.aws_profile == "audit"
    args = parser.parse_args(["scan", "--history", "h", "--aws-profile", "audit", "--profile", "pci"])
    assert (args.aws_profile, args.profile) == ("audit", "pci")
    # the other collection options are spelt alike too
    for option in ("--region", "--role-name", "--role-arn", "--accounts", "--organization", "--endpoint-url",
                   "--workers"):
        assert option in _help("collect") and option in _help("scan")


def test_scan_says_where_it_wrote_the_run(capsys, tmp_path):
    status, _, err = cli(capsys, "scan", "--history", tmp_path / "h", "--snapshot", DAY1, "-o",
                         f"text={tmp_path / 'new.txt'}")
    run = tmp_path / "h" / "2026-11-24T020000Z"
    assert err.splitlines()[0] == (f"wrote {run}{os.sep} (snapshot.json.gz, findings.json, diff.json, access.json, "
                                   f"summary.txt, summary.md, report.html, findings.sarif) and "
                                   f"{tmp_path / 'h' / 'index.json'}")
    assert err.splitlines()[1].startswith(f"wrote {tmp_path / 'new.txt'}; summary: 100 new findings")


def test_check_and_report_end_with_wrote_file(capsys, tmp_path):
    status, out, err = cli(capsys, "check", DAY1, "-o", tmp_path / "a.sarif", "-o", tmp_path / "b.md")
    assert out == "" and err.strip() == (f"wrote {tmp_path / 'a.sarif'}, {tmp_path / 'b.md'}; summary: 100 findings "
                                         f"(3 critical, 26 high, 46 medium, 25 low); 7 unknown; FAIL: 29 at or above high")
    status, out, err = cli(capsys, "check", DAY1, "--format", "text", "-o", f"json={tmp_path / 'c.json'}")
    assert out.splitlines()[-1].startswith("summary: ") and err.strip() == f"wrote {tmp_path / 'c.json'}"
    status, out, err = cli(capsys, "report", DAY1, "-o", tmp_path / "r.html")
    assert err.startswith(f"wrote {tmp_path / 'r.html'}; summary: ")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_once_a_run_is_long_and_is_erased():
    from s3audit.progress import Progress
    screen = _Terminal()
    with Progress("check", screen, delay=0.05) as p:
        p.stage("running the rules")
        time.sleep(0.3)
    text = screen.getvalue()
    assert "s3audit check: running the rules… 0 s" in text
    assert text.endswith("\r\x1b[K")  # erased: what follows starts on a clean line
    quick = _Terminal()
    with Progress("check", quick, delay=5):
        pass
    assert quick.getvalue() == ""  # a run that ends within the delay shows nothing
    piped = io.StringIO()
    with Progress("check", piped, delay=0):
        time.sleep(0.1)
    assert piped.getvalue() == ""  # not a terminal: nothing


@pytest.mark.parametrize("argv", [["check", DAY1], ["report", DAY1, "-o", "{tmp}/r.html"],
                                  ["scan", "--history", "{tmp}/h", "--snapshot", DAY1]])
def test_check_scan_and_report_show_progress_on_a_terminal(monkeypatch, capsys, tmp_path, argv):
    import sys

    from s3audit import progress
    monkeypatch.setattr(progress, "DELAY", 0.0)
    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    main([a.format(tmp=tmp_path) for a in argv])
    assert f"\r\x1b[Ks3audit {argv[0]}: " in screen.getvalue()
    monkeypatch.setenv("S3AUDIT_NO_PROGRESS", "1")
    screen.seek(0)
    screen.truncate()
    main([a.format(tmp=tmp_path) for a in argv])
    assert "s3audit check:" not in screen.getvalue() and "\x1b[K" not in screen.getvalue()
