"""The JSON and SARIF reporters write each finding by hand or from its kept text and splice the lists into the
document (report.json.Splice, report.sarif._ResultTexts): byte for byte what the generic encoder writes over
the whole document, for any findings, in any list, with or without suggestions, waivers and locations; path
pictures too (report.json.picture_text), whatever their fields hold."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from s3audit.findings import Finding, Location, Severity, Status
from s3audit.report.json import dumps, finding_text, picture_text, render as render_json
from s3audit.report.model import PathHop, PathPicture, Report, RuleInfo
from s3audit.report.sarif import render as render_sarif, to_sarif

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                          max_leaves=8)
location = st.none() | st.builds(Location, st.sampled_from(["infra/main.tf", "/abs/estate.json", "a b/ü.tf"]),
                                 st.integers(0, 900), st.one_of(st.none(), st.integers(0, 90)))
finding = st.builds(
    Finding, st.sampled_from(["R1", "R2", "ODD\n\"rule"]), st.sampled_from(list(Severity)),
    st.lists(text, max_size=3).map(tuple), text, text, st.sampled_from(list(Status)),
    st.lists(json_value, max_size=3).map(tuple), location, st.none() | text, st.lists(text, max_size=2).map(tuple),
    st.none() | st.dictionaries(st.sampled_from(["reason", "owner", "expires"]), text))
# a picture's fields are text, but one read back from a history file may hold anything JSON does
field = text | st.sampled_from(["allow", "conditional", "arn:aws:iam::111122223333:role/ö"]) | json_value
names = st.lists(text | json_value, max_size=3).map(tuple)
hop = st.builds(PathHop, field, field, field, field, names, field,
                st.lists(st.dictionaries(text, json_value, max_size=3), max_size=2).map(tuple), names)
picture = st.builds(PathPicture, field, field, names, field, st.lists(hop, max_size=3).map(tuple), names, field,
                    field)
RULES = [RuleInfo("R1", "one", Severity.HIGH, ("C:1",)), RuleInfo("R2", "two", Severity.LOW, ())]


@settings(max_examples=150, deadline=None)
@given(st.lists(finding, max_size=6), st.lists(finding, max_size=3), st.lists(finding, max_size=3),
       st.lists(picture, max_size=3), st.data())
def test_spliced_reports_are_the_generic_encoders_bytes(findings, resolved, unchanged, paths, data):
    suggested = data.draw(st.lists(st.sampled_from(findings), max_size=2)) if findings else []
    placed = data.draw(st.lists(st.sampled_from(findings), max_size=3)) if findings else []
    r = Report(findings=findings, rules=list(RULES), packs=[("p", "1")],
               snapshot={"taken_at": "2026-01-01T00:00:00Z", "file": data.draw(st.sampled_from(
                   ["estate.json", "/abs/estate.json", None]))},
               profile={"name": "default"}, fail_on=Severity.HIGH, resolved=resolved, unchanged=unchanged,
               mode="scan", inputs=data.draw(st.sampled_from([["estate.json"], []])), paths=paths,
               suggestions={f.fingerprint: {"summary": "fix it", "text": "é"} for f in suggested},
               # where the snapshot file says a finding's subject is (SARIF's position for a finding without one)
               snapshot_lines={f.fingerprint: data.draw(location.filter(bool)) for f in placed})
    assert render_json(r) == dumps(r.to_json())
    assert render_sarif(r) == dumps(to_sarif(r))
    for f in findings:  # the kept text is the finding's own, two levels deep
        assert finding_text(f) == dumps(f.to_json())[:-1].replace("\n", "\n    ")
    for p in paths:
        assert picture_text(p) == dumps(p.to_json())[:-1].replace("\n", "\n    ")


@settings(max_examples=300, deadline=None)
@given(picture)
def test_a_pictures_text_is_the_generic_encoders(p):
    assert picture_text(p) == dumps(p.to_json())[:-1].replace("\n", "\n    ")
    assert picture_text(p) is picture_text(p)  # kept


def test_a_picture_of_text_fields_is_written_by_hand():
    p = PathPicture("arn:aws:iam::111122223333:user/a", "b", ("s3:GetObject",), "conditional", (
        PathHop("arn:aws:iam::111122223333:user/a", "b", "access", "conditional", ("s3:GetObject", "s3:ListBucket"),
                "read", ({"explanation": "only over TLS", "conditions": [{"key": "aws:SecureTransport"}]},),
                ("tls",)),), ("*",), "data-class=pci", "f" * 32)
    assert picture_text(p) == dumps(p.to_json())[:-1].replace("\n", "\n    ")


# ---- written in pieces (a night's reports are hundreds of megabytes: never whole in memory) ----

@settings(max_examples=80, deadline=None)
@given(st.lists(finding, max_size=9), st.lists(finding, max_size=4), st.lists(picture, max_size=4),
       st.integers(1, 4))
def test_reports_in_pieces_join_to_the_generic_encoders_bytes(findings, resolved, paths, chunk):
    from s3audit import chunked
    from s3audit.report import json as report_json, sarif as report_sarif
    r = Report(findings=findings, rules=list(RULES), packs=[("p", "1")], mode="scan", resolved=resolved,
               snapshot={"taken_at": "2026-01-01T00:00:00Z", "file": "estate.json"}, profile={"name": "default"},
               fail_on=Severity.HIGH, paths=paths)
    saved, chunked.CHUNK = chunked.CHUNK, chunk  # lists longer than a piece: every boundary is crossed
    try:
        pieces, listed, places = report_json.render_streamed(r)
        pieces = list(pieces)
        sarif_pieces = list(report_sarif.render_pieces(r))
    finally:
        chunked.CHUNK = saved
    text = "".join(pieces)
    assert text == dumps(r.to_json())
    assert "".join(sarif_pieces) == dumps(to_sarif(r))
    assert listed == r.sorted_findings
    for f, at in zip(listed, places):  # each place is where the finding's text starts in the file
        assert text[at:at + len(finding_text(f))] == finding_text(f)
    if len(findings) > chunk:  # a list longer than a piece is written in several
        assert len(pieces) > 3 and len(sarif_pieces) > 3


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(["b1", "b2", "bé", "a"]),
                       st.lists(st.tuples(text, st.sampled_from(["read", "write"]), st.sampled_from(
                           ["allow", "conditional"])), max_size=3), max_size=4), st.integers(1, 3))
def test_access_json_in_pieces_is_the_generic_encoders_bytes(rows, chunk):
    import json

    from s3audit import access_file, chunked
    blocks = {b: access_file.block((p, b, lv, d) for p, lv, d in found) for b, found in rows.items()}
    saved, chunked.CHUNK = chunked.CHUNK, chunk
    try:
        written = "".join(access_file.pieces(blocks))
    finally:
        chunked.CHUNK = saved
    every = [row for b in sorted(rows) for row in sorted([p, b, lv, d] for p, lv, d in rows[b])]
    assert written == json.dumps({"format": access_file.FORMAT, "access": every}) + "\n"
