"""The last run's index (lastrun: fingerprints, statuses and places of findings.json's findings, in columns)
gives the comparison the whole file would, and is not believed when its columns are not what it writes."""
from __future__ import annotations

import gzip
import json
import os

from hypothesis import HealthCheck, given, settings, strategies as st

from s3audit import lastrun
from s3audit.audit import compare as compare_whole
from s3audit.findings import Finding, Severity, Status
from s3audit.report.json import render_streamed
from s3audit.report.model import Report

RUN = "2026-01-01T000000Z"
finding = st.builds(Finding, st.sampled_from(["R1", "R2"]), st.sampled_from(list(Severity)), st.just(()),
                    st.sampled_from(["arn:aws:s3:::a", "arn:aws:s3:::b", "arn:aws:s3:::ü"]), st.just("m"),
                    st.sampled_from(list(Status)))


def render_indexed(report: Report) -> tuple[str, list, list[int]]:
    """findings.json's text as a scan writes it (``render_streamed``, joined), its findings and their places."""
    pieces, listed, places = render_streamed(report)
    return "".join(pieces), listed, places


def _written(directory: str, findings: list[Finding]) -> dict:
    """The previous run as a scan writes it: findings.json and the index."""
    os.makedirs(os.path.join(directory, RUN), exist_ok=True)
    text, listed, places = render_indexed(Report(findings=findings))
    with open(os.path.join(directory, RUN, "findings.json"), "w", encoding="utf-8") as fh:
        fh.write(text)
    lastrun.save(directory, lastrun.index(RUN, lastrun.digest(text), lastrun.columns(listed), places))
    return {"id": RUN, "files": {"findings": "findings.json"}}


def _same(got, want) -> bool:
    return [[(f.fingerprint, f.status) for f in part] for part in got] == \
        [[(f.fingerprint, f.status) for f in part] for part in want]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(finding, max_size=8, unique_by=lambda f: f.fingerprint),
       st.lists(finding, max_size=8, unique_by=lambda f: f.fingerprint))
def test_the_index_compares_as_the_whole_file(tmp_path_factory, before, after):
    directory = str(tmp_path_factory.mktemp("h"))
    previous = _written(directory, before)
    doc = lastrun.load(directory, previous)
    assert doc is not None and len(doc["fingerprints"]) == len(doc["statuses"]) == len(doc["places"]) == len(before)
    assert lastrun._indexed(directory, previous, doc) is not None  # believed: the file is the one indexed
    # as the whole file read back: its findings in the file's order
    assert _same(lastrun.compare(directory, previous, after, doc),
                 compare_whole(Report(findings=before).sorted_findings, after))


def test_columns_that_are_not_as_written_are_not_believed(tmp_path):
    directory = str(tmp_path)
    before = [Finding("R1", Severity.HIGH, (), f"arn:aws:s3:::b{i}", "m") for i in range(3)]
    previous = _written(directory, before)
    with gzip.open(os.path.join(directory, lastrun.FILE), "rt") as fh:
        doc = json.load(fh)
    assert lastrun._indexed(directory, previous, doc) is not None
    for key, column in (("places", [True, 1, 2]), ("places", doc["places"][:2]), ("statuses", ["open", "shut", "open"]),
                        ("fingerprints", [1, 2, 3]), ("statuses", "ooo"), ("fingerprints", None)):
        edited = dict(doc, **{key: column})
        assert lastrun._indexed(directory, previous, edited) is None, (key, column)
        # the comparison is still right: the file is read whole
        assert _same(lastrun.compare(directory, previous, before[1:], edited),
                     compare_whole(Report(findings=before).sorted_findings, before[1:]))


@settings(max_examples=60, deadline=None)
@given(st.lists(finding, max_size=8), st.lists(finding, max_size=3))
def test_each_place_is_where_its_finding_starts_in_the_file(findings, resolved):
    text, listed, places = render_indexed(Report(findings=findings, resolved=resolved))
    assert [f.fingerprint for f in listed] == [f.fingerprint for f in Report(findings=findings).sorted_findings]
    decode = json.JSONDecoder().raw_decode
    assert [decode(text, at)[0] for at in places] == [f.to_json() for f in listed]
    assert json.loads(text)["findings"] == [f.to_json() for f in listed]


@settings(max_examples=150, deadline=None)
@given(st.lists(finding, max_size=10), st.dictionaries(st.sampled_from(range(10)), st.sampled_from(list(Status))))
def test_new_and_unchanged_is_the_rule_finding_by_finding(after, was):
    """New: a finding the previous run did not have, one that was waived and counts now, one that was unknown and
    is open now; the rest unchanged; both in the order given."""
    from s3audit.audit import new_and_unchanged
    before = {after[i].fingerprint: status for i, status in was.items() if i < len(after)}

    def is_new(f):
        b = before.get(f.fingerprint)
        return b is None or (f.status is not Status.WAIVED and (
            b is Status.WAIVED or (b is Status.UNKNOWN and f.status is Status.OPEN)))
    new, unchanged = new_and_unchanged(before, iter(after))
    assert new == [f for f in after if is_new(f)] and unchanged == [f for f in after if not is_new(f)]


def test_kept_access_rows_are_compared_with_the_file_a_piece_at_a_time():
    from s3audit.lastrun import _is_text
    raw = '{"format": "é", "access": [1, 2]}\n'.encode("utf-8")
    assert _is_text(iter(['{"format": "é", ', '"access": [1', ", 2]}\n"]), raw)
    assert not _is_text(iter(['{"format": "e", ', '"access": [1', ", 2]}\n"]), raw)  # differs inside a piece
    assert not _is_text(iter(['{"format": "é", ', '"access": [1']), raw)  # the file goes on
    assert not _is_text(iter(['{"format": "é", ', '"access": [1', ", 2]}\n", " "]), raw)  # the file ends first
    assert _is_text(iter([]), b"") and not _is_text(iter([""]), b"x")
