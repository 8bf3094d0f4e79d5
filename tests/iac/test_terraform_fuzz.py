"""Mutated plans and configurations never crash s3audit: every error is exit 2 at the file and place it is about.

Hypothesis mutates the plan and configuration fixtures (values replaced by values of other types, keys dropped,
elements inserted; HCL text with tokens inserted, cut or swapped). Reading one either succeeds or fails with an
input error that names the mutated file and a place in it: a line (HCL), or a JSON pointer into that plan, never
into the snapshot s3audit builds from it (`<input>: at /accounts/0/...`). A few examples run through the command
line: exit 0, 1 or 2, and no traceback. `bench/`'s fuzz runs (see tests/iac/test_terraform_fuzz.py's history)
found the crash sites these guard: plan parts of the wrong type (plan_shape.py), argument values of the wrong
type (arguments.py), unknown nested blocks (resource.one/many).
"""
from __future__ import annotations

import contextlib
import copy
import glob
import io
import json
import os
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.errors import S3AuditError
from s3audit.sources.iac import load_change, typed_snapshot

from .conftest import ROOT

PLANS = sorted(glob.glob(str(ROOT / "fixtures/terraform-plans/*.json")))
DIRS = sorted(d.rstrip("/") for d in glob.glob(str(ROOT / "fixtures/terraform/*/")))
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2**40), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(max_size=8), st.sampled_from(["*", "true", "{", '{"Statement": 3}', "arn:aws:s3:::b"]),
                   st.lists(st.sampled_from([1, "a", None, {}]), max_size=3),
                   st.dictionaries(st.sampled_from(["a", "bucket", "policy", "actions"]), st.sampled_from([1, "x", []]),
                                   max_size=2))
HCL_TOKENS = ['"', "{", "}", "[", "]", "(", ")", "=", ",", "\n", "${", "%{", "<<EOF\n", "null", "true", '"true"', "1",
              "var.x", "local.x", "module.x.y", "each.key", "count.index", "jsonencode(", "...", "[*]", "? :", "for x in",
              "=>", "#", "/*", "\\", "é", 'dynamic "statement" {', "content {", "for_each = ", "count = ", "try(",
              "toset(", "-", "!"]


def _paths(v, p=()):
    yield p
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _paths(x, p + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _paths(x, p + (i,))


@st.composite
def mutated_plans(draw):
    src = draw(st.sampled_from(PLANS))
    with open(src, encoding="utf-8") as fh:
        doc = json.load(fh)
    paths = [p for p in _paths(doc) if p]
    for _ in range(draw(st.integers(1, 3))):
        p = draw(st.sampled_from(paths))
        parent = doc
        try:
            for k in p[:-1]:
                parent = parent[k]
            what = draw(st.sampled_from(["replace", "replace", "drop", "insert"]))
            if what == "replace":
                parent[p[-1]] = copy.deepcopy(draw(VALUES))
            elif what == "drop" and isinstance(parent, dict):
                del parent[p[-1]]
            elif what == "insert" and isinstance(parent, list):
                parent.insert(p[-1], draw(VALUES))
        except (KeyError, IndexError, TypeError):
            pass
    return src, doc


@st.composite
def mutated_configs(draw):
    src = draw(st.sampled_from(DIRS))
    files = sorted(f for f in glob.glob(os.path.join(src, "**", "*"), recursive=True)
                   if f.endswith((".tf", ".tf.json", ".tfvars")))
    target = draw(st.sampled_from(files))
    with open(target, encoding="utf-8") as fh:
        text = fh.read()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        what = draw(st.sampled_from(["insert", "cut", "swap"]))
        if what == "insert":
            text = text[:i] + draw(st.sampled_from(HCL_TOKENS)) + text[i:]
        elif what == "cut":
            text = text[:i] + text[i + draw(st.integers(1, 30)):]
        else:
            text = text[:i] + draw(st.sampled_from(HCL_TOKENS)) + text[i + draw(st.integers(1, 8)):]
    return src, os.path.relpath(target, src), text


def _read_or_place(read, file_prefix: str) -> None:
    try:
        typed_snapshot(read(), [file_prefix])
    except S3AuditError as e:
        place = e.place
        assert place is not None and (place.file or "").startswith(file_prefix), str(e)
        assert place.line is not None or place.pointer is not None or "not UTF-8" in str(e), str(e)
        assert "/accounts/" not in (place.pointer or ""), str(e)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(mutated_plans())
def test_a_mutated_plan_reads_or_fails_at_a_place_in_the_plan(tmp_path, case):
    src, doc = case
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    _read_or_place(lambda: load_change(terraform_plans=[str(path)]), str(path))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(mutated_configs())
def test_a_mutated_configuration_reads_or_fails_at_a_line_of_it(tmp_path, case):
    src, rel, text = case
    work = tmp_path / "w"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(src, work)
    (work / rel).write_text(text, encoding="utf-8", errors="surrogatepass")
    _read_or_place(lambda: load_change(terraform=[str(work)]), str(work))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(mutated_plans())
def test_the_command_line_on_a_mutated_plan_exits_0_1_or_2_without_a_traceback(tmp_path, case):
    from s3audit.cli import main
    src, doc = case
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["check", "--terraform-plan", str(path), "--format", "json", "--today", "2026-11-26"])
    assert status in (0, 1, 2) and "Traceback" not in err.getvalue()
    if status == 2:
        assert str(path) in err.getvalue()
