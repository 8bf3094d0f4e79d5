"""Standard output takes a report already encoded as UTF-8 (a scan's diff.json, hundreds of megabytes on a large
estate) straight onto its byte stream when the text layer would write those very bytes, and as text otherwise:
what a reader of standard output gets is the same either way."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from s3audit import cli
from s3audit.errors import OutputError

from .clirun import ROOT

TEXT = 'before {"name": "caf\u00e9 \u2013 \U0001F512"}\n'


def _stream(encoding: str) -> tuple[io.BytesIO, io.TextIOWrapper]:
    raw = io.BytesIO()
    return raw, io.TextIOWrapper(raw, encoding=encoding, errors="backslashreplace", newline=None)


def test_utf8_bytes_go_beneath_the_text_layer_after_what_it_holds(monkeypatch):
    raw, text = _stream("utf-8")
    monkeypatch.setattr(sys, "__stdout__", text)  # the process's own standard output
    out = cli._Stdout(text)
    out.write("first line\n")  # held by the text layer until flushed: it must come first
    as_text = []
    out.write = as_text.append  # (what write_utf8 would hand to the text layer)
    out.write_utf8(TEXT.encode("utf-8"))
    assert as_text == []  # the bytes went beneath it
    del out.write
    out.write("last\n")
    out.flush()
    assert raw.getvalue() == ("first line\n" + TEXT + "last\n").encode("utf-8")


def test_a_stream_that_is_not_the_process_s_own_gets_text_with_its_line_ends():
    """A standard output replaced by whoever runs ``main`` (its line ends are its own) is written as text."""
    raw = io.BytesIO()
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="\r\n")
    cli._Stdout(text).write_utf8(b"a\nb\n")
    text.flush()
    assert raw.getvalue() == b"a\r\nb\r\n"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_another_encoding_gets_the_text_as_the_text_layer_writes_it(encoding):
    raw, text = _stream(encoding)
    cli._Stdout(text).write_utf8(TEXT.encode("utf-8"))
    text.flush()
    expected_raw, expected = _stream(encoding)
    cli._Stdout(expected).write(TEXT)
    expected.flush()
    assert raw.getvalue() == expected_raw.getvalue()
    assert b"\\u2013" in raw.getvalue() or b"\\xe9" in raw.getvalue()  # escaped, not lost


def test_a_closed_reader_is_an_output_error(monkeypatch):
    class Closed(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            raise BrokenPipeError(32, "Broken pipe")

    text = io.TextIOWrapper(io.BufferedWriter(Closed()), encoding="utf-8")
    monkeypatch.setattr(sys, "__stdout__", text)
    with pytest.raises(OutputError, match="closed it before everything was written"):
        cli._Stdout(text).write_utf8(b"x" * 100_000)


def test_a_scan_s_json_on_standard_output_is_diff_json_byte_for_byte(tmp_path):
    history = tmp_path / "h"
    done = subprocess.run([sys.executable, "-m", "s3audit", "scan", "--history", str(history), "--snapshot",
                           "fixtures/demo/estate.json", "--format", "json", "--report-format", "text"],
                          cwd=ROOT, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                             "PYTHONIOENCODING": "utf-8"}, timeout=300)
    assert done.returncode in (0, 1), done.stderr.decode("utf-8", "replace")[-2000:]
    [run] = [p for p in history.iterdir() if p.is_dir()]
    assert done.stdout == (run / "diff.json").read_bytes()
    assert done.stdout.startswith(b"{") and len(done.stdout) > 1000


def test_a_full_standard_output_is_an_output_error_not_a_traceback(tmp_path):
    done = subprocess.run(f"{sys.executable} -m s3audit scan --history {tmp_path / 'h'} --snapshot "
                          "fixtures/demo/estate.json --format json --report-format text > /dev/full", shell=True,
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "s3audit: cannot write to standard output: no space left on device"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_a_report_written_to_a_file_as_it_is_rendered_is_what_standard_output_gets(tmp_path, fmt):
    """A file output is written a piece at a time (``render_pieces``), standard output whole: the same bytes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    out = tmp_path / f"report.{fmt}"
    argv = [sys.executable, "-m", "s3audit", "check", "fixtures/demo/estate.json", "--today", "2026-12-01"]
    to_file = subprocess.run(argv + ["--format", fmt, "-o", str(out)], cwd=ROOT, capture_output=True, env=env,
                             timeout=300)
    to_stdout = subprocess.run(argv + ["--format", fmt], cwd=ROOT, capture_output=True, env=env, timeout=300)
    assert to_file.returncode == to_stdout.returncode == 1, to_file.stderr[-2000:]
    assert out.read_bytes() == to_stdout.stdout and len(to_stdout.stdout) > 10_000
