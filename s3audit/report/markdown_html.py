"""The little Markdown that rule texts use (rationale, remediation), as safe HTML.

Rule files are written by people who may not be the report's reader, so everything is escaped first and
only these forms become markup: paragraphs (blank lines), ``- `` and ``* `` bullet lists, `code`,
**bold**, *emphasis* and [links](https://...) to http(s) addresses (anything else stays text).
"""
from __future__ import annotations

import html
import re

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")
_BULLET = re.compile(r"^\s*[-*]\s+")


def inline(text: str) -> str:
    """One line's Markdown as HTML (escaped); code spans are left alone by the other forms."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(_spans(text[last:m.start()]))
        out.append(f"<code>{html.escape(m.group(1))}</code>")
        last = m.end()
    out.append(_spans(text[last:]))
    return "".join(out)


def _spans(text: str) -> str:
    text = html.escape(text, quote=False)
    text = _LINK.sub(lambda m: f'<a href="{html.escape(html.unescape(m.group(2)))}">{m.group(1)}</a>', text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    return _EM.sub(r"<em>\1</em>", text)


def to_html(text: str) -> str:
    """Paragraphs and bullet lists of ``text`` as HTML."""
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        if all(_BULLET.match(ln) for ln in lines):
            items = "".join(f"<li>{inline(_BULLET.sub('', ln))}</li>" for ln in lines)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(f"<p>{inline(' '.join(ln.strip() for ln in lines))}</p>")
    return "".join(parts)
