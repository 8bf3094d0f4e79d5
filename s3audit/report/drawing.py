"""Pictures of access paths: Mermaid text (Markdown) and SVG drawn by s3audit itself (HTML, no scripts).

Both draw the union of some paths: each principal or bucket once, each hop once. Where the SVG puts things
is ``layout``'s business (columns, and a lane of labels between them so that no label touches a box or
another label); this module draws it: arrows first, then their labels on a white halo, then the boxes.
Every text is at least 12 px at 100% zoom; the full names and hop descriptions are tooltips.
"""
from __future__ import annotations

import html
from typing import Iterable

from .layout import (ACCOUNT_SIZE, LABEL_SIZE, NAME_SIZE, NODE_HEIGHT, NODE_WIDTH, layout, union)
from .model import PathHop, PathPicture
from .textwidth import fit, text_width


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
    nodes, edges = union(paths)
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

def node_lines(name: str) -> tuple[str, str]:
    """Two lines for a node: what it is (role/x, user/y, root, a bucket) and, smaller, its account."""
    parts = name.split(":", 5)
    if name.startswith("arn:") and len(parts) == 6:
        account, resource = parts[4], parts[5]
        if resource == "root":
            return f"account {account}", "root"
        return resource, account or parts[2]
    return name, ""


_STYLE = {"bucket": ("#e8f0fe", "#1a56db", 14), "external": ("#fde2e2", "#c0392b", 4),
          "principal": ("#f4f4f5", "#71717a", 4)}


def svg(paths: Iterable[PathPicture], title: str = "") -> str:
    """A standalone SVG element drawing the paths (left: principals; right: the bucket)."""
    lay = layout(paths)
    if not lay.nodes:
        return ""
    w, h = lay.width, lay.height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="paths" role="img" width="{w:.0f}" height="{h:.0f}" '
           f'viewBox="0 0 {w:.0f} {h:.0f}" font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
           f'font-size="{LABEL_SIZE}">']
    if title:
        out.append(f"<title>{html.escape(title)}</title>")
    out.append('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
               'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>')
    for e in lay.edges:
        dash = "" if e.hop.decision == "allow" else ' stroke-dasharray="6 4"'
        colour = "#c0392b" if e.source.external else "#555"
        tip = f"{e.hop.source} -> {e.hop.target}: {edge_label(e.hop)}"
        out.append(f'<path class="arrow" d="{e.path}" fill="none" stroke="{colour}" stroke-width="1.5"{dash} '
                   f'marker-end="url(#arrow)"><title>{html.escape(tip)}</title></path>')
    for e in lay.edges:
        tip = f"{e.hop.source} -> {e.hop.target}: {edge_label(e.hop)}"
        out.append(f'<g class="hop"><title>{html.escape(tip)}</title><text class="label" x="{e.label_x:.1f}" '
                   f'y="{e.label_y - 4:.1f}" font-size="{LABEL_SIZE}" fill="#27272a" paint-order="stroke" '
                   f'stroke="#fff" stroke-width="4" stroke-linejoin="round">{html.escape(e.label)}</text></g>')
    for n in lay.nodes:
        cls = "bucket" if n.kind == "bucket" else ("external" if n.external else "principal")
        fill, stroke, rx = _STYLE[cls]
        first, second = node_lines(n.name)
        cx = n.x + NODE_WIDTH / 2
        room = NODE_WIDTH - 12
        # a name too long at 13 px is tried at 12 (the smallest text the pictures use) before it is cut
        size = NAME_SIZE if text_width(first, NAME_SIZE) <= room else ACCOUNT_SIZE
        name = html.escape(fit(first, size, room, keep_end=True))
        if second:
            text = (f'<text x="{cx:.1f}" y="{n.y + 18:.1f}" text-anchor="middle" font-size="{size}" '
                    f'fill="#111">{name}</text>'
                    f'<text x="{cx:.1f}" y="{n.y + 34:.1f}" text-anchor="middle" font-size="{ACCOUNT_SIZE}" '
                    f'fill="#52525b">{html.escape(fit(second, ACCOUNT_SIZE, room))}</text>')
        else:
            text = (f'<text x="{cx:.1f}" y="{n.y + NODE_HEIGHT / 2 + 5:.1f}" text-anchor="middle" '
                    f'font-size="{size}" fill="#111">{name}</text>')
        out.append(f'<g class="node {cls}"><title>{html.escape(n.name)}</title>'
                   f'<rect x="{n.x:.1f}" y="{n.y:.1f}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="{rx}" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>{text}</g>')
    out.append("</svg>")
    return "".join(out)
