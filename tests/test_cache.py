"""The per-user cache (s3audit.cache): parsed rule files and "this exact document is valid" marks.

What matters is that a cache can only save time: a hit gives what the slow path would, a changed input
never hits, errors are never cached, and a damaged or disabled cache just means the slow path.
"""
from __future__ import annotations

import os

import pytest

from s3audit.errors import ProfileError, SnapshotError
from s3audit.lang import load as rule_load
from s3audit.lang import parse as rule_parse
from s3audit.profile import parse_profile
from s3audit.snapshot import load as snapshot_load

RULE = 'rule T-1 "Buckets have names"\n  severity low\n  for bucket b\n  require b.name != ""\n  message "{b.name}"\n'


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("S3AUDIT_NO_CACHE", raising=False)
    return tmp_path / "s3audit"


def _entries(cache, prefix):
    return sorted(n for n in os.listdir(cache) if n.startswith(prefix)) if cache.exists() else []


def _no_parsing(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("parsed although the cache holds this file")
    monkeypatch.setattr(rule_parse, "parse_rules", fail)


def test_a_parsed_rule_file_is_read_back_from_the_cache(cache, tmp_path, monkeypatch):
    f = tmp_path / "r" / "t.s3r"
    f.parent.mkdir()
    f.write_text(RULE)
    first = rule_load.load_rules([str(f)])
    assert len(_entries(cache, "rules-")) == 1
    _no_parsing(monkeypatch)
    second = rule_load.load_rules([str(f)])
    assert second.files == first.files and second.files[0].source == RULE


def test_changed_rule_text_is_parsed_again(cache, tmp_path):
    f = tmp_path / "t.s3r"
    f.write_text(RULE)
    rule_load.load_rules([str(f)])
    f.write_text(RULE.replace("T-1", "T-2"))
    assert rule_load.load_rules([str(f)]).files[0].rules[0].id.text == "T-2"
    assert len(_entries(cache, "rules-")) == 2


def test_a_damaged_entry_means_parsing_afresh(cache, tmp_path):
    f = tmp_path / "t.s3r"
    f.write_text(RULE)
    first = rule_load.load_rules([str(f)])
    for name in _entries(cache, "rules-"):
        (cache / name).write_bytes(b"not a pickle")
    assert rule_load.load_rules([str(f)]).files == first.files


def test_no_cache_when_turned_off(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("S3AUDIT_NO_CACHE", "1")
    f = tmp_path / "t.s3r"
    f.write_text(RULE)
    rule_load.load_rules([str(f)])
    assert not cache.exists()


def test_syntax_errors_are_not_cached(cache, tmp_path):
    from s3audit.errors import RuleError
    from s3audit.lang.evaluate import load_program
    f = tmp_path / "t.s3r"
    f.write_text(RULE.replace("require", "requir"))
    for _ in range(2):
        with pytest.raises(RuleError):
            load_program([str(f)])
    assert _entries(cache, "rules-") == []


PROFILE = "profile: p\nfail_on: high\n"


def test_a_valid_profile_is_validated_once(cache, monkeypatch):
    parse_profile(PROFILE, "p.yaml")
    assert len(_entries(cache, "valid-profile-")) == 1
    import s3audit.profile as profile_module
    monkeypatch.setattr(profile_module, "_validate", lambda *a: pytest.fail("validated again"))
    assert parse_profile(PROFILE, "p.yaml").fail_on == "high"


def test_an_invalid_profile_is_reported_every_time(cache):
    for _ in range(2):
        with pytest.raises(ProfileError, match="fial_on"):
            parse_profile("profile: p\nfial_on: high\n", "p.yaml")
    assert _entries(cache, "valid-profile-") == []


def _doc(taken_at="2026-11-26T05:00:00Z", account="123456789012"):
    return {"format": "s3audit.snapshot/v1", "taken_at": taken_at,
            "accounts": [{"id": account, "iam": {}, "s3": {"buckets": [{"Name": "b"}]}}]}


def test_a_remembered_snapshot_is_not_validated_again_whatever_its_time(cache, monkeypatch):
    snapshot_load.snapshot_from_dict(_doc(), remember_valid=True)
    monkeypatch.setattr(snapshot_load, "validate", lambda *a: pytest.fail("validated again"))
    snap = snapshot_load.snapshot_from_dict(_doc(taken_at="2026-11-27T06:00:00Z"), remember_valid=True)
    assert [b.name for b in snap.buckets] == ["b"]


def test_an_invalid_snapshot_is_reported_even_after_a_valid_one(cache):
    snapshot_load.snapshot_from_dict(_doc(), remember_valid=True)
    with pytest.raises(SnapshotError, match="12-digit"):
        snapshot_load.snapshot_from_dict(_doc(account="abc"), remember_valid=True)
    with pytest.raises(SnapshotError):
        snapshot_load.snapshot_from_dict(_doc(taken_at="yesterday"), remember_valid=True)
    # a list and a tuple are the same JSON text but not the same to the validator
    doc = _doc()
    doc["accounts"] = tuple(doc["accounts"])
    with pytest.raises(SnapshotError):
        snapshot_load.snapshot_from_dict(doc, remember_valid=True)


def test_check_reports_a_bad_template_value_on_every_run(cache, tmp_path, capsys):
    from s3audit.cli import main
    template = tmp_path / "t.yaml"
    template.write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B:\n    Type: AWS::S3::Bucket\n'
                        '    Properties:\n      Tags: [{Key: a, Value: [1]}]\n')
    # (a number would be read as its text, as CloudFormation reads it; a list is no tag value)
    for _ in range(2):
        assert main(["check", str(template), "--format", "json", "-o", str(tmp_path / "f.json")]) == 2
        assert "`B.Tags[0].Value` must be a string, found a list" in capsys.readouterr().err


# ---- pruning: one entry per template a hook has seen would otherwise grow without end ----

def _age(path, days):
    t = os.stat(path).st_mtime - days * 86400
    os.utime(path, (t, t))


def test_entries_unused_for_a_month_are_pruned_once_a_day(cache, monkeypatch):
    from s3audit import cache as c
    monkeypatch.setattr(c, "_pruned", False)
    directory = c.cache_dir()  # first use today: prunes (nothing yet) and stamps
    old, fresh = os.path.join(directory, "valid-snapshot-old"), os.path.join(directory, "valid-snapshot-new")
    for p in (old, fresh):
        open(p, "wb").close()
    _age(old, c.KEEP_DAYS + 1)
    _age(fresh, c.KEEP_DAYS - 1)
    monkeypatch.setattr(c, "_pruned", False)
    c.cache_dir()  # stamped less than a day ago: no pruning yet
    assert os.path.exists(old)
    _age(os.path.join(directory, ".pruned"), 2)
    monkeypatch.setattr(c, "_pruned", False)
    c.cache_dir()
    assert not os.path.exists(old) and os.path.exists(fresh)


def test_a_hit_keeps_an_entry_alive(cache, monkeypatch):
    from s3audit import cache as c
    monkeypatch.setattr(c, "_pruned", True)
    c.remember_valid("profile", "abc")
    path = os.path.join(c.cache_dir(), "valid-profile-abc")
    _age(path, c.KEEP_DAYS + 1)
    assert c.known_valid("profile", "abc")
    import time
    assert c.prune(c.cache_dir(), time.time() - c.KEEP_DAYS * 86400) == 0  # the hit refreshed its time
    assert os.path.exists(path)


# The compiled schema gate of large snapshots (schemas/validate.py): its generated code is kept, and a gate read
# back from the cache gives the same verdicts; a damaged entry means compiling afresh.
_GATE_SCHEMA = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "pattern": "^x+$"}}}


def test_the_compiled_gate_is_read_back_from_the_cache(cache, monkeypatch):
    import fastjsonschema

    from s3audit.schemas.validate import compiled_gate
    first = compiled_gate(_GATE_SCHEMA)
    assert len(_entries(cache, "gate-")) == 1

    def fail(*a, **k):
        raise AssertionError("compiled although the cache holds this gate")
    monkeypatch.setattr(fastjsonschema, "compile", fail)
    second = compiled_gate(_GATE_SCHEMA)
    for document in ({"a": "xx"}, {"a": "xy"}, {"a": "xx\n"}, {}, {"a": 1}, []):
        assert second(document) is first(document)
    assert second({"a": "xx"}) is True and second({"a": "xy"}) is False


def test_a_damaged_gate_entry_is_compiled_afresh(cache):
    from s3audit.schemas.validate import compiled_gate
    compiled_gate(_GATE_SCHEMA)
    (entry,) = _entries(cache, "gate-")
    (cache / entry).write_bytes(b"\x00not marshal")
    again = compiled_gate(_GATE_SCHEMA)
    assert again({"a": "x"}) is True and again({"a": "y"}) is False
