"""Where the SVG path pictures put things: nodes in columns, every arrow's label in a lane of its own.

Layered: a node's column is its largest distance (in hops) from the bucket, so every path reads left to
right and ends at the bucket on the right. Within a column, nodes start in the order they were first seen
and are then ordered by the mean row of their neighbours (two sweeps), which uncrosses most arrows.

Labels never touch a box or each other by construction: the gap right of each column is a lane that holds
the labels of the arrows leaving that column, stacked at least one label height apart, each no wider than
the lane (text widths by ``textwidth``). Each arrow runs from its source into its label's row, under the
label, and on to its target, so a label sits on its own arrow. An arrow to a node in its own or an earlier
column turns down below the nodes and comes back along a channel of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .model import PathHop, PathPicture
from .textwidth import fit

NODE_WIDTH, NODE_HEIGHT, ROW_HEIGHT, MARGIN = 190, 42, 58, 16
GAP = 160  # the lane between two columns
COL_WIDTH = NODE_WIDTH + GAP
LABEL_SIZE, NAME_SIZE, ACCOUNT_SIZE = 12, 13, 12  # px: nothing smaller than 12 at 100% zoom
LABEL_STEP = 20  # rows of a lane: a 12 px label is about 15 px tall
LABEL_LEFT, LABEL_RIGHT = 14, 14  # room for the arrow to turn into and out of its label's row
LABEL_WIDTH = GAP - LABEL_LEFT - LABEL_RIGHT
CHANNEL_STEP = 14


@dataclass
class Node:
    name: str
    kind: str  # principal | bucket
    external: bool
    col: int = 0
    row: int = 0
    x: float = 0.0
    y: float = 0.0


@dataclass
class Edge:
    hop: PathHop
    source: Node
    target: Node
    label: str
    label_x: float = 0.0
    label_y: float = 0.0  # the label's row: the arrow runs along it, the text sits just above it
    end_y: float = 0.0  # where the arrow meets its target's left side (arrows into one box spread out)
    path: str = ""


@dataclass
class Layout:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


def union(paths: Iterable[PathPicture]) -> tuple[dict[str, Node], list[PathHop]]:
    """Each principal or bucket once, each hop once (by ends, kind and decision); columns by distance."""
    nodes: dict[str, Node] = {}
    edges: dict[tuple, PathHop] = {}
    for p in paths:
        ext = set(p.external)
        k = len(p.hops)
        for i, h in enumerate(p.hops):
            for name, dist in ((h.source, k - i), (h.target, k - i - 1)):
                kind = "bucket" if (h.kind == "access" and name == h.target) else "principal"
                node = nodes.setdefault(name, Node(name, kind, name in ext))
                node.col = max(node.col, dist)
                if kind == "bucket":
                    node.kind = "bucket"
            edges.setdefault((h.source, h.target, h.kind, h.decision), h)
    return nodes, list(edges.values())


def _order(nodes: dict[str, Node], hops: list[PathHop]) -> dict[int, list[Node]]:
    columns: dict[int, list[Node]] = {}
    for n in nodes.values():
        columns.setdefault(n.col, []).append(n)
    neighbours: dict[str, list[str]] = {name: [] for name in nodes}
    for h in hops:
        if h.source != h.target:
            neighbours[h.source].append(h.target)
            neighbours[h.target].append(h.source)

    def renumber() -> None:
        for col in columns.values():
            for i, n in enumerate(col):
                n.row = i

    renumber()
    cols = sorted(columns)
    for sweep in (list(reversed(cols)), cols):  # one sweep each way
        for c in sweep:
            def centre(n: Node, c=c) -> float:
                rows = [nodes[m].row for m in neighbours[n.name] if nodes[m].col != c]
                return sum(rows) / len(rows) if rows else n.row

            columns[c].sort(key=lambda n: (centre(n), n.row))
            renumber()
    return columns


def short_label(h: PathHop) -> str:
    """A few words on the arrow (the table and the arrow's tooltip say the rest)."""
    if h.kind == "member-of":
        return "member of"
    if h.kind == "access":
        levels = [x.strip() for x in (h.detail.split(";")[0] if h.detail else "").split(",") if x.strip()]
        return ", ".join(levels) if levels else "access"
    if h.kind == "act-as":
        what = h.detail or (h.actions[0] if h.actions else "")
        return f"act as ({what.split(':')[-1]})" if what else "act as"
    if h.kind == "assume":
        method = h.detail or ""
        return f"assume ({method})" if method and method != "sts:AssumeRole" else "assume role"
    return h.kind


def fit_levels(text: str, width: float) -> str:
    """A comma-separated list cut to ``width``: "list, read +3" rather than a word cut in half."""
    parts = [p.strip() for p in text.split(",")]
    for keep in range(len(parts), 0, -1):
        candidate = ", ".join(parts[:keep]) + (f" +{len(parts) - keep}" if keep < len(parts) else "")
        if fit(candidate, LABEL_SIZE, width) == candidate:
            return candidate
    return fit(text, LABEL_SIZE, width)


def layout(paths: Iterable[PathPicture]) -> Layout:
    nodes, hops = union(paths)
    if not nodes:
        return Layout()
    columns = _order(nodes, hops)
    max_col = max(columns)
    rows = max(len(c) for c in columns.values())
    top = MARGIN + LABEL_STEP  # room for a lane's first label above the first row
    for c, col in columns.items():
        offset = (rows - len(col)) * ROW_HEIGHT / 2  # centre short columns
        for n in col:
            n.x = MARGIN + (max_col - c) * COL_WIDTH
            n.y = top + offset + n.row * ROW_HEIGHT
    nodes_bottom = top + rows * ROW_HEIGHT
    edges = [Edge(h, nodes[h.source], nodes[h.target], fit_levels(short_label(h), LABEL_WIDTH)) for h in hops]

    # Labels: lane by lane (the lane right of the source's column), spread around the source's middle,
    # then pushed down where they would come closer than one row.
    by_lane: dict[int, list[Edge]] = {}
    for e in edges:
        by_lane.setdefault(e.source.col, []).append(e)
    lowest = nodes_bottom
    for lane in by_lane.values():
        wanted: list[tuple[float, float, Edge]] = []
        by_source: dict[str, list[Edge]] = {}
        for e in lane:
            by_source.setdefault(e.source.name, []).append(e)
        for group in by_source.values():
            group.sort(key=lambda e: (e.target.y, e.target.name, e.hop.kind, e.hop.decision))
            mid = group[0].source.y + NODE_HEIGHT / 2
            for i, e in enumerate(group):
                wanted.append((mid + (i - (len(group) - 1) / 2) * LABEL_STEP, e.target.y, e))
        wanted.sort(key=lambda w: (w[0], w[1]))
        last = None
        for y, _, e in wanted:
            y = max(y, top) if last is None else max(y, last + LABEL_STEP)
            e.label_y, e.label_x = y, e.source.x + NODE_WIDTH + LABEL_LEFT
            last = y
            lowest = max(lowest, y + 6)

    incoming: dict[str, list[Edge]] = {}
    for e in edges:
        incoming.setdefault(e.target.name, []).append(e)
    for group in incoming.values():
        group.sort(key=lambda e: (e.label_y, e.source.y))
        span = NODE_HEIGHT - 16
        for i, e in enumerate(group):
            e.end_y = e.target.y + 8 + (span * (i + 1) / (len(group) + 1) if len(group) > 1 else span / 2)

    channel = lowest + CHANNEL_STEP
    for e in edges:
        e.path = _route(e, channel, columns)
        if e.target.col >= e.source.col:
            channel += CHANNEL_STEP
    width = MARGIN * 2 + max_col * COL_WIDTH + NODE_WIDTH
    height = (channel if any(e.target.col >= e.source.col for e in edges) else lowest) + MARGIN
    return Layout(list(nodes.values()), edges, width, height)


def _route(e: Edge, channel: float, columns: dict[int, list[Node]]) -> str:
    """From the source's right side into the label's row, under the label, on to the target's left side."""
    x1, y1 = e.source.x + NODE_WIDTH, e.source.y + NODE_HEIGHT / 2
    lx0, ly = e.label_x - 8, e.label_y
    lx1 = e.label_x + LABEL_WIDTH
    x2, y2 = e.target.x, e.end_y
    head = (f"M {x1:.1f} {y1:.1f} C {x1 + 14:.1f} {y1:.1f}, {lx0 - 14:.1f} {ly:.1f}, {lx0:.1f} {ly:.1f} "
            f"L {lx1:.1f} {ly:.1f}")
    if e.target.col == e.source.col - 1:
        mid = (lx1 + x2) / 2
        return head + f" C {mid:.1f} {ly:.1f}, {mid:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}"
    if e.target.col < e.source.col:
        # across columns in between: along a height where none of their boxes is
        yf = _free_height(ly, [n for c in range(e.target.col + 1, e.source.col) for n in columns.get(c, ())])
        xa, xb = lx1 + 20, x2 - 36
        return (head + f" C {lx1 + 10:.1f} {ly:.1f}, {xa - 10:.1f} {yf:.1f}, {xa:.1f} {yf:.1f} L {xb:.1f} {yf:.1f} "
                f"C {xb + 18:.1f} {yf:.1f}, {x2 - 18:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}")
    # backwards (or within a column): down to a channel below the nodes, along it, up into the target
    left = x2 - 12
    return (head + f" L {lx1 + 8:.1f} {ly:.1f} L {lx1 + 8:.1f} {channel:.1f} L {left:.1f} {channel:.1f} "
            f"L {left:.1f} {y2:.1f} L {x2:.1f} {y2:.1f}")


def _free_height(y: float, nodes: list[Node]) -> float:
    """The height nearest ``y`` that passes between (or beside) the boxes of ``nodes``."""
    busy = [(n.y - 4, n.y + NODE_HEIGHT + 4) for n in nodes]
    candidates = [y] + [a for a, _ in busy] + [b for _, b in busy]
    free = [c for c in candidates if not any(a < c < b for a, b in busy)]
    return min(free, key=lambda c: (abs(c - y), c))
