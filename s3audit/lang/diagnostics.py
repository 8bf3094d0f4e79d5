"""Diagnostics: what is wrong in a rule file, as data, rendered like a compiler's message.

```
rules/pci-dss.s3r:14:21: error: bucket has no field `encrypton`
  require b.encrypton.algorithm == "aws:kms"
            ^^^^^^^^^
  did you mean `encryption`?
```

Wording (one style throughout): lowercase, no trailing period, the user's own text in backticks. A
diagnostic keeps the source line it points into, so rendering needs nothing else.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..errors import Place, RuleError
from .ast import Span

ERROR, WARNING, NOTE = "error", "warning", "note"

# OPA stops reporting after ten errors; later ones are mostly consequences of earlier ones.
DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class Diagnostic:
    code: str  # stable, kebab-case: unknown-field, type-mismatch, syntax ...
    message: str
    span: Span | None
    severity: str = ERROR
    hint: str | None = None  # one extra line under the caret: "did you mean `encryption`?"
    line_text: str | None = field(default=None, compare=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def place(self) -> Place | None:
        if self.span is None:
            return None
        return Place(self.span.file, self.span.line, self.span.column)

    @property
    def sort_key(self) -> tuple:
        if self.span is None:
            return (1, "", 0, 0, self.code, self.message)
        return (0, self.span.file, self.span.line, self.span.column, self.code, self.message)

    def render(self) -> str:
        head = f"{self.span}: " if self.span is not None else "s3audit: "
        lines = [f"{head}{self.severity}: {self.message}"]
        excerpt = _excerpt(self.line_text, self.span)
        if excerpt:
            lines.extend(excerpt)
        if self.hint:
            lines.append(f"  {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def _excerpt(line_text: str | None, span: Span | None) -> list[str]:
    """The source line (dedented to two spaces) and a caret under the span's part of it."""
    if line_text is None or span is None:
        return []
    raw = line_text.rstrip("\r\n")
    stripped = raw.lstrip()
    indent = len(raw) - len(stripped)
    start = max(span.column - 1 - indent, 0)
    if start > len(stripped):
        start = len(stripped)
    if span.end_line == span.line:
        width = span.end_column - span.column
    else:
        width = len(raw) - (span.column - 1)
    width = max(1, min(width, max(len(stripped) - start, 1)))
    # keep tabs in the caret's lead so it lines up under tab-indented text
    lead = "".join("\t" if ch == "\t" else " " for ch in stripped[:start])
    return [f"  {stripped}", f"  {lead}{'^' * width}"]


def line_of(source: str, line: int) -> str | None:
    # split on "\n" only, as the parser counts lines (str.splitlines also splits on \f, \u2028 ...)
    lines = [ln.rstrip("\r") for ln in source.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if 1 <= line <= len(lines):
        return lines[line - 1]
    if line == len(lines) + 1:
        return ""  # the end of a file that ends with a newline
    return None


def make(code: str, message: str, span: Span | None, source: str | None, *, hint: str | None = None,
         severity: str = ERROR) -> Diagnostic:
    text = line_of(source, span.line) if (source is not None and span is not None) else None
    return Diagnostic(code, message, span, severity, hint, text)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean" hint when one candidate is close enough, else None."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def finish(diagnostics: Iterable[Diagnostic], limit: int | None = DEFAULT_LIMIT) -> list[Diagnostic]:
    """Sort by place, drop exact repeats, and stop after ``limit`` errors (with a note saying so)."""
    seen: set = set()
    ordered: list[Diagnostic] = []
    for d in sorted(diagnostics, key=lambda d: d.sort_key):
        key = (d.code, d.message, d.span)
        if key in seen:
            continue
        seen.add(key)
        ordered.append(d)
    if limit is None:
        return ordered
    out: list[Diagnostic] = []
    errors = 0
    for d in ordered:
        if d.is_error:
            if errors == limit:
                rest = sum(1 for x in ordered if x.is_error) - limit
                out.append(Diagnostic("too-many-errors",
                                      f"stopped after {limit} errors ({rest} more not shown)", None, NOTE))
                break
            errors += 1
        out.append(d)
    return out


def render_all(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n".join(d.render() for d in diagnostics)


class RuleSyntaxError(RuleError):
    """A rule file that does not parse; ``diagnostics`` says where and why (at least one)."""

    kind = "rule-syntax"

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        ds = finish(diagnostics)
        first = ds[0]
        super().__init__(first.message, first.place)
        self.diagnostics = ds

    def __str__(self) -> str:
        return render_all(self.diagnostics)
