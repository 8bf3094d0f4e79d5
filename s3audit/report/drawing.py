"""Pictures of access paths: Mermaid text (Markdown) and SVG drawn by s3audit itself (HTML, no scripts).

Both draw the union of some paths: each principal or bucket once, each hop once. The SVG layout is
layered: a node's column is its largest distance (in hops) from the bucket, so every path reads left to
right and ends at the bucket on the right; within a column, nodes keep the order they were first seen.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable

from .model import PathHop, PathPicture

COL_WIDTH, NODE_WIDTH, NODE_HEIGHT, ROW_HEIGHT, MARGIN = 320, 210, 36, 52, 16
_MAX_LABEL = 30


@dataclass
class _Node:
    name: str
    kind: str  # principal | bucket
    external: bool
    col: int = 0
    row: int = 0


def _union(paths: Iterable[PathPicture]) -> tuple[dict[str, _Node], list[PathHop]]:
    nodes: dict[str, _Node] = {}
    edges: dict[tuple, PathHop] = {}
    for p in paths:
        ext = set(p.external)
        k = len(p.hops)
        for i, h in enumerate(p.hops):
            for name, dist in ((h.source, k - i), (h.target, k - i - 1)):
                kind = "bucket" if (h.kind == "access" and name == h.target) else "principal"
                node = nodes.setdefault(name, _Node(name, kind, name in ext))
                node.col = max(node.col, dist)
                if kind == "bucket":
                    node.kind = "bucket"
            edges.setdefault((h.source, h.target, h.kind, h.decision), h)
    return nodes, list(edges.values())


def edge_label(h: PathHop) -> str:
    if h.kind == "member-of":
        return "member of"
    acts = list(h.actions)
    what = ", ".join(acts[:2]) + (f" +{len(acts) - 2}" if len(acts) > 2 else "")
    head = h.kind if h.kind != "access" else ("access" + (f" ({h.detail.split(';')[0]})" if h.detail else ""))
    text = f"{head}: {what}" if what else head
    return text + (" (conditional)" if h.decision != "allow" else "")


# ---- Mermaid ----

def _mm(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ").replace("|", "#124;")


def mermaid(paths: Iterable[PathPicture]) -> str:
    nodes, edges = _union(paths)
    ids = {name: f"n{i}" for i, name in enumerate(nodes)}
    out = ["flowchart LR"]
    for name, n in nodes.items():
        label = _mm(name)
        out.append(f'  {ids[name]}[("{label}")]' if n.kind == "bucket" else f'  {ids[name]}["{label}"]')
    for h in edges:
        arrow = "-->" if h.decision == "allow" else "-.->"
        out.append(f'  {ids[h.source]} {arrow}|"{_mm(edge_label(h))}"| {ids[h.target]}')
    external = [ids[name] for name, n in nodes.items() if n.external]
    if external:
        out.append("  classDef external fill:#fde2e2,stroke:#c0392b,color:#000")
        out.append(f"  class {','.join(external)} external")
    return "\n".join(out) + "\n"


# ---- SVG ----

def _short(text: str, limit: int = _MAX_LABEL) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1):]  # the end of a name says the most (role/x, not arn:aws:iam::)


def node_lines(name: str) -> tuple[str, str]:
    """Two lines for a node: what it is (role/x, user/y, root, a bucket) and, smaller, its account."""
    parts = name.split(":", 5)
    if name.startswith("arn:") and len(parts) == 6:
        account, resource = parts[4], parts[5]
        if resource == "root":
            return f"account {account}", "root"
        return resource, account or parts[2]
    return name, ""


def short_edge_label(h: PathHop) -> str:
    """A few words on the arrow; the full label is the arrow's tooltip."""
    if h.kind == "member-of":
        return "member of"
    if h.kind == "access":
        return (h.detail.split(";")[0] if h.detail else "access")[:28]
    if h.kind == "act-as":
        what = h.detail or (h.actions[0] if h.actions else "")
        return f"act as ({what.split(':')[-1]})"[:28] if what else "act as"
    return h.kind


def svg(paths: Iterable[PathPicture], title: str = "") -> str:
    """A standalone SVG element drawing the paths (left: principals; right: the bucket)."""
    paths = list(paths)
    nodes, edges = _union(paths)
    if not nodes:
        return ""
    max_col = max(n.col for n in nodes.values())
    rows: dict[int, int] = {}
    for n in nodes.values():
        n.row = rows.get(n.col, 0)
        rows[n.col] = n.row + 1
    height_rows = max(rows.values())
    width = MARGIN * 2 + max_col * COL_WIDTH + NODE_WIDTH
    height = MARGIN * 2 + height_rows * ROW_HEIGHT

    def pos(n: _Node) -> tuple[float, float]:
        col_rows = rows[n.col]
        offset = (height_rows - col_rows) * ROW_HEIGHT / 2  # centre short columns
        return MARGIN + (max_col - n.col) * COL_WIDTH, MARGIN + offset + n.row * ROW_HEIGHT

    fit = ' style="max-width:100%;height:auto"' if width <= 1800 else ""  # shrink a little, never a lot
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="paths" role="img" width="{width}" height="{height}"{fit} '
           f'viewBox="0 0 {width} {height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" '
           f'font-size="12">']
    if title:
        out.append(f"<title>{html.escape(title)}</title>")
    out.append('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
               'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>')
    for h in edges:
        a, b = nodes[h.source], nodes[h.target]
        (ax, ay), (bx, by) = pos(a), pos(b)
        x1, y1 = ax + NODE_WIDTH, ay + NODE_HEIGHT / 2
        x2, y2 = bx, by + NODE_HEIGHT / 2
        if x2 <= x1:  # same or earlier column: loop around below
            x1, x2 = ax + NODE_WIDTH / 2, bx + NODE_WIDTH / 2
            y1, y2 = ay + NODE_HEIGHT, by + NODE_HEIGHT
            d = f"M {x1:.1f} {y1:.1f} C {x1:.1f} {y1 + 40:.1f}, {x2:.1f} {y2 + 40:.1f}, {x2:.1f} {y2:.1f}"
            lx, ly = (x1 + x2) / 2, max(y1, y2) + 30
        else:
            mid = (x1 + x2) / 2
            d = f"M {x1:.1f} {y1:.1f} C {mid:.1f} {y1:.1f}, {mid:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}"
            lx, ly = x1 + 8, y1 - 5  # at the tail, where arrows have not yet converged on their target
        dash = "" if h.decision == "allow" else ' stroke-dasharray="6 4"'
        colour = "#c0392b" if a.external else "#555"
        label = edge_label(h)
        anchor = "start" if x2 > x1 + NODE_WIDTH / 2 else "middle"
        out.append(f'<g class="hop"><title>{html.escape(f"{h.source} -> {h.target}: {label}")}</title>'
                   f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.5"{dash} '
                   f'marker-end="url(#arrow)"/>'
                   f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="10" fill="#333" '
                   f'paint-order="stroke" stroke="#fff" stroke-width="3">{html.escape(short_edge_label(h))}</text></g>')
    for n in nodes.values():
        x, y = pos(n)
        if n.kind == "bucket":
            fill, stroke, rx = "#e8f0fe", "#1a56db", 14
        elif n.external:
            fill, stroke, rx = "#fde2e2", "#c0392b", 4
        else:
            fill, stroke, rx = "#f4f4f5", "#71717a", 4
        cls = "bucket" if n.kind == "bucket" else ("external" if n.external else "principal")
        first, second = node_lines(n.name)
        cx = x + NODE_WIDTH / 2
        if second:
            text = (f'<text x="{cx:.1f}" y="{y + 15:.1f}" text-anchor="middle" fill="#111">'
                    f'{html.escape(_short(first))}</text>'
                    f'<text x="{cx:.1f}" y="{y + 29:.1f}" text-anchor="middle" font-size="10" fill="#52525b">'
                    f'{html.escape(second)}</text>')
        else:
            text = (f'<text x="{cx:.1f}" y="{y + NODE_HEIGHT / 2 + 4:.1f}" text-anchor="middle" fill="#111">'
                    f'{html.escape(_short(first))}</text>')
        out.append(f'<g class="node {cls}"><title>{html.escape(n.name)}</title>'
                   f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="{rx}" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>{text}</g>')
    out.append("</svg>")
    return "".join(out)
