"""Line and column of JSON pointers in a JSON text, for pointing SARIF results into a snapshot file.

A snapshot records no positions of its own (it is data, not source). When a finding about the live
estate needs a file position (GitHub code scanning shows only results that have one), the reporter asks
for the lines of a few pointers; this scanner walks the tokens once and stops when it has them all.
"""
from __future__ import annotations

import re
from typing import Iterable

from ..errors import pointer_join

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|\n')


def pointer_positions(text: str, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Map each wanted pointer found in ``text`` to (line, column), both 1-based, of its value."""
    wanted = set(pointers)
    found: dict[str, tuple[int, int]] = {}
    if not wanted:
        return found
    # stack of [kind, pointer, next index or pending key]
    stack: list[list] = []
    line, line_start = 1, 0
    pending_value = True  # the next value starts here (the root)
    current = ""  # pointer of the value about to start

    def start_value(pos: int) -> None:
        if current in wanted and current not in found:
            found[current] = (line, pos - line_start + 1)

    import json
    i = 0
    n = len(text)
    while i < n:
        m = _TOKEN.search(text, i)
        if m is None:
            rest = text[i:]
            if pending_value and rest.strip():  # a scalar at the very end (the whole document is one)
                start_value(i + len(rest) - len(rest.lstrip()))
            break
        tok, pos = m.group(), m.start()
        # a value that is not a string or container (number, true, false, null) starts before this token
        gap = text[i:pos]
        if pending_value and gap.strip():
            start_value(i + len(gap) - len(gap.lstrip()))
            pending_value = False
        i = m.end()
        if tok == "\n":
            line += 1
            line_start = i
            continue
        if tok in "{[":
            if pending_value:
                start_value(pos)
                pending_value = False
            stack.append(["o" if tok == "{" else "a", current, 0 if tok == "[" else None])
            if tok == "[":
                current = pointer_join(stack[-1][1], 0)
                pending_value = True
            else:
                pending_value = False
            continue
        if tok in "}]":
            stack.pop()
            pending_value = False
            continue
        if tok == ",":
            top = stack[-1] if stack else None
            if top and top[0] == "a":
                top[2] += 1
                current = pointer_join(top[1], top[2])
                pending_value = True
            continue
        if tok == ":":
            pending_value = True
            continue
        # a string token: a key (in an object, before ':') or a value
        top = stack[-1] if stack else None
        if top and top[0] == "o" and not pending_value:
            current = pointer_join(top[1], json.loads(tok))
            continue
        if pending_value:
            start_value(pos)
            pending_value = False
        if len(found) == len(wanted):
            break
    return found


def pointer_spans(text: str, pointers: Iterable[str]) -> dict[str, dict[str, int]]:
    """Map each wanted pointer found in ``text`` to the SARIF region of its whole value: ``startLine``,
    ``startColumn``, ``endLine`` and ``endColumn`` (1-based; the end column is that of the character after
    the value)."""
    import bisect
    import json
    starts = pointer_positions(text, pointers)
    if not starts:
        return {}
    line_offsets = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder()
    out = {}
    for p, (line, col) in starts.items():
        begin = line_offsets[line - 1] + col - 1
        try:
            _value, end = decoder.raw_decode(text, begin)
        except json.JSONDecodeError:
            continue
        end_line = bisect.bisect_right(line_offsets, end)
        out[p] = {"startLine": line, "startColumn": col, "endLine": end_line,
                  "endColumn": end - line_offsets[end_line - 1] + 1}
    return out
