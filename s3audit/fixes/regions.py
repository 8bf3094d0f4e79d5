"""Where a policy statement an IaC file declares begins and ends, so that removing it is an exact text edit.

The IaC readers record where each statement is declared (``locations``: file, line, column of its start): a
``{`` of an HCL or JSON object, an HCL ``statement {`` block, or a YAML list item (``- Effect: ...``).
``statement_region`` finds the end (the matching brace, or the last line indented deeper than the item's
dash) and widens the span to what a person deleting it would take: the whole lines when nothing else is on
them, and the comma that separated it from its neighbour.

It answers None rather than guess: a statement that is its policy's only one (removing it leaves a policy
no provider accepts), one written inside a JSON string (escaped quotes), or a span whose text does not show
the statement's own Effect and Sid. Pure: the caller reads the file.
"""
from __future__ import annotations

from typing import Any

_OPEN, _CLOSE = "{[(", "}])"


def statement_region(text: str, line: int, column: int | None, statement: Any, siblings: int) -> dict | None:
    """The SARIF region (1-based; end column exclusive) to delete to remove ``statement``, declared at
    ``line``:``column`` of ``text``, from a policy of ``siblings`` statements; None when not sure."""
    if siblings < 2 or not isinstance(statement, dict) or line < 1:
        return None
    lines = text.split("\n")
    if line > len(lines):
        return None
    offsets = [0]
    for ln in lines[:-1]:
        offsets.append(offsets[-1] + len(ln) + 1)
    col = max(1, column or 1)
    here = lines[line - 1]
    before = here[:col - 1]
    if before.strip() == "-" or (before.endswith("- ") and not before[:-2].strip()):
        span = _yaml_item(lines, line, before.index("-"))
    else:
        span = _braced(text, offsets[line - 1] + col - 1)
    if span is None:
        return None
    start, end = span
    body = text[start:end]
    effect = statement.get("Effect")
    sid = statement.get("Sid")
    if '\\"' in body or (isinstance(effect, str) and effect not in body) or (isinstance(sid, str) and sid not in body):
        return None
    start, end = _widen(text, start, end)
    return _region(offsets, start, end)


def _yaml_item(lines: list[str], line: int, dash: int) -> tuple[int, int] | None:
    """Whole lines of a YAML list item: its own, and the following ones indented deeper than its dash."""
    last = line
    for i in range(line, len(lines)):
        ln = lines[i]
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        indent = len(ln) - len(ln.lstrip(" "))
        if indent <= dash:
            break
        last = i + 1
    # a sibling item at the same indentation must remain, before or after
    def sibling(i: int) -> bool:
        ln = lines[i]
        return len(ln) - len(ln.lstrip(" ")) == dash and ln.lstrip().startswith("-")
    after = next((i for i in range(last, len(lines)) if lines[i].strip()), None)
    prior = next((i for i in range(line - 2, -1, -1) if lines[i].strip()), None)
    if not ((after is not None and sibling(after)) or (prior is not None and sibling(prior))):
        return None
    start = sum(len(x) + 1 for x in lines[:line - 1])
    end = sum(len(x) + 1 for x in lines[:last])
    return start, min(end, sum(len(x) + 1 for x in lines) - 1)


def _braced(text: str, at: int) -> tuple[int, int] | None:
    """From a ``{`` at ``at`` (or the first on its line after it, for ``statement {``) to its match."""
    i = at
    while i < len(text) and text[i] not in "{\n":
        i += 1
    if i >= len(text) or text[i] != "{":
        return None
    if text[at:i].strip() not in ("", "statement"):
        return None
    start = at if text[at:i].strip() == "statement" else i
    depth = 0
    j = i
    n = len(text)
    while j < n:
        c = text[j]
        if c == '"':
            j += 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
        elif c == "#" or (c == "/" and text[j + 1:j + 2] == "/"):
            while j < n and text[j] != "\n":
                j += 1
            continue
        elif c == "/" and text[j + 1:j + 2] == "*":
            close = text.find("*/", j + 2)
            if close < 0:
                return None
            j = close + 2
            continue
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0:
                return start, j + 1
        j += 1
    return None


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Take the separating comma (the one after, else the one before) and, when the element stands alone on
    its lines, the whole lines."""
    j = end
    while j < len(text) and text[j] in " \t":
        j += 1
    if j < len(text) and text[j] == ",":
        end = j + 1
    else:
        k = start - 1
        while k >= 0 and text[k] in " \t\r\n":
            k -= 1
        if k >= 0 and text[k] == ",":
            start = k
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if not text[line_start:start].strip() and not text[end:line_end].strip():
        start, end = line_start, min(line_end + 1, len(text))
    return start, end


def _region(offsets: list[int], start: int, end: int) -> dict:
    import bisect

    def place(pos: int) -> tuple[int, int]:
        ln = bisect.bisect_right(offsets, pos)
        return ln, pos - offsets[ln - 1] + 1
    sl, sc = place(start)
    el, ec = place(end)
    return {"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec}
