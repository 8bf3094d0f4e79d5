"""The tool is safe to point at anything (issue 11, item 7): rule files are only rule files, and no error quotes a
line of another file; `-o` writes regular files atomically and refuses the rest; a full disk, a read-only folder
or a closed standard output is one line and exit 2; interrupted scans leave nothing that later runs keep, and an
index with a half-written entry is still read."""
from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


from .clirun import ROOT, cli, in_repository  # noqa: F401 (a fixture)

DAY1 = "s3audit/demo/estate.json"
DAY2 = "s3audit/demo/estate-day2.json"
SECRET = "root:$6$c2VjcmV0$aGFzaA:19000:0:99999:7:::"  # a line that must never be shown


pytestmark = pytest.mark.usefixtures("in_repository")


# ---- rule files are rule files ----

def test_a_profile_names_only_rule_files_of_its_folder_or_the_built_in_packs(capsys, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text(SECRET + "\n")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "mine.s3r").write_text((ROOT / "tests/fuzz/corpus/rules/extra.s3r").read_text())
    (tmp_path / "policies" / "link.s3r").symlink_to(secret)
    (tmp_path / "outside.s3r").write_text("rule X\n")
    cases = {
        f"[{secret}]": (2, 14, "is not a rule file (rule files end in `.s3r`)"),
        "[../shadow]": (2, 14, "is not a rule file"),
        "[link.s3r]": (2, 14, "links to a file that is not a rule file"),
        "[../outside.s3r]": (2, 14, "is outside the profile's folder and the built-in packs"),
        "[missing.s3r]": (2, 14, "rule file `"),
    }
    for value, (line, column, what) in cases.items():
        profile = tmp_path / "policies" / "p.yaml"
        profile.write_text(f"profile: p\nrule_files: {value}\n")
        status, out, err = cli(capsys, "check", DAY1, "--profile", profile)
        assert status == 2 and out == "" and SECRET not in err and "c2VjcmV0" not in err
        assert err.startswith(f"s3audit: {profile}:{line}:{column}: ") and what in err, err
    profile.write_text("profile: p\nrule_files: [mine.s3r, ../s3audit/rules/hygiene.s3r]\n")
    (tmp_path / "s3audit").symlink_to(ROOT / "s3audit")  # the built-in packs, through the profile's path
    status, out, err = cli(capsys, "check", DAY1, "--profile", profile, "--format", "json", "--fail-on", "never")
    assert status == 0, err
    assert "FUZZ-1" in {r["id"] for r in json.loads(out)["rules"]}


@pytest.mark.parametrize("argv", [["rules", "check", "{f}"], ["check", DAY1, "--rules", "{f}"],
                                  ["rules", "test", "{f}"]])
def test_an_error_never_quotes_a_file_that_is_not_a_rule_file(capsys, tmp_path, argv):
    secret = tmp_path / "shadow"
    secret.write_text(SECRET + "\n")
    link = tmp_path / "looks-like.s3r"
    link.symlink_to(secret)
    for f in (secret, link):
        status, out, err = cli(capsys, *[a.format(f=f) for a in argv])
        assert status == 2 and SECRET not in out + err, err
        assert "not a rule file" in err


def test_a_directory_without_rule_files_is_not_an_empty_pass(capsys, tmp_path):
    status, _, err = cli(capsys, "rules", "check", tmp_path)
    assert status == 2 and f"{tmp_path}: no rule files" in err


# ---- -o writes regular files, atomically ----

def _device(tmp_path) -> Path:
    """A character device to point -o at: a copy of /dev/full's node where we may make one (root), else
    /dev/full itself (which an unprivileged process cannot replace)."""
    if os.geteuid() == 0:
        node = tmp_path / "full"
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        return node
    return Path("/dev/full")


@pytest.mark.parametrize("kind", ["symlink", "fifo", "device", "directory"])
@pytest.mark.parametrize("command", ["check", "report", "diff", "scan"])
def test_o_refuses_what_is_not_a_regular_file_and_leaves_it_alone(capsys, tmp_path, kind, command):
    target = tmp_path / "out.json"
    keep = tmp_path / "kept.txt"
    keep.write_text("keep me\n")
    if kind == "symlink":
        target.symlink_to(keep)
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        target = _device(tmp_path)
    before = os.lstat(target)
    argv = {"check": ["check", DAY1, "-o", f"json={target}"], "report": ["report", DAY1, "-o", target],
            "diff": ["diff", DAY1, DAY2, "-o", f"json={target}"],
            "scan": ["scan", "--history", tmp_path / "h", "--snapshot", DAY1, "-o", f"json={target}"]}[command]
    status, out, err = cli(capsys, *argv)
    assert status == 2 and out == ""
    assert err.strip().startswith(f"s3audit: {target}: is ") and len(err.strip().splitlines()) == 1, err
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)  # not replaced
    assert keep.read_text() == "keep me\n"
    assert not [n for n in os.listdir(target.parent) if n.endswith(".tmp")]


def test_a_full_disk_or_a_read_only_folder_is_one_line(capsys, tmp_path, monkeypatch):
    from s3audit import fileio
    for code in (errno.ENOSPC, errno.EROFS, errno.EACCES):
        def refuse(*a, **k):
            raise OSError(code, os.strerror(code))
        monkeypatch.setattr(fileio.os, "fsync", refuse)
        out_file = tmp_path / "findings.json"
        status, out, err = cli(capsys, "check", DAY1, "-o", f"json={out_file}")
        assert status == 2 and err.strip() == f"s3audit: {out_file}: cannot write: {os.strerror(code).lower()}"
        assert not out_file.exists() and os.listdir(tmp_path) == []  # no partial file, no temporary file


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_for_real(capsys, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        status, _, err = cli(capsys, "report", DAY1, "-o", folder / "audit.html")
        assert status == 2 and "cannot write: permission denied" in err
    finally:
        folder.chmod(0o755)


def test_a_full_or_closed_standard_output(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    full = subprocess.run(f"{sys.executable} -m s3audit check {DAY1} > /dev/full", shell=True, capture_output=True,
                          text=True, cwd=ROOT, env=env)
    assert full.returncode == 2
    assert full.stderr == "s3audit: cannot write to standard output: no space left on device\n"
    closed = subprocess.run(f"{sys.executable} -m s3audit check {DAY1} >&-", shell=True, capture_output=True,
                            text=True, cwd=ROOT, env=env)
    assert closed.returncode == 2 and closed.stderr == "s3audit: cannot write to standard output: it is closed\n"
    # nothing is asked of a closed standard output when every report goes to a file
    ok = subprocess.run(f"{sys.executable} -m s3audit check {DAY1} -o json={tmp_path / 'f.json'} >&-", shell=True,
                        capture_output=True, text=True, cwd=ROOT, env=env)
    assert ok.returncode == 1 and (tmp_path / "f.json").exists()


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    from s3audit import fileio

    def interrupt(fd):
        raise KeyboardInterrupt
    monkeypatch.setattr(fileio.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fileio.write_atomic(tmp_path / "report.html", "<html>")
    assert os.listdir(tmp_path) == []


# ---- interrupted scans, half-written indexes ----

def test_a_scan_removes_what_a_killed_run_left_behind(capsys, tmp_path):
    history = tmp_path / "history"
    status, _, err = cli(capsys, "scan", "--history", history, "--snapshot", DAY1, "--format", "json", "-o",
                         f"json={tmp_path / 'd.json'}")
    run = history / "2026-11-24T020000Z"
    left = [history / ".collecting.abc123.json.gz", history / ".collecting.abc123.json.gz.partial",
            history / ".index.json.x1y2.tmp", run / ".findings.json.q9.tmp"]
    for f in left:
        f.write_text("half")
    status, _, err = cli(capsys, "scan", "--history", history, "--snapshot", DAY2, "-o", f"json={tmp_path / 'd.json'}")
    assert status in (0, 1)
    assert not any(f.exists() for f in left)
    assert all(f"warning: removed {f}, left behind by an interrupted run" in err for f in left)
    assert f"wrote {history / '2026-11-25T020000Z'}{os.sep} (" in err


def test_history_and_scan_read_an_index_with_a_half_written_entry(capsys, tmp_path):
    history = tmp_path / "history"
    for day in (DAY1, DAY2):
        assert cli(capsys, "scan", "--history", history, "--snapshot", day, "-o", f"json={tmp_path / 'd.json'}")[0] != 2
    index = history / "index.json"
    text = index.read_text()
    cut = text.rindex('"taken_at_utc"')  # inside the last entry
    index.write_text(text[:cut])
    status, out, err = cli(capsys, "history", history)
    assert status == 0 and "(1 run; 2026-11-24 .. 2026-11-24)" in out
    assert f"warning: {index}:" in err and "ends inside an entry" in err and "the 1 complete entry before it" in err
    # the next scan compares with the complete run, and rewrites a whole index
    status, out, err = cli(capsys, "scan", "--history", history, "--snapshot", DAY2, "--format", "json")
    assert status in (0, 1) and json.loads(out)["snapshot"]["previous"] == "2026-11-24T02:00:00Z"
    assert len(json.loads(index.read_text())["runs"]) == 2
    # an entry that lacks what an entry holds is left out too, with its place
    data = json.loads(index.read_text())
    data["runs"][0].pop("total")
    index.write_text(json.dumps(data))
    status, out, err = cli(capsys, "history", history)
    assert status == 0 and f"{index}: at /runs/0: left out of the history: `total` is missing" in err


@pytest.mark.parametrize("name", ["findings\u0000.json", "../../elsewhere.json", "/etc/passwd", ".."])
def test_an_index_entry_naming_files_outside_its_run_is_left_out(capsys, tmp_path, name):
    # a run's files are plain names in its folder: an edited index that names a path elsewhere, or a name no
    # file system takes, loses its entry (a warning with its place), never a traceback or a read outside
    history = tmp_path / "history"
    assert cli(capsys, "scan", "--history", history, "--snapshot", DAY1, "-o", f"json={tmp_path / 'd.json'}")[0] != 2
    index = history / "index.json"
    data = json.loads(index.read_text())
    data["runs"][0]["files"]["findings"] = name
    index.write_text(json.dumps(data))
    status, out, err = cli(capsys, "scan", "--history", history, "--snapshot", DAY2, "--format", "json")
    assert status in (0, 1), err
    assert f"{index}: at /runs/0: left out of the history: `files` is not an object of file names" in err
    assert json.loads(out)["snapshot"]["previous"] is None  # compared with nothing: every finding is new


def test_a_file_written_in_pieces_is_whole_or_not_there(tmp_path, monkeypatch):
    """``write_atomic_pieces`` (the reports a night writes as they are rendered): the file is the pieces' text and
    its digest is of the bytes written; when writing fails part way, or making the pieces does, the file that
    was there stays as it was and no part of the new one is left. A failure to write is the file's (an
    OutputError naming it); what making the pieces raises is raised as it is, even an OSError."""
    import hashlib

    from s3audit import fileio
    from s3audit.errors import OutputError
    target = tmp_path / "findings.json"
    digest = fileio.write_atomic_pieces(target, iter(["{", "\"é\": ", "[1, 2]", "}\n"]), hashed=True)
    assert target.read_bytes() == '{"é": [1, 2]}\n'.encode("utf-8")
    assert digest == hashlib.sha256(target.read_bytes()).hexdigest()
    assert fileio.write_atomic_pieces(target, iter(["same"])) is None and target.read_text() == "same"

    def failing(exc):
        yield "half of a new file"
        raise exc
    for exc in (OSError(2, "No such file or directory"), ValueError("a bug")):
        with pytest.raises(type(exc)) as raised:
            fileio.write_atomic_pieces(target, failing(exc), hashed=True)
        assert raised.value is exc
        assert target.read_text() == "same" and sorted(os.listdir(tmp_path)) == ["findings.json"]
    real = fileio.write_all

    def full_disk(fd, raw):
        real(fd, raw[:3])
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(fileio, "write_all", full_disk)
    with pytest.raises(OutputError, match="no space left on device"):
        fileio.write_atomic_pieces(target, iter(["a new file, ", "in two pieces"]))
    assert target.read_text() == "same" and sorted(os.listdir(tmp_path)) == ["findings.json"]


def test_a_report_named_gz_is_compressed_whichever_way_it_is_written(tmp_path):
    """A name ending in .gz gets the text compressed (``write_atomic``): the same bytes from the pieces."""
    import gzip

    from s3audit import fileio
    fileio.write_atomic(tmp_path / "whole.json.gz", '{"a": "é"}\n')
    fileio.write_atomic_pieces(tmp_path / "pieces.json.gz", iter(['{"a": ', '"é"}\n']))
    assert (tmp_path / "pieces.json.gz").read_bytes() == (tmp_path / "whole.json.gz").read_bytes()
    assert gzip.decompress((tmp_path / "pieces.json.gz").read_bytes()) == '{"a": "é"}\n'.encode("utf-8")
