"""How wide a line of text draws, estimated without a browser, for laying out the SVG path pictures.

The page names no font of its own (it fetches nothing): the browser's sans-serif draws it. The widths
below are DejaVu Sans's (Debian's and many Linux desktops' default sans-serif), the widest of the common
ones, rounded up, in ems; Helvetica, Arial, Segoe UI and Roboto draw the same text narrower, so a label
sized by this estimate fits wherever the page is opened.
"""
from __future__ import annotations

_EM = {}
for chars, width in (
        ("iljI|!.,:;'", 0.33), (" ", 0.33), ("ftr()[]{}/\\`", 0.42), ("-_", 0.45), ('"', 0.47),
        ("sczJ*", 0.57), ("aeknouvxy?", 0.63), ("bdghpqL", 0.65), ("0123456789$", 0.65),
        ("#+<=>^~", 0.84), ("FTZ", 0.69), ("EKPSXY", 0.71), ("BCR", 0.72), ("ADGHNUV", 0.78), ("w", 0.83),
        ("OQ", 0.8), ("m", 0.98), ("MW%", 1.0), ("@", 1.0), ("…", 1.0), ("→", 0.84)):
    for ch in chars:
        _EM[ch] = width
_DEFAULT = 0.72  # anything else: as wide as a capital


def text_width(text: str, size: float) -> float:
    """Pixels a line of ``text`` takes at font size ``size`` (an upper estimate)."""
    return size * sum(_EM.get(ch, _DEFAULT) for ch in text) * 1.04


def fit(text: str, size: float, width: float, *, keep_end: bool = False) -> str:
    """``text`` cut with an ellipsis to draw within ``width`` pixels: its start kept, or its end
    (``keep_end``: the end of a long name says the most, role/x rather than arn:aws:iam::)."""
    if text_width(text, size) <= width:
        return text
    budget = width - text_width("…", size)
    chars = reversed(text) if keep_end else iter(text)
    kept, used = [], 0.0
    for ch in chars:
        w = text_width(ch, size)
        if used + w > budget:
            break
        kept.append(ch)
        used += w
    return "…" + "".join(reversed(kept)) if keep_end else "".join(kept) + "…"
