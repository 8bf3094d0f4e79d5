"""The input kinds s3audit reads outside IaC: snapshots (JSON and gzip), audit profiles (YAML), rule files,
request lines for `explain --requests`, and findings files (`diff`, `--baseline`). Each is registered with the
harness; the bases are the files in ``corpus/`` (written for these tests) and the repository's own examples."""
from __future__ import annotations

import gzip
import json
import math
import re
import shutil
import zlib
from functools import lru_cache
from pathlib import Path

import yaml
from hypothesis import strategies as st

from s3audit.profile import load_yaml_with_places

from .harness import Case, InputKind, register, run_cli
from .mutations import (DEEP, SchemaPositions, any_mutation, dumps, encode, hostile_text, hostile_value,
                        text_mutation, truncation, typed_mutation)

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"
SNAPSHOT_TEXT = (CORPUS / "snapshot.json").read_text()
SNAPSHOT = json.loads(SNAPSHOT_TEXT)
TODAY = "2026-12-01"


@lru_cache(maxsize=None)
def _schema(*parts: str) -> SchemaPositions:
    return SchemaPositions(json.loads((ROOT / "s3audit" / Path(*parts)).read_text()))


def strict_json(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 JSON that a strict reader accepts (the reference the readers must agree with
    when they refuse)."""
    try:
        text = data.decode("utf-8-sig")
        json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)),
                   parse_float=lambda t: float(t) if math.isfinite(float(t)) else (_ for _ in ()).throw(ValueError(t)))
        return True
    except (ValueError, RecursionError):
        return False


def _prepare(work: Path) -> None:
    """The files the commands refer to, in the work folder: the base snapshot and profile (with its rules)."""
    (work / "base.json").write_text(SNAPSHOT_TEXT)
    shutil.copytree(CORPUS / "rules", work / "rules", dirs_exist_ok=True)
    (work / "profile.yaml").write_text((CORPUS / "profile.yaml").read_text())
    (work / "base-findings.json").write_text(findings_text())


# ---- snapshots ----

def _json_cases(base: dict, text: str, schema: SchemaPositions) -> st.SearchStrategy:
    """The cases of a JSON document validated against ``schema``."""
    data = text.encode()
    return st.one_of(
        typed_mutation(base, schema).map(lambda r: Case(dumps(r[0]), True, r[1])),
        hostile_value(base).map(lambda r: Case(dumps(r[0]), True, r[1])),
        any_mutation(base).map(lambda r: Case(dumps(r[0]), False, r[1])),
        text_mutation(text).map(lambda r: Case(encode(r[0]), not strict_json(encode(r[0])), r[1])),
        truncation(data).map(lambda r: Case(r[0], True, r[1])),
        hostile_text().map(lambda r: Case(r[0], True, r[1])),
    )


_MARKER = SNAPSHOT_TEXT.index('"format"')
SNAPSHOT_CASES = st.one_of(
    _json_cases(SNAPSHOT, SNAPSHOT_TEXT, _schema("snapshot", "schema.json")),
    # the format marker cut: the file ends inside it
    st.integers(_MARKER + 1, _MARKER + len('"format": "s3audit.snapshot/v1"')).map(
        lambda n: Case(SNAPSHOT_TEXT[:n].encode(), True, f"marker cut at {n}")),
    st.just(Case(json.dumps({**SNAPSHOT, "accounts": []}).encode(), True, "no account")),
)

EXPLAIN_ANONYMOUS = ["--principal", "anonymous", "--action", "s3:GetObject", "--resource",
                     "arn:aws:s3:::zz-no-such-bucket-anywhere/x"]

# Commands are drawn evenly: listing the cheap one twice keeps the run within its minute while the costly ones
# (every rule, the whole access graph) still see hundreds of cases.
_explain = lambda f, w, r: ["explain", str(f), *EXPLAIN_ANONYMOUS]  # noqa: E731
register(InputKind(
    name="snapshot", suffix=".json", cases=SNAPSHOT_CASES, examples=1300, prepare=_prepare,
    commands=(
        lambda f, w, r: ["check", str(f), "--today", TODAY, "--format", "json", "-o", f"json={r}"],
        _explain, _explain,
        lambda f, w, r: ["paths", str(f), "--from", "external", "--format", "json"],
    )))


# ---- gzip snapshots ----

def _gunzip_verdict(data: bytes) -> bool:
    """Whether a gzip file is certainly unacceptable: it does not inflate, or not to a strict JSON snapshot."""
    try:
        text = gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return True
    return text != SNAPSHOT_TEXT.encode() and not strict_json(text)


@st.composite
def _gzip_case(draw) -> Case:
    packed = gzip.compress(SNAPSHOT_TEXT.encode(), mtime=0)
    how = draw(st.sampled_from(["cut", "flip", "garbage", "twice", "hostile", "typed", "bomb"]))
    if how == "cut":
        n = draw(st.integers(0, len(packed) - 1))
        return Case(packed[:n], True, f"gzip cut at {n}")
    if how == "flip":
        i = draw(st.integers(0, len(packed) - 1))
        data = packed[:i] + bytes([packed[i] ^ draw(st.integers(1, 255))]) + packed[i + 1:]
        return Case(data, _gunzip_verdict(data), f"gzip byte {i} flipped")
    if how == "garbage":
        data = packed + draw(st.binary(min_size=1, max_size=16).filter(lambda b: b.strip(b"\0")))
        return Case(data, True, "gzip with trailing garbage")
    if how == "twice":  # two members: gunzip concatenates them; two documents are not JSON
        return Case(packed + packed, True, "two gzip members")
    if how == "hostile":
        text, note = draw(hostile_text())
        return Case(gzip.compress(text, mtime=0), True, f"gzip of {note}")
    if how == "bomb":  # a small file that inflates enormously must not be read whole (see test_hostile_inputs)
        return Case(gzip.compress(b"[" * DEEP * 10, mtime=0), True, "gzip of a million brackets")
    doc, note = draw(typed_mutation(SNAPSHOT, _schema("snapshot", "schema.json")))
    return Case(gzip.compress(dumps(doc), mtime=0), True, f"gzip of {note}")


register(InputKind(
    name="snapshot-gzip", suffix=".json.gz", cases=_gzip_case(), examples=400, prepare=_prepare,
    commands=(
        lambda f, w, r: ["check", str(f), "--today", TODAY, "-o", f"json={r}"],
        lambda f, w, r: ["explain", str(f), *EXPLAIN_ANONYMOUS],
    )))


# ---- audit profiles ----

PROFILE_TEXT = (CORPUS / "profile.yaml").read_text()
PROFILE = load_yaml_with_places(PROFILE_TEXT, "profile.yaml")[0]  # dates kept as the text they are


def _yaml_fails(data: bytes) -> bool:
    """Whether the YAML parser s3audit uses (libyaml's, when PyYAML has it) refuses the text."""
    try:
        yaml.load(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return False
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError, ValueError, TypeError):
        return True


def _alias_bomb(width: int, depth: int) -> bytes:
    lines = ["profile: bomb", 'a0: &a0 ["lol"]']
    for i in range(1, depth + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return ("\n".join(lines) + "\n").encode()


@st.composite
def _profile_case(draw) -> Case:
    how = draw(st.sampled_from(["typed", "text", "bomb", "self", "deep", "hostile", "alias-ok"]))
    if how == "typed":
        doc, note = draw(typed_mutation(PROFILE, _schema("schemas", "profile.schema.json")))
        return Case(yaml.safe_dump(doc, allow_unicode=False).encode(), True, note)
    if how == "text":
        text, note = draw(text_mutation(PROFILE_TEXT))
        data = encode(text)
        return Case(data, _yaml_fails(data), note)
    if how == "bomb":
        width = draw(st.integers(2, 9))
        depth = next(d for d in range(1, 40) if width ** d > 200_000)
        return Case(_alias_bomb(width, depth), True, f"alias bomb {width}^{depth}")
    if how == "self":
        text = draw(st.sampled_from(["profile: x\nscope: &s {tags: *s}\n", "profile: x\npacks: &p [*p]\n",
                                     "profile: &n x\nwaivers: &w [{rule: *n, resource: *w}]\n"]))
        return Case(text.encode(), True, "self-referencing alias")
    if how == "deep":
        return Case(b"profile: x\nparams:\n  p: " + b"[" * DEEP + b"]" * DEEP + b"\n", True, "nested 100,000 deep")
    if how == "alias-ok":  # aliases within bounds are YAML, and fine
        return Case(b"profile: ok\nsensitive: {data-class: &c [pci, personal]}\nscope: {tags: {data-class: *c}}\n",
                    False, "a small alias")
    data, note = draw(hostile_text())
    return Case(data, True, note)  # empty, blank, not UTF-8, not YAML: never a profile


register(InputKind(
    name="profile", suffix=".yaml", cases=_profile_case(), examples=900, prepare=_prepare,
    commands=(lambda f, w, r: ["check", str(w / "base.json"), "--profile", str(f), "--today", TODAY,
                               "--format", "json", "-o", f"json={r}"],)))


# ---- rule files ----

RULE_TEXTS = [(ROOT / "rules" / "examples.s3r").read_text(), (CORPUS / "rules" / "extra.s3r").read_text()] + \
    re.findall(r"```s3r\n(.*?)```", (ROOT / "rules" / "README.md").read_text(), re.S)


@st.composite
def _rule_case(draw) -> Case:
    how = draw(st.sampled_from(["text", "text", "text", "cut", "hostile", "deep"]))
    if how == "text":
        text, note = draw(text_mutation(draw(st.sampled_from(RULE_TEXTS))))
        data = encode(text)
        try:
            data.decode("utf-8")
            bad = False
        except UnicodeDecodeError:
            bad = True
        return Case(data, bad, note)
    if how == "cut":
        data, note = draw(truncation(draw(st.sampled_from(RULE_TEXTS)).encode()))
        return Case(data, False, note)
    if how == "deep":
        depth = draw(st.sampled_from([300, 5_000, DEEP]))
        expr = "(" * depth + "true" + ")" * depth
        # accepted or refused, but never a crash or a hang
        return Case(f'rule D-1 "deep"\n  severity low\n  for bucket b\n  require {expr}\n  message "x"\n'.encode(),
                    False, f"parentheses {depth} deep")
    data, note = draw(hostile_text())
    try:
        data.decode("utf-8")
        bad = False  # an empty file is a rule file without rules; the rest is for the parser to refuse
    except UnicodeDecodeError:
        bad = True
    return Case(data, bad, note)


register(InputKind(
    name="rule-file", suffix=".s3r", cases=_rule_case(), examples=700, prepare=_prepare, quotes_lines=True,
    commands=(lambda f, w, r: ["rules", "check", str(f)],
              lambda f, w, r: ["rules", "check", str(f)],
              lambda f, w, r: ["check", str(w / "base.json"), "--rules", str(f), "--today", TODAY,
                               "-o", f"json={r}"])))


# ---- request lines ----

REQUEST_LINES = (CORPUS / "requests.jsonl").read_text().splitlines()
REQUEST_SCHEMA = SchemaPositions({
    "type": "object", "required": ["principal", "action", "resource"],
    "properties": {"principal": {"type": "string"}, "action": {"type": "string"}, "resource": {"type": "string"},
                   "context": {"type": ["object", "null"], "additionalProperties": {
                       "type": ["string", "number", "boolean", "null", "array"],
                       "items": {"type": ["string", "number", "boolean"]}}}}})


def _lines_fail(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return True
    return any(line.strip() and not strict_json(line.encode()) for line in text.split("\n"))


@st.composite
def _request_case(draw) -> Case:
    lines = list(REQUEST_LINES)
    how = draw(st.sampled_from(["typed", "hostile", "text", "cut", "hostile-file"]))
    if how in ("typed", "hostile"):
        i = draw(st.integers(0, len(lines) - 1))
        request = json.loads(lines[i])
        doc, note = draw(typed_mutation(request, REQUEST_SCHEMA) if how == "typed" else hostile_value(request))
        lines[i] = json.dumps(doc, allow_nan=True)
        return Case(("\n".join(lines) + "\n").encode(), True, f"line {i + 1}: {note}")
    text = "\n".join(lines) + "\n"
    if how == "text":
        mutated, note = draw(text_mutation(text))
        data = encode(mutated)
        return Case(data, _lines_fail(data), note)
    if how == "cut":
        data, note = draw(truncation(text.encode()))
        return Case(data, _lines_fail(data), note)
    data, note = draw(hostile_text())
    return Case(data, _lines_fail(data), note)


register(InputKind(
    name="request-lines", suffix=".jsonl", cases=_request_case(), examples=900, prepare=_prepare,
    commands=(lambda f, w, r: ["explain", str(w / "base.json"), "--requests", str(f)],
              lambda f, w, r: ["explain", str(w / "base.json"), "--requests", str(f), "--format", "text"])))


# ---- findings files ----

@lru_cache(maxsize=1)
def findings_text() -> str:
    """A findings file of the base snapshot, as `check --format json` writes it today."""
    outcome = run_cli(["check", str(CORPUS / "snapshot.json"), "--today", TODAY, "--format", "json"])
    assert outcome.status in (0, 1), outcome.err
    return outcome.out


def _findings_cases() -> st.SearchStrategy:
    text = findings_text()  # made when first drawn from, by the command it then feeds
    return _json_cases(json.loads(text), text, _schema("schemas", "findings.schema.json"))


register(InputKind(
    name="findings", suffix=".json", cases=st.deferred(_findings_cases), examples=800, prepare=_prepare,
    commands=(lambda f, w, r: ["diff", str(f), str(w / "base-findings.json"), "-o", f"json={r}"],
              lambda f, w, r: ["diff", str(w / "base-findings.json"), str(f), "-o", f"json={r}"],
              lambda f, w, r: ["check", str(w / "base.json"), "--baseline", str(f), "--today", TODAY,
                               "-o", f"json={r}"])))
