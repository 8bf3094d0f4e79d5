"""access.json as blocks of text per bucket (``s3audit.access_file``): the same file as dumping the sorted rows,
and access changes computed block by block equal to comparing the whole maps."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from s3audit.access_file import blocks_of, changes, pieces, rows_of
from s3audit.report.access import access_changes

_names = st.sampled_from(["a", "b", "b-1", "ü", "x\"y", "arn:aws:iam::1:role/r", "*"])
_levels = st.sampled_from(["list", "read", "write", "permissions", "tagging", "other"])
_maps = st.dictionaries(st.tuples(_names, _names, _levels), st.sampled_from(["allow", "conditional"]), max_size=30)


@given(_maps)
def test_the_file_is_the_rows_sorted_by_bucket_then_principal_then_level(access):
    rows = sorted(([p, b, lv, d] for (p, b, lv), d in access.items()), key=lambda r: (r[1], r[0], r[2]))
    assert "".join(pieces(blocks_of(access))) == json.dumps({"format": "s3audit.access/v1", "access": rows}) + "\n"
    assert rows_of(blocks_of(access), {b for _, b, _ in access}) == access  # and reads back whole


@settings(max_examples=200)
@given(_maps, _maps, st.sets(_names))
def test_changes_by_blocks_are_the_changes_of_the_whole_maps(before, after, same):
    # buckets in `same` keep last night's rows: their blocks are equal and are not read
    after = {k: d for k, d in after.items() if k[1] not in same} | {k: d for k, d in before.items() if k[1] in same}
    assert [c.to_json() for c in changes(blocks_of(before), blocks_of(after))] == \
        [c.to_json() for c in access_changes(before, after)]


def test_the_previous_night_is_taken_from_the_kept_blocks_only_when_they_make_its_file(tmp_path):
    from s3audit import lastrun
    access = {("p", "b1", "read"): "allow", ("q", "b2", "write"): "conditional"}
    (tmp_path / "run1").mkdir()
    (tmp_path / "run1" / "access.json").write_text("".join(pieces(blocks_of(access))))
    previous = {"id": "run1"}
    kept = blocks_of(access)
    assert lastrun.access(str(tmp_path), previous, None, kept) is kept  # nothing parsed
    # kept rows that are not the file's (another night's, or edited): the file is what was written
    other = blocks_of({**access, ("p", "b1", "read"): "conditional"})
    assert lastrun.access(str(tmp_path), previous, None, other) == kept
    assert lastrun.access(str(tmp_path), {"id": "run0"}, None, kept) is None  # that run wrote no access.json
