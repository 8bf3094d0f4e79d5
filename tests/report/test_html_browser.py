"""The HTML report in a real browser: headless Chromium renders `s3audit report`'s page offline, the DOM
has every section, the screenshot is not blank, and the console stays silent (a request to the network
would be a Content-Security-Policy error there). Skipped when no Chromium is installed (.ci/run installs
it where apt is available)."""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from .conftest import DAY1

pytestmark = pytest.mark.usefixtures("fake_rules")
SECTIONS = ("summary", "findings", "paths", "waivers", "rules", "provenance")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


BROWSER = chromium()
needs_browser = pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed")


def browse(page: str, *extra: str) -> tuple[str, list[str]]:
    """Open a local page headless with no network; (stdout, console messages)."""
    proc = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--enable-logging=stderr", "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND", *extra,
         f"file://{os.path.abspath(page)}"],
        capture_output=True, text=True, timeout=90)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def png_size_and_colours(path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the pixel data (a blank page has ~2)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from s3audit import audit
    from s3audit.cli import main
    from .fakes import fake_evaluator
    audit.set_evaluator(fake_evaluator)
    path = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["report", DAY1, "--today", "2026-11-24", "-o", str(path)]) == 0
    audit.set_evaluator(None)
    return path


@needs_browser
def test_the_report_renders_with_every_section_and_no_console_errors(page):
    dom, console = browse(page, "--dump-dom")
    assert console == []
    for section in SECTIONS:
        assert f'<section id="{section}">' in dom
    assert re.search(r"<h2>Findings \(19\)</h2>", dom)
    assert "sandbox-marketing-site" in dom


@needs_browser
def test_screenshot_is_a_rendered_page(page, tmp_path):
    shot = tmp_path / "report.png"
    _, console = browse(page, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars")
    assert console == []
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1280, 2000)
    assert colours > 20  # text, badges and tables, not an empty page


@needs_browser
def test_the_harness_sees_a_network_request_as_a_console_error(page, tmp_path):
    """The check above can fail: the same page with one remote image is caught by the page's CSP."""
    bad = tmp_path / "bad.html"
    bad.write_text(page.read_text().replace("<main>", '<main><img src="https://cdn.example.com/x.png">', 1))
    _, console = browse(bad, "--dump-dom")
    assert any("Content Security Policy" in line for line in console)
