"""The path pictures' layout (s3audit/report/layout.py), without a browser: on any set of paths, no arrow
label overlaps another label or a box, labels fit their lane, every node sits in its column's box, and the
text is at least 12 px. The browser test checks the same on the rendered page with the real font."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.report.drawing import svg
from s3audit.report.layout import (LABEL_SIZE, LABEL_WIDTH, NAME_SIZE, NODE_HEIGHT, NODE_WIDTH, ACCOUNT_SIZE,
                                   layout)
from s3audit.report.model import PathHop, PathPicture
from s3audit.report.textwidth import fit, text_width

PRINCIPALS = [f"arn:aws:iam::{a}:role/{r}" for a in ("111111111111", "222222222222", "999999999999")
              for r in ("etl", "partner-integration-with-a-very-long-name", "reader")] + [
    "anonymous", "arn:aws:iam::333333333333:root", "ec2.amazonaws.com", "arn:aws:iam::111111111111:user/dave"]
KINDS = ["assume", "act-as"]
DETAILS = ["list", "list, read", "list, permissions, read, tagging, write", "read; objects reports/*"]


@st.composite
def paths(draw):
    bucket = draw(st.sampled_from(["payments-cardholder-data", "b", "a-bucket-with-a-long-long-long-name"]))
    out = []
    for _ in range(draw(st.integers(1, 12))):
        chain = draw(st.lists(st.sampled_from(PRINCIPALS), min_size=1, max_size=4, unique=True))
        hops = [PathHop(a, b, draw(st.sampled_from(KINDS)), draw(st.sampled_from(["allow", "conditional"])),
                        ("sts:AssumeRole",), draw(st.sampled_from(["", "credentials", "PassRole"])))
                for a, b in zip(chain, chain[1:])]
        hops.append(PathHop(chain[-1], bucket, "access", draw(st.sampled_from(["allow", "conditional"])),
                            ("s3:GetObject",), draw(st.sampled_from(DETAILS))))
        out.append(PathPicture(chain[0], bucket, ("s3:GetObject",), "allow", tuple(hops)))
    return out


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_box(e):
    # the text sits 4 px above its row; a 12 px line reaches about 12 px above its baseline and 3 below
    w = text_width(e.label, LABEL_SIZE)
    base = e.label_y - 4
    return (e.label_x, base - LABEL_SIZE, e.label_x + w, base + 3)


@settings(max_examples=150, deadline=None)
@given(paths())
def test_labels_never_touch_boxes_or_each_other(ps):
    lay = layout(ps)
    nodes = [(n.x, n.y, n.x + NODE_WIDTH, n.y + NODE_HEIGHT) for n in lay.nodes]
    labels = [label_box(e) for e in lay.edges]
    for i, a in enumerate(labels):
        assert a[2] - a[0] <= LABEL_WIDTH + 0.01
        assert not any(overlap(a, n) for n in nodes), "a label overlaps a box"
        assert not any(overlap(a, b) for b in labels[i + 1:]), "two labels overlap"
        assert 0 <= a[1] and a[3] <= lay.height
    for i, a in enumerate(nodes):
        assert not any(overlap(a, b) for b in nodes[i + 1:]), "two boxes overlap"
        assert a[2] <= lay.width and a[3] <= lay.height


@settings(max_examples=50, deadline=None)
@given(paths())
def test_every_path_reads_left_to_right_and_ends_at_the_bucket(ps):
    lay = layout(ps)
    by_name = {n.name: n for n in lay.nodes}
    bucket = by_name[ps[0].bucket]
    assert bucket.x == max(n.x for n in lay.nodes)
    for e in lay.edges:
        if e.target.col < e.source.col:
            assert e.target.x > e.source.x


def test_text_is_never_smaller_than_12px_and_names_fit_their_box():
    ps = [PathPicture("arn:aws:iam::999999999999:role/partner-integration-with-a-very-long-name", "b",
                      ("s3:GetObject",), "allow",
                      (PathHop("arn:aws:iam::999999999999:role/partner-integration-with-a-very-long-name", "b",
                               "access", "allow", ("s3:GetObject",), "list, permissions, read, tagging, write"),))]
    page = svg(ps)
    sizes = {int(x.split('"')[0]) for x in page.split('font-size="')[1:]}
    assert min(sizes) >= 12 and {LABEL_SIZE, NAME_SIZE, ACCOUNT_SIZE} <= sizes
    assert "…" in page  # the long name was cut to fit, not left to spill out of its box
    assert "list, permissions +3" in page  # levels cut at a comma, with how many are left


def test_fit_keeps_the_end_of_names_when_asked():
    name = "role/partner-integration-with-a-very-long-name"
    cut = fit(name, 13, 120, keep_end=True)
    assert cut.startswith("…") and name.endswith(cut[1:]) and text_width(cut, 13) <= 120
    assert fit("short", 12, 200) == "short"
