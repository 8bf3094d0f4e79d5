"""What check, report, diff and scan share: profiles and dates, output files, building a report.

Output selection (``--format`` and ``-o``), documented in docs/reports.md:

- ``--format F`` (repeatable, or comma-separated) picks formats; ``-o PATH`` (repeatable) gives files;
- ``-o FORMAT=PATH`` names the format of one file explicitly (``-o sarif=out.sarif -o junit=out.xml``);
- ``--format F -o PATH`` (one of each) writes F to PATH whatever it is called;
- otherwise a plain ``-o PATH`` takes its format from the file's ending (``.sarif``, ``.json``, ``.xml`` ->
  junit, ``.md``, ``.html``, ``.txt``), or, when the ending says nothing, the next ``--format`` without a file;
- a format without a file goes to standard output (at most one); ``-`` as a path is standard output;
- nothing given: text on standard output. When every output goes to a file, the summary line goes to
  standard error so that CI logs still show the verdict.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import sys
from typing import Iterable

from ..errors import InputError, Place, UsageError
from ..fileio import write_atomic, write_atomic_pieces
from ..report import FORMATS, format_for_path, render, render_pieces

STDOUT = "-"
_FORMAT = re.compile(r'"format"\s*:\s*"s3audit\.(snapshot|findings)/')


def warn(message: str) -> None:
    """A note on standard error that does not stop the run."""
    print(f"s3audit: warning: {message}", file=sys.stderr)


def parse_today(text: str | None) -> _dt.date:
    if not text:
        return _dt.datetime.now(_dt.timezone.utc).date()
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today expects a date YYYY-MM-DD, found `{text}`") from None


def split_formats(values: Iterable[str] | None) -> list[str]:
    out = []
    for v in values or ():
        for name in v.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name not in FORMATS:
                raise UsageError(f"unknown format `{name}` (expected one of {', '.join(FORMATS)})")
            if name not in out:
                out.append(name)
    return out


def resolve_outputs(formats: Iterable[str] | None, outputs: Iterable[str] | None,
                    default: str = "text") -> list[tuple[str, str]]:
    """[(format, path or "-")] from ``--format`` and ``-o`` values (see the module's docstring)."""
    wanted = split_formats(formats)
    outputs = list(outputs or ())
    pairs: list[tuple[str, str]] = []
    open_formats = list(wanted)

    def named(value: str) -> tuple[str, str] | None:
        head, sep, tail = value.partition("=")
        if sep and head.strip().lower() in FORMATS:
            if not tail:
                raise UsageError(f"`-o {value}` names no file")
            return head.strip().lower(), tail
        return None

    plain = [v for v in outputs if named(v) is None]
    for value in outputs:
        explicit = named(value)
        if explicit is not None:
            fmt, path = explicit
        elif len(wanted) == 1 and len(plain) == 1 and open_formats:
            fmt, path = open_formats[0], value  # --format F -o PATH: whatever the file is called
        else:
            fmt, path = format_for_path(value), value
            if fmt is None:
                if not open_formats:
                    raise UsageError(f"cannot tell the format of `{value}` from its name; write "
                                     f"-o FORMAT={value} or give --format")
                fmt = open_formats[0]
        if fmt in open_formats:
            open_formats.remove(fmt)
        pairs.append((fmt, path))
    pairs.extend((fmt, STDOUT) for fmt in open_formats)
    if not pairs:
        pairs.append((default, STDOUT))
    to_stdout = [f for f, p in pairs if p == STDOUT]
    if len(to_stdout) > 1:
        raise UsageError(f"only one format can go to standard output (asked for {', '.join(to_stdout)}); "
                         f"give the others a file with -o FORMAT=PATH")
    files = [p for _, p in pairs if p != STDOUT]
    for p in files:
        if files.count(p) > 1:
            raise UsageError(f"two outputs would write the same file `{p}`")
    from ..fileio import check_writable_target
    for p in files:
        check_writable_target(p)  # refused now, before the run, not after it
    return pairs


def use_colour(choice: str | None) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def write_outputs(report, pairs: list[tuple[str, str]], colour: str | None = "auto",
                  rendered: dict[str, str | bytes] | None = None) -> None:
    """Render and write each output; the files written are named on standard error ("wrote FILE"), with the
    summary line when nothing went to standard output, so that a CI log still shows the verdict.
    ``rendered``: texts of this report the caller has rendered already, by format (without options), or their
    UTF-8 bytes as the caller wrote them to a file."""
    from ..report.text import summary_line
    written = []
    for fmt, path in pairs:
        options = {"color": True} if fmt == "text" and path == STDOUT and use_colour(colour) else {}
        if fmt == "html" and path != STDOUT:
            options["sidecar"] = write_sidecars(report, path)
        text = (rendered or {}).get(fmt) if not options else None
        if path != STDOUT:
            if text is None:  # written as it is rendered: a report that grows with the estate, a piece at a time
                write_atomic_pieces(path, render_pieces(fmt, report, **options))
            else:
                write_atomic(path, text)
            written.append(path)
            continue
        if text is None:  # whole before any of it goes out: standard output cannot take back half a report
            text = render(fmt, report, **options)
        if isinstance(text, str):
            sys.stdout.write(text)
        elif hasattr(sys.stdout, "write_utf8"):
            sys.stdout.write_utf8(text)
        else:  # (standard output replaced, as by a test's capture)
            sys.stdout.write(text.decode("utf-8"))
        sys.stdout.flush()
    if written:
        tail = f"; {summary_line(report)}" if all(p != STDOUT for _, p in pairs) else ""
        print(f"wrote {', '.join(written)}{tail}", file=sys.stderr)


def write_sidecars(report, path: str) -> dict[str, str]:
    """Beside an HTML report too big to show whole, the complete lists (``report.sidecar``); kind -> the
    name the page links to (relative: the files travel together)."""
    from ..report import sidecar
    links = {}
    for kind, file in sidecar.names(path, report).items():
        links[kind] = os.path.basename(file)
    for file, text in sidecar.contents(report, path).items():
        write_atomic(file, text)
    return links


def load_profile_arg(spec: str | None):
    from ..profile import load_profile
    return load_profile(spec or "default")


def load_baseline(path: str | None) -> dict | None:
    """fingerprint -> status of the findings in a findings file (None without --baseline)."""
    if not path:
        return None
    from ..report.model import load_findings
    return {f.fingerprint: f.status for f in load_findings(path).findings}


def snapshot_kind(path: str) -> str:
    """``snapshot``, ``findings``, ``iac`` or ``other`` for a file given on the command line."""
    from ..sources.iac import looks_like_iac
    if path.startswith("s3://"):  # an object in S3 (read by s3audit and by workers): a snapshot
        return "snapshot"
    if os.path.isdir(path):
        return "iac"
    if not os.path.exists(path):
        raise InputError("no such file", Place(path))
    head = _head(path)
    m = _FORMAT.search(head)
    if m:
        return m.group(1)
    if looks_like_iac(path):
        return "iac"
    return "other"


def _head(path: str) -> str:
    """The first 64 KiB of a file's text (of a gzip file: of what it holds)."""
    if path.endswith(".gz"):
        from ..fileio import read_text
        return read_text(path)[:65536]
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(65536)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Place(path)) from None


def unrecognized(path: str, what: str) -> InputError:
    """The error for a file that is none of the kinds a command reads: it is empty, its JSON is broken (the
    line and column), or it lacks the marker (``what`` says what it is not)."""
    head = _head(path)
    if not head.strip():
        return InputError("the file is empty", Place(path))
    first = head.lstrip("\ufeff \t\r\n")[:1]
    if first == "{" or (first == "[" and path.endswith((".json", ".json.gz"))):  # not `[section]` of TOML or INI
        from ..fileio import parse_json, read_text
        parse_json(read_text(path), path)  # raises, with the line and column, when the JSON is broken
        return InputError(f"{what} (a JSON document without the marker `\"format\": \"s3audit.snapshot/v1\"`)",
                          Place(path))
    return InputError(what, Place(path))


def sarif_lines(report, snapshot, subjects) -> None:
    """Fill ``report.snapshot_lines``: where each finding's subject is in the snapshot file."""
    from ..findings import Location
    from ..fileio import read_text
    from ..report.jsonpos import pointer_positions
    if snapshot is None or not snapshot.file or not os.path.isfile(snapshot.file):
        return
    wanted = {}
    for f in report.findings:
        if f.location is None:
            pointer = f.pointer or subjects.pointer_of(f.subject)
            if pointer:
                wanted[f.fingerprint] = pointer
    if not wanted:
        return
    positions = pointer_positions(read_text(snapshot.file), set(wanted.values()))
    for fp, pointer in wanted.items():
        if pointer in positions:
            line, col = positions[pointer]
            report.snapshot_lines[fp] = Location(snapshot.file, line, col)


def fix_regions(report, snapshot, document) -> None:
    """Fill ``report.fix_regions``: each suggestion as exact edits of the files the run read, for SARIF's
    ``fix``. A snapshot file: the changed value's text replaced by the new value. IaC: each statement the
    change removes deleted where the file declares it (``fixes/regions.py``); a change that is not only such
    removals, or a statement whose extent is not certain, gets no edit (its place and words remain)."""
    from ..fileio import read_text
    from ..fixes.regions import statement_region
    from ..report.jsonpos import pointer_spans
    from ..snapshot import patch
    if snapshot is None or not report.suggestions:
        return
    wanted = {fp: s for fp, s in report.suggestions.items() if s.get("fix") and s.get("diff")}
    if not snapshot.locations:
        if not snapshot.file or not snapshot.file.endswith(".json") or not os.path.isfile(snapshot.file):
            return  # a compressed snapshot is no file to edit
        spans = pointer_spans(read_text(snapshot.file), {s["diff"]["pointer"] for s in wanted.values()})
        for fp, s in wanted.items():
            span = spans.get(s["diff"]["pointer"])
            if span is not None:
                report.fix_regions[fp] = (snapshot.file, [(span, s["diff"]["after"])])
        return
    texts: dict[str, str | None] = {}
    for fp, s in wanted.items():
        ops = s.get("patch") or []
        if not ops or any(op["op"] != "remove" or not _is_statement(op["path"]) for op in ops):
            continue
        edits, files = [], set()
        for op in ops:
            loc = snapshot.locations.get(op["path"])
            if not loc or not loc.get("file") or not loc.get("line"):
                break
            file = loc["file"]
            if file not in texts:
                texts[file] = read_text(file) if os.path.isfile(file) else None
            parent = patch.get(document, op["path"].rsplit("/", 1)[0])
            region = statement_region(texts[file] or "", loc["line"], loc.get("column"),
                                      patch.get(document, op["path"]), len(parent)) if texts[file] else None
            if region is None:
                break
            edits.append((region, None))
            files.add(file)
        else:
            if len(files) == 1:
                report.fix_regions[fp] = (files.pop(), edits)


def _is_statement(pointer: str) -> bool:
    head, _, last = pointer.rpartition("/")
    return head.endswith("/Statement") and last.isdigit()
