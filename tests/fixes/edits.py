"""Applying SARIF replacements to a text, as an editor would (1-based lines and columns, end exclusive)."""
from __future__ import annotations


def apply_replacements(text: str, replacements: list[dict]) -> str:
    """Each ``{"deletedRegion", "insertedContent"?}`` applied, the last first so earlier regions stay put."""
    lines = text.split("\n")
    offsets = [0]
    for ln in lines[:-1]:
        offsets.append(offsets[-1] + len(ln) + 1)

    def pos(line: int, col: int) -> int:
        return offsets[line - 1] + col - 1 if line <= len(lines) else len(text)
    for r in sorted(replacements, key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
                    reverse=True):
        d = r["deletedRegion"]
        start, end = pos(d["startLine"], d["startColumn"]), pos(d["endLine"], d["endColumn"])
        text = text[:start] + r.get("insertedContent", {}).get("text", "") + text[end:]
    return text


def cut(text: str, region: dict) -> str:
    """The text without the region."""
    return apply_replacements(text, [{"deletedRegion": region}])
