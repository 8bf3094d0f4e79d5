"""The audit report in a real browser (issue 17): headless Chromium, driven over its DevTools pipe
(s3audit/report/browser.py), opens the demo estate's reports (default and pci profiles) and the report of a
2,000-bucket synthetic estate, offline, and the DOM is asked what an auditor would check by eye:

- no console message (a request to the network would be a Content-Security-Policy error there);
- every table's header and cells line up: the same alignment per column, numbers right-aligned, and a
  right-aligned header's right edge over its cells' right edges;
- in every path picture, no two arrow labels intersect, no label overlaps a box, every text is at least
  12 px at 100% zoom, and every name stays inside its box;
- printing (Chromium's PDF) keeps every finding's evidence: under the print media every finding's evidence
  is laid out, and the PDF's text has each finding's evidence marker and content; each page is headed with
  the report's title and the snapshot's date; no picture is wider than the page.

Full-page screenshots are kept in the test's temporary folder (pytest keeps the last few). Skipped when
no Chromium is installed (.ci/run installs it where apt is available)."""
from __future__ import annotations

import re
import struct
import sys
import zlib
from pathlib import Path

import pytest

from s3audit.report.browser import Browser, find_chromium

ROOT = Path(__file__).resolve().parents[2]
DEMO = "s3audit/demo/estate.json"
SECTIONS = ("summary", "findings", "paths", "waivers", "rules", "provenance")
TENTH = {"accounts": 10, "roles": 500, "users": 200, "buckets": 2000, "seed": 1}

needs_browser = pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """The three reports, written by the command line with the real rules."""
    from s3audit.cli import main
    folder = tmp_path_factory.mktemp("reports")
    out = {"default": folder / "default.html", "pci": folder / "pci.html", "synthetic": folder / "synthetic.html"}
    assert main(["report", str(ROOT / DEMO), "--today", "2026-11-24", "-o", str(out["default"])]) == 0
    assert main(["report", str(ROOT / DEMO), "--profile", "pci", "--today", "2026-11-24", "-o", str(out["pci"])]) == 0
    sys.path.insert(0, str(ROOT))
    try:
        from bench.synthetic import generate, write
    finally:
        sys.path.remove(str(ROOT))
    estate = folder / "estate.json"
    write(generate(**TENTH), str(estate))
    assert main(["report", str(estate), "--today", "2026-11-24", "-o", str(out["synthetic"])]) == 0
    return out


@pytest.fixture(scope="module")
def browser():
    with Browser(width=1280, height=900, timeout=120) as b:
        yield b


@pytest.fixture(scope="module")
def opened(reports, browser):
    """Open a report (once per name) and unfold every finding and action list, as a reader clicking would."""
    def open_(name: str) -> Browser:
        if getattr(browser, "report_open", None) != name:
            browser.media("")
            browser.console.clear()
            browser.open(reports[name].resolve().as_uri())
            browser.report_open = name
        return browser
    return open_


def open_other(browser: Browser, page: Path) -> None:
    """A page that is not one of the reports (the tests that show their checks can fail)."""
    browser.report_open = None
    browser.console.clear()
    browser.open(page.resolve().as_uri())


NAMES = ["default", "pci", "synthetic"]


@needs_browser
@pytest.mark.parametrize("name", NAMES)
def test_every_section_and_no_console_message(opened, name):
    b = opened(name)
    assert b.evaluate("[...document.querySelectorAll('main > section')].map(s => s.id)") == list(SECTIONS)
    assert b.evaluate("document.querySelectorAll('svg.paths').length") > 0
    assert b.evaluate("document.querySelector('meta[http-equiv=Content-Security-Policy]').content").startswith(
        "default-src 'none'")
    assert b.console == []


ALIGNMENT = """(() => {
  for (const d of document.querySelectorAll('details:not(.raw)')) d.open = true;
  const rect = el => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect(); };
  const isNumber = td => /^[0-9]+$/.test(td.textContent.trim()) && !td.querySelector('code');
  const bad = []; let cells = 0, numeric = 0;
  for (const table of document.querySelectorAll('main table')) {
    const head = table.querySelector(':scope > thead > tr');
    if (!head) continue;
    const ths = [...head.children];
    const rows = [...table.querySelectorAll(':scope > tbody > tr')].map(tr => [...tr.children]);
    ths.forEach((th, i) => {
      const column = rows.map(r => r[i]).filter(Boolean);
      const a = getComputedStyle(th).textAlign;
      // a column of numbers (counts) is right-aligned, its header too
      if (column.length && column.every(isNumber)) { numeric++; if (a !== 'right') bad.push(`numbers under "${th.textContent}", header ${a}`); }
      for (const td of column) {
        cells++;
        const c = getComputedStyle(td).textAlign, text = td.textContent.trim();
        if (a !== c) bad.push(`column "${th.textContent}": header ${a}, cell ${c} (${text.slice(0, 30)})`);
        if (c === 'right' && text && th.textContent.trim()) {
          const d = Math.abs(rect(th).right - rect(td).right);
          if (d > 1.5) bad.push(`"${th.textContent}" and ${text} end ${d.toFixed(1)} px apart`);
        }
      }
    });
  }
  return {bad: bad.slice(0, 15), cells, numeric};
})()"""


@needs_browser
@pytest.mark.parametrize("name", NAMES)
def test_table_headers_sit_over_their_columns(opened, name):
    result = opened(name).evaluate(ALIGNMENT)
    assert result["cells"] > 50 and result["numeric"] > 5
    assert result["bad"] == []


PICTURES = """(() => {
  for (const d of document.querySelectorAll('details:not(.raw)')) d.open = true;
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const out = {pictures: 0, labels: 0, nodes: 0, minFont: 1e9, bad: []};
  for (const svg of document.querySelectorAll('svg.paths')) {
    const box = svg.getBoundingClientRect();
    if (!box.width) { out.bad.push('a picture is not laid out'); continue; }
    out.pictures++;
    const scale = box.width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll('text'))
      out.minFont = Math.min(out.minFont, parseFloat(getComputedStyle(t).fontSize) * scale);
    const labels = [...svg.querySelectorAll('g.hop text')].map(t => [t.textContent, t.getBoundingClientRect()]);
    const nodes = [...svg.querySelectorAll('g.node')].map(g => [g.querySelector('title').textContent,
                    g.querySelector('rect').getBoundingClientRect(), [...g.querySelectorAll('text')].map(t => t.getBoundingClientRect())]);
    out.labels += labels.length; out.nodes += nodes.length;
    labels.forEach(([text, r], i) => {
      for (const [other, q] of labels.slice(i + 1)) if (overlap(r, q)) out.bad.push(`labels "${text}" and "${other}" intersect`);
      for (const [name, q] of nodes) if (overlap(r, q)) out.bad.push(`label "${text}" overlaps box ${name}`);
    });
    for (const [name, r, texts] of nodes) for (const t of texts)
      if (t.left < r.left - 0.5 || t.right > r.right + 0.5 || t.top < r.top - 0.5 || t.bottom > r.bottom + 0.5)
        out.bad.push(`the name of ${name} spills out of its box`);
  }
  out.bad = out.bad.slice(0, 15);
  return out;
})()"""


@needs_browser
@pytest.mark.parametrize("name", NAMES)
def test_path_pictures_have_no_overlapping_labels_and_legible_text(opened, name):
    result = opened(name).evaluate(PICTURES)
    assert result["pictures"] > 0 and result["labels"] > 0
    assert result["minFont"] >= 12
    assert result["bad"] == []


def test_the_picture_check_can_fail(reports, browser, tmp_path):
    """The same checks on a page whose labels were moved onto each other and onto a box report them."""
    if find_chromium() is None:
        pytest.skip("Chromium is not installed")
    page = reports["pci"].read_text()
    broken = re.sub(r'(<g class="hop"><title>[^<]*</title><text class="label") x="[0-9.]+" y="[0-9.]+"',
                    r'\1 x="40" y="40"', page)
    bad = tmp_path / "bad.html"
    bad.write_text(broken.replace('font-size="12" fill="#27272a"', 'font-size="9" fill="#27272a"', 1))
    open_other(browser, bad)
    result = browser.evaluate(PICTURES)
    assert any("intersect" in x for x in result["bad"]) and any("overlaps box" in x for x in result["bad"])
    assert result["minFont"] < 12


EVIDENCE = """(() => [...document.querySelectorAll('details.finding')].map(d => {
  const ev = d.querySelector('.evidence');
  const code = [...ev.querySelectorAll('code')].map(c => c.textContent).find(t => t && !/\\s/.test(t) && t.length < 60);
  return {id: d.id.slice(2, 10), visible: ev.checkVisibility() && ev.getBoundingClientRect().height > 0,
          probe: code || ev.querySelector('p, td').textContent.trim().slice(0, 30)};
}))()"""


@needs_browser
@pytest.mark.parametrize("name", NAMES)
def test_the_print_layout_keeps_every_findings_evidence(opened, name, tmp_path):
    from pypdf import PdfReader
    b = opened(name)
    b.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")  # as the reader left it
    b.media("print")
    try:
        findings = b.evaluate(EVIDENCE)
        assert findings and all(f["visible"] for f in findings), [f for f in findings if not f["visible"]][:3]
        widths = b.evaluate("[...document.querySelectorAll('svg.paths')].map(s => "
                            "s.getBoundingClientRect().right <= document.querySelector('main').getBoundingClientRect()"
                            ".right + 1)")
        assert widths and all(widths), "a picture is wider than the printed page"
        pdf = b.pdf()
    finally:
        b.media("")
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    pages = [p.extract_text() for p in PdfReader(tmp_path / f"{name}.pdf").pages]
    text = re.sub(r"\s+", "", "".join(pages)).lower()
    missing = [f for f in findings if f"evidence·{f['id']}" not in text or re.sub(r"\s+", "", f["probe"]).lower()
               not in text]
    assert missing == []
    taken = b.evaluate("document.querySelector('header p').textContent").split(" · ")[0]
    assert taken.startswith("snapshot taken 20")
    for page in pages:
        flat = re.sub(r"\s+", " ", page)
        assert "s3audit audit report" in flat and taken in flat, flat[:200]


@needs_browser
@pytest.mark.parametrize("name", NAMES)
def test_full_page_screenshot(opened, name, tmp_path_factory):
    b = opened(name)
    b.evaluate("document.querySelectorAll('details').forEach(d => d.open = false); scrollTo(0, 0)")
    shot = tmp_path_factory.mktemp("screenshots") / f"{name}.png"
    shot.write_bytes(b.screenshot(full_page=True))
    width, height, colours = png_size_and_colours(shot)
    assert width == 1280 and height > 2000
    assert colours > 20  # text, badges, tables and pictures, not an empty page


@needs_browser
def test_the_big_report_summarises_and_links_its_sidecars(reports, opened):
    page = reports["synthetic"]
    assert page.stat().st_size < 2_000_000  # 24,547 findings; 19 MB before it summarised
    b = opened("synthetic")
    links = b.evaluate("[...document.querySelectorAll('a[href$=\".csv\"]')].map(a => a.getAttribute('href'))")
    assert sorted(set(links)) == ["synthetic.findings.csv", "synthetic.paths.csv"]
    for link in set(links):
        assert (page.parent / link).stat().st_size > 100_000
    assert b.evaluate("document.querySelectorAll('details.finding').length") == 100
    assert "24547 findings" in b.evaluate("document.querySelector('#findings .note').textContent")


@needs_browser
def test_the_harness_sees_a_network_request_as_a_console_message(reports, browser, tmp_path):
    """The console check can fail: the same page with one remote image is caught by the page's CSP."""
    bad = tmp_path / "bad.html"
    bad.write_text(reports["pci"].read_text().replace("<main>", '<main><img src="https://cdn.example.com/x.png">', 1))
    open_other(browser, bad)
    assert any("Content Security Policy" in line for line in browser.console)


def png_size_and_colours(path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the pixel data (a blank page has ~2)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_writing_a_pdf_without_a_browser_names_the_browsers(tmp_path, monkeypatch, capsys):
    from s3audit.cli import main
    monkeypatch.setenv("S3AUDIT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = tmp_path / "audit.pdf"
    assert main(["report", str(ROOT / DEMO), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "needs a headless Chromium" in err and "chromium-browser" in err and "S3AUDIT_CHROMIUM" in err
    assert "audit.html" in err and not out.exists()


@needs_browser
def test_report_writes_a_pdf(tmp_path, capsys):
    from pypdf import PdfReader
    from s3audit.cli import main
    out = tmp_path / "audit.pdf"
    assert main(["report", str(ROOT / DEMO), "--profile", "pci", "--today", "2026-11-24", "-o", str(out)]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    reader = PdfReader(out)
    assert len(reader.pages) > 3
    first = reader.pages[0].extract_text()
    assert "s3audit audit report" in first and "Executive summary" in first
    assert "wrote" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["audit.pdf"]  # the PDF alone: nothing left behind


def test_the_page_stands_alone(reports):
    """No script, and nothing referenced outside the page (the sidecar CSVs are relative links beside it)."""
    for page in reports.values():
        text = page.read_text()
        assert "<script" not in text and not re.search(r'(src|href)="(https?:)?//', text)
