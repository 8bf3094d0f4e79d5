"""An incremental night equals a full run: for random edits to a snapshot (a bucket policy, a role's trust or
identity policy, an SCP, a group membership, a new account), reusing the units whose inputs did not change gives
exactly the findings, access map and pictures of computing everything (issue 15)."""
from __future__ import annotations

import copy
import gzip
import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit import lastrun
from s3audit.findings import fingerprint
from s3audit.report.access import DEFAULT_SENSITIVE
from s3audit.report.json import TEXT, dumps, in_list
from s3audit.shards import store
from s3audit.shards.analysis import Source, analyse
from s3audit.shards.location import digest_of
from s3audit.snapshot.load import snapshot_from_dict

from .conftest import synthetic_estate


def _source(doc: dict) -> Source:
    text = json.dumps(doc)
    return Source("memory", digest_of(text), snapshot_from_dict(copy.deepcopy(doc)), doc)


def _run(doc, history=None, full=False):
    return analyse(_source(doc), access=True, sensitive=DEFAULT_SENSITIVE, history=history, full=full)


def _same(a, b) -> None:
    key = lambda fs: [json.dumps(f.to_json(), sort_keys=True) + repr((f.pointer, f.key)) for f in fs]  # noqa: E731
    assert key(a.run.findings) == key(b.run.findings)
    for f in (*a.run.findings, *b.run.findings):  # what a reused finding brings from the history is its own
        assert f.fingerprint == fingerprint(f.rule, f.subject, f.key)
        kept = f.__dict__.get(TEXT)
        assert kept is None or kept == dumps(f.to_json())[:-1].replace("\n", "\n    ")
    assert a.access == b.access
    assert [p.to_json() for p in a.pictures] == [p.to_json() for p in b.pictures]
    for p in (*a.pictures, *b.pictures):  # and so is a reused picture's text in findings.json
        kept = p.__dict__.get(TEXT)
        assert kept is None or kept == in_list(p.to_json())


@pytest.fixture(scope="module")
def night_one(tmp_path_factory):
    base = tmp_path_factory.mktemp("night1")
    doc = json.loads(synthetic_estate(base / "estate.json", accounts=3, roles=36, users=15, buckets=60,
                                      seed=11).read_text())
    history = base / "history"
    history.mkdir()
    first = _run(doc, str(history))
    assert first.stats["computed"] == first.stats["units"] > 0
    return doc, history


# ---- edits
def _bucket_policy(doc, r):
    a = r.choice(doc["accounts"])
    b = r.choice(a["s3"]["buckets"])
    other = r.choice(doc["accounts"])["id"]
    b["Policy"] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": r.choice([f"arn:aws:iam::{other}:root", "*"])},
         "Action": r.choice(["s3:GetObject", "s3:*", "s3:ListBucket"]),
         "Resource": [f"arn:aws:s3:::{b['Name']}", f"arn:aws:s3:::{b['Name']}/*"]}]}


def _trust_policy(doc, r):
    a = r.choice(doc["accounts"])
    role = r.choice(a["iam"]["RoleDetailList"])
    who = r.choice([{"AWS": r.choice(doc["accounts"])["id"]}, {"Service": "lambda.amazonaws.com"},
                    {"AWS": "arn:aws:iam::999999999999:root"}])
    role["AssumeRolePolicyDocument"] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": who, "Action": "sts:AssumeRole"}]}


def _role_policy(doc, r):
    a = r.choice(doc["accounts"])
    role = r.choice(a["iam"]["RoleDetailList"])
    b = r.choice(r.choice(doc["accounts"])["s3"]["buckets"])["Name"]
    role["RolePolicyList"] = [{"PolicyName": "edited", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": r.choice(["s3:GetObject", "s3:*", "sts:AssumeRole"]),
         "Resource": r.choice([f"arn:aws:s3:::{b}/*", "*"])}]}}]


def _scp(doc, r):
    pol = r.choice(doc["organization"]["policies"])
    pol["Document"] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": r.choice(["s3:GetObject", "s3:PutObject", "sts:AssumeRole"]), "Resource": "*"}]}


def _membership(doc, r):
    a = r.choice(doc["accounts"])
    if not a["iam"]["UserDetailList"]:
        return
    u = r.choice(a["iam"]["UserDetailList"])
    u["GroupList"] = [] if u.get("GroupList") else [r.choice(a["iam"]["GroupDetailList"])["GroupName"]]


def _new_account(doc, r):
    n = len(doc["accounts"])
    acct = f"{555500000000 + n:012d}"
    bucket = f"new-{acct}"
    doc["accounts"].append({"id": acct, "name": f"new-{n}", "iam": {
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [{"RoleName": "reader", "Arn": f"arn:aws:iam::{acct}:role/reader", "RoleId": "AROANEW",
                            "Path": "/", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                                {"Effect": "Allow", "Principal": {"AWS": doc["accounts"][0]["id"]},
                                 "Action": "sts:AssumeRole"}]},
                            "RolePolicyList": [{"PolicyName": "r", "PolicyDocument": {"Version": "2012-10-17",
                                                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                               "Resource": "*"}]}}],
                            "AttachedManagedPolicies": [], "InstanceProfileList": []}]},
        "s3": {"buckets": [{"Name": bucket, "Region": "us-east-1", "Tags": {"data-class": "pci"}}],
               "access_points": []}})
    doc["organization"]["accounts"].append({"Id": acct, "Name": f"new-{n}", "Parent": "ou-prod"})


EDITS = [_bucket_policy, _trust_policy, _role_policy, _scp, _membership, _new_account]


@settings(max_examples=18, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(EDITS), min_size=1, max_size=3), st.randoms(use_true_random=False))
def test_an_incremental_night_equals_a_full_run(night_one, tmp_path_factory, edits, r):
    doc, stored = night_one
    doc = copy.deepcopy(doc)
    doc["taken_at"] = "2026-01-02T00:00:00Z"
    for edit in edits:
        edit(doc, r)
    history = tmp_path_factory.mktemp("night2")
    _copy_units(stored, history)
    incremental = _run(doc, str(history))
    _same(incremental, _run(doc))
    # the night after, nothing changed: everything is reused, and still the same
    again = _run(doc, str(history))
    assert again.stats["reused"] == again.stats["units"]
    _same(again, incremental)


def test_a_night_after_a_bucket_change_reuses_the_other_buckets(night_one, tmp_path):
    doc, stored = night_one
    doc = copy.deepcopy(doc)
    doc["taken_at"] = "2026-01-02T00:00:00Z"
    bucket = doc["accounts"][1]["s3"]["buckets"][3]
    bucket["Versioning"] = {"Status": "Enabled"}
    _copy_units(stored, tmp_path)
    got = _run(doc, str(tmp_path))
    assert got.stats["computed"] == 1 and got.stats["reused"] == got.stats["units"] - 1
    _same(got, _run(doc))
    assert _run(doc, str(tmp_path), full=True).stats["computed"] == got.stats["units"]  # --full reuses nothing


@pytest.mark.parametrize("spoil", ["retexted", "untexted", "unshaped", "unaccessed", "broken line", "rekeyed"])
def test_a_unit_whose_kept_results_are_spoiled_is_computed_again(night_one, tmp_path, spoil):
    # a units history edited by hand or damaged (a kept text made another finding's with the line's checksum
    # left as it was, a text removed, a result of the wrong shape, access rows that are not text, a line cut
    # short, a line whose keys are not those its head in the index gives) is never half-reused: the units it
    # spoils are computed again (after the run planned to reuse them by the index), the others reused
    doc, stored = night_one
    kept = store.load(str(stored))
    spoiled = set()
    lines = {}
    for name, entry in sorted(kept.entries.items()):
        texts = entry["result"]["texts"]
        rule = next((r for r, t in sorted(texts.items()) if t), None)
        if rule is None or len(spoiled) == 3:
            lines[name] = kept.spans[name]
            continue
        spoiled.add(name)
        as_kept = store.line(name, entry)
        if spoil == "retexted":
            texts[rule][0] = texts[rule][0].replace('"severity": "', '"severity": "X', 1)
        elif spoil == "untexted":
            texts[rule].pop()
        elif spoil == "unshaped":
            entry["result"]["findings"][rule][0] = "not a finding"
        elif spoil == "unaccessed":
            entry["result"]["access"] = [["p", name, "read", "allow"]]
        elif spoil == "rekeyed":  # a whole line, checksum and all, of other inputs than its head's
            entry["key"] = "0" * 64
        line = store.line(name, entry)
        if spoil == "retexted":
            line = as_kept[:8] + line[8:]  # edited by hand: the checksum is the line's before
        lines[name] = line[:-7] if spoil == "broken line" else line
    assert len(spoiled) == 3
    store.save(str(tmp_path), kept.global_digest, lines, kept)
    kept.close()
    got = _run(copy.deepcopy(doc), str(tmp_path))
    assert got.stats["computed"] == 3 and got.stats["reused"] == got.stats["units"] - 3
    _same(got, _run(copy.deepcopy(doc)))


def _copy_units(source, target) -> None:
    for name in (store.FILE, store.INDEX):
        shutil.copy(source / name, target / name)


def test_a_night_appends_the_units_it_computed_and_reuses_the_rest_in_place(night_one, tmp_path):
    # the log keeps the lines of reused units where they are: a night appends the line of each unit it
    # computed, and its index (the commit) names them; the lines named before are still the log's first bytes
    doc, stored = night_one
    _copy_units(stored, tmp_path)
    before = (tmp_path / store.FILE).read_bytes()
    kept = store.load(str(tmp_path))
    names = sorted(kept.spans)
    lines = {n: store.line(n, kept.entries[n]) if n == names[1] else kept.spans[n] for n in names}
    store.save(str(tmp_path), kept.global_digest, lines, kept)
    kept.close()
    after = (tmp_path / store.FILE).read_bytes()
    assert after == before + lines[names[1]].encode() + b"\n"
    again = store.load(str(tmp_path))
    assert set(again.entries) == set(names) and again.spans[names[1]].start == len(before)
    assert again.spans[names[0]] == lines[names[0]]
    again.close()


def test_a_log_mostly_of_lines_no_longer_named_is_written_afresh(night_one, tmp_path):
    # when most units are computed again, their old lines would outweigh the current ones: a new log (under a
    # new id) holds only the current lines, in the order of the units
    doc, stored = night_one
    _copy_units(stored, tmp_path)
    kept = store.load(str(tmp_path))
    names = sorted(kept.spans)
    lines = {n: store.line(n, kept.entries[n]) if i % 2 else kept.spans[n] for i, n in enumerate(names)}
    store.save(str(tmp_path), kept.global_digest, lines, kept)
    kept.close()
    raw = (tmp_path / store.FILE).read_bytes().splitlines(keepends=True)
    assert json.loads(raw[0])["log"] != json.loads((stored / store.FILE).read_bytes().split(b"\n")[0])["log"]
    assert [json.loads(x.split(b" ", 1)[1])[0] for x in raw[1:]] == names
    again = store.load(str(tmp_path))
    assert set(again.entries) == set(names)
    again.close()


def test_a_night_that_stopped_before_its_index_leaves_the_last_one_true(night_one, tmp_path):
    # lines appended by a run that died before writing its index are not named by any index: the next load
    # reads what the last index names, and the next save cuts them off before appending
    doc, stored = night_one
    _copy_units(stored, tmp_path)
    good = (tmp_path / store.FILE).read_bytes()
    with open(tmp_path / store.FILE, "ab") as fh:
        fh.write(b"00000000 half a line of a run that was kil")
    kept = store.load(str(tmp_path))
    names = sorted(kept.spans)
    assert set(kept.entries) == set(names)
    store.save(str(tmp_path), kept.global_digest, {n: kept.spans[n] for n in names[1:]}
               | {names[0]: store.line(names[0], kept.entries[names[0]])}, kept)
    kept.close()
    assert (tmp_path / store.FILE).read_bytes().startswith(good) and b"kil" not in (tmp_path / store.FILE).read_bytes()
    again = store.load(str(tmp_path))
    assert set(again.entries) == set(names)
    again.close()


@pytest.mark.parametrize("spoil", ["no index", "index of another log", "log cut short", "not JSON",
                                   "lines that overlap", "nested too deep", "a head of another shape",
                                   "a caller that is not text"])
def test_units_that_cannot_be_trusted_are_not_used(night_one, tmp_path, spoil):
    doc, stored = night_one
    _copy_units(stored, tmp_path)
    index = tmp_path / store.INDEX
    if spoil == "no index":
        index.unlink()
    elif spoil == "index of another log":
        index.write_text(index.read_text().replace('"log":"', '"log":"0', 1))
    elif spoil == "log cut short":
        log = tmp_path / store.FILE
        log.write_bytes(log.read_bytes()[:-10])
    elif spoil == "lines that overlap":  # every unit named by the whole log: each byte would be read again
        doc_ = json.loads(index.read_text())
        doc_["units"] = {name: [1, doc_["length"]] for name in doc_["units"]}
        index.write_text(json.dumps(doc_))
    elif spoil == "nested too deep":
        index.write_text("[" * 100_000 + "]" * 100_000)
    elif spoil in ("a head of another shape", "a caller that is not text"):
        doc_ = json.loads(index.read_text())
        name = sorted(doc_["units"])[0]
        if spoil == "a head of another shape":
            doc_["units"][name] = doc_["units"][name][:2]
        else:
            doc_["units"][name][4] = [1]
        index.write_text(json.dumps(doc_))
    else:
        index.write_text("{not json")
    assert store.load(str(tmp_path)) is None


def test_scan_full_and_incremental_write_the_same_history(cli, tmp_path):
    estate = synthetic_estate(tmp_path / "night1.json", accounts=3, roles=30, users=12, buckets=40, seed=3)
    doc = json.loads(estate.read_text())
    doc["taken_at"] = "2026-01-02T00:00:00Z"
    doc["accounts"][0]["s3"]["buckets"][0]["Policy"] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{doc['accounts'][0]['s3']['buckets'][0]['Name']}/*"}]}
    for b in doc["accounts"][1]["s3"]["buckets"][:3]:  # findings that the next night reports resolved
        b["Versioning"] = {"Status": "Enabled"}
        b["Encryption"] = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}
    night2 = tmp_path / "night2.json"
    night2.write_text(json.dumps(doc))
    runs = {}
    # incremental: units and the last run's index reused; full: units recomputed; unindexed and edited: the
    # previous findings.json and access.json read whole (no index, or files that are no longer the ones indexed)
    # rotated and zeroed: an index edited by hand (a valid file whose places hold other findings) is not
    # believed; the file is read whole
    hows = ("incremental", "full", "unindexed", "edited", "rotated", "zeroed")
    for how in hows:
        history = tmp_path / how
        cli("scan", "--history", history, "--snapshot", estate, "--today", "2026-01-01")
        if how == "unindexed":
            (history / lastrun.FILE).unlink()
        elif how in ("rotated", "zeroed"):
            with gzip.open(history / lastrun.FILE, "rt") as fh:
                index = json.load(fh)
            places = index["places"]
            index["places"] = places[1:] + places[:1] if how == "rotated" else [0] * len(places)
            lastrun.save(str(history), index)
        elif how == "edited":
            for old in history.glob("2026-01-01*/*.json"):  # findings.json and access.json
                old.write_text(json.dumps(json.loads(old.read_text()), indent=1))
        extra = ["--full"] if how == "full" else []
        status, out, err = cli("scan", "--history", history, "--snapshot", night2, "--today", "2026-01-02", *extra)
        assert status == 1, err
        (run,) = [p for p in history.iterdir() if p.is_dir() and p.name.startswith("2026-01-02")]
        runs[how] = {p.name: p.read_bytes() for p in run.iterdir() if p.name != "snapshot.json.gz"}
        runs[how]["stdout"] = out.encode()
    assert all(runs[how] == runs["full"] for how in hows), [how for how in hows if runs[how] != runs["full"]]
    assert json.loads(runs["full"]["diff.json"])["resolved"]
    assert {"findings.json", "diff.json", "access.json", "report.html"} <= set(runs["full"])


def test_the_units_read_the_same_with_the_standard_library_as_with_orjson(night_one, monkeypatch):
    # orjson is a dependency for speed only: where it is missing, json reads the same history the same way
    import json as standard

    from s3audit import ownjson
    doc, stored = night_one
    fast = store.load(str(stored))
    monkeypatch.setattr(ownjson, "loads", standard.loads)
    slow = store.load(str(stored))
    assert fast.entries == slow.entries and fast.spans == slow.spans and fast.global_digest == slow.global_digest
    assert len(fast.entries) > 10
    fast.close()
    slow.close()


@given(st.lists(st.one_of(st.text(), st.binary()), max_size=6))
def test_a_digest_hashed_at_once_is_the_digest_of_its_parts_one_at_a_time(parts):
    # the keys of kept units are digests of many small parts; hashing them at once must give what hashing
    # them one at a time gave, or every history kept before would be computed again for nothing
    import hashlib

    from s3audit.shards.keys import _h
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p)
        h.update(b"\0")
    try:
        got = _h(*parts)
    except UnicodeEncodeError:  # a lone surrogate is not text a snapshot can hold (JSON read as UTF-8)
        return
    assert got == h.hexdigest()


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet=st.characters(max_codepoint=126)),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.text(alphabet=st.characters(max_codepoint=126), max_size=5), inner, max_size=4),
                    max_leaves=20))
def test_a_value_s_canonical_text_is_the_standard_library_s_on_ascii(value):
    # keys.py writes the values it hashes with orjson where it can: on ASCII data (DEL aside) that is the
    # standard library's text, so the digests a history kept before stay the same (integers beyond 64 bits,
    # which orjson refuses, are written by the standard library)
    from s3audit.shards.keys import _canon
    assert _canon(value) == json.dumps(value, sort_keys=True, separators=(",", ":"))
