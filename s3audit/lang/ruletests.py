"""Rule tests, like `opa test`: cases beside each pack say what a rule must and must not find.

A tests file is `NAME.tests.yaml` beside `NAME.s3r`:

```yaml
fixtures:                       # optional: named snapshots the cases share
  clean: fixtures/clean.yaml    # a file (relative to this one: a snapshot or a fragment), or inline
cases:
  - name: a bucket without versioning
    rule: FSBP-S3.14
    snapshot: clean             # a fixture name, a file, `demo` (the bundled demo estate) or inline
    set:                        # optional edits: JSON pointer -> value (null removes the key)
      /accounts/0/s3/buckets/0/Versioning: {}
    params: {}                  # optional parameter values, as an audit profile gives them
    expect:                     # each must match a finding of the rule; `[]`: the rule finds nothing
      - {subject: "arn:aws:s3:::clean-bucket", status: open, message: "versioning"}
    reject:                     # none may match a finding of the rule
      - {subject: "arn:aws:s3:::other"}
```

A *fragment* is a snapshot without the envelope: `accounts` (each filled in with empty `iam` and `s3`),
`organization`, or for one account the shorthands `account` (its id, default 111122223333),
`buckets`, `access_points`, `public_access_block`, `iam`, `kms_keys` and `vpc_endpoints`. A matcher's `message` and `evidence` are
substrings; `subject`, `status` and `key` must be equal.
"""
from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import InputError, Place, S3AuditError

DEFAULT_ACCOUNT = "111122223333"
TAKEN_AT = "2026-01-01T00:00:00Z"


@dataclass
class CaseResult:
    file: str
    name: str
    rule: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the case could not run
    expects_findings: bool | None = None  # True: a failing case; False: a passing case


@dataclass
class TestReport:
    results: list[CaseResult]
    untested: list[str]  # rules with no case
    one_sided: list[str]  # rules without both a passing and a failing case
    seconds: float

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed and not r.skipped)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.results if r.skipped)

    def summary(self) -> str:
        parts = [f"{self.passed} passed"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        return ", ".join(parts) + f" in {self.seconds:.2f}s"


def find_test_files(paths: Sequence[str]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.tests.yaml") if q.is_file()))
        elif p.is_file() and p.name.endswith(".tests.yaml"):
            out.append(p)
        elif p.is_file() and p.suffix == ".s3r":
            sibling = p.with_name(p.name[:-len(".s3r")] + ".tests.yaml")
            if sibling.is_file():
                out.append(sibling)
        elif not p.exists():
            raise InputError(f"cannot read `{raw}`: no such file or directory", Place(raw))
    seen, unique = set(), []
    for q in out:
        if q.resolve() not in seen:
            seen.add(q.resolve())
            unique.append(q)
    return unique


def run_tests(paths: Sequence[str], *, root: str | None = None) -> TestReport:
    """Load the rules in ``paths``, then run every case of the tests files found there."""
    from .evaluate import load_program
    started = time.perf_counter()
    rule_paths = [p for p in paths if not p.endswith(".tests.yaml")]
    base = load_program(rule_paths, root=root)
    programs: dict[str, Any] = {"{}": base}
    results: list[CaseResult] = []
    snapshots = _Snapshots()
    for tf in find_test_files(paths):
        doc = _read_yaml(tf)
        fixtures = doc.get("fixtures") or {}
        if not isinstance(fixtures, Mapping):
            raise InputError("`fixtures` must map names to snapshots", Place(str(tf), pointer="/fixtures"))
        cases = doc.get("cases")
        if not isinstance(cases, list):
            raise InputError("a tests file needs a list of `cases`", Place(str(tf), pointer="/cases"))
        for i, case in enumerate(cases):
            place = Place(str(tf), pointer=f"/cases/{i}")
            results.append(_run_case(tf, case, place, fixtures, base, programs, snapshots, root))
    tested: dict[str, set[bool]] = {}
    for r in results:
        if r.expects_findings is not None:
            tested.setdefault(r.rule, set()).add(r.expects_findings)
    ids = [m.id for m in base.rules]
    untested = [i for i in ids if i not in tested]
    one_sided = [i for i in ids if i in tested and tested[i] != {True, False}]
    return TestReport(results, untested, one_sided, time.perf_counter() - started)


def _read_yaml(path: Path) -> dict:
    from ..yamlio import safe_load
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read `{path}`: {getattr(exc, 'strerror', None) or exc}", Place(str(path))) from None
    doc = safe_load(text, str(path))  # bounded: no alias bomb, no value that contains itself
    if not isinstance(doc, dict):
        raise InputError("a tests file is a mapping with `cases`", Place(str(path)))
    return doc


class _Snapshots:
    """Snapshots (and their access graphs) built once per distinct input."""

    def __init__(self):
        self._snaps: dict[str, Any] = {}
        self._graphs: dict[int, Any] = {}
        self._engines: dict[int, Any] = {}

    def get(self, document: dict, place: Place) -> Any:
        key = json.dumps(document, sort_keys=True, default=str)
        hit = self._snaps.get(key)
        if hit is None:
            from ..snapshot.load import snapshot_from_dict
            try:
                hit = snapshot_from_dict(document, file=place.file)
            except S3AuditError as exc:
                raise InputError(f"the case's snapshot is not valid: {exc.message}"
                                 + (f" (at {exc.place.pointer})" if exc.place and exc.place.pointer else ""),
                                 place) from None
            self._snaps[key] = hit
        return hit

    def engine(self, snap: Any) -> Any:
        e = self._engines.get(id(snap))
        if e is None:
            from ..iam.engine import Engine
            e = self._engines[id(snap)] = Engine(snap)
        return e

    def graph(self, snap: Any) -> Any:
        g = self._graphs.get(id(snap))
        if g is None:
            from ..graph.build import build_graph
            g = self._graphs[id(snap)] = build_graph(snap, self.engine(snap))
        return g


def expand_fragment(fragment: Mapping[str, Any]) -> dict:
    """A fragment as a full format-v1 snapshot document."""
    if "format" in fragment:
        return copy.deepcopy(dict(fragment))
    frag = copy.deepcopy(dict(fragment))
    accounts = frag.pop("accounts", None)
    if accounts is None:
        one = {"id": str(frag.pop("account", DEFAULT_ACCOUNT)), "iam": frag.pop("iam", {}),
               "s3": {"public_access_block": frag.pop("public_access_block", None),
                      "buckets": frag.pop("buckets", []), "access_points": frag.pop("access_points", [])}}
        if "kms_keys" in frag:
            one["kms"] = {"keys": frag.pop("kms_keys")}
        if "vpc_endpoints" in frag:
            one["ec2"] = {"vpc_endpoints": frag.pop("vpc_endpoints")}
        accounts = [one]
    for a in accounts:
        a.setdefault("iam", {})
        s3 = a.setdefault("s3", {})
        s3.setdefault("buckets", [])
        s3.setdefault("access_points", [])
    doc = {"format": "s3audit.snapshot/v1", "taken_at": frag.pop("taken_at", TAKEN_AT),
           "source": {"kind": "manual", "detail": "rule test"}, "accounts": accounts}
    if "organization" in frag:
        doc["organization"] = frag.pop("organization")
    if frag:
        raise ValueError(f"unknown fragment keys: {', '.join(sorted(frag))}")
    return doc


def apply_set(doc: Any, edits: Mapping[str, Any]) -> None:
    """Set (or with None, remove) the value at each JSON pointer; missing objects on the way are created."""
    for pointer, value in edits.items():
        if not isinstance(pointer, str) or not pointer.startswith("/"):
            raise ValueError(f"`{pointer}` is not a JSON pointer")
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        node = doc
        for t in tokens[:-1]:
            if isinstance(node, list):
                node = node[int(t)]
            else:
                node = node.setdefault(t, {})
        last = tokens[-1]
        if isinstance(node, list):
            if last == "-":
                node.append(copy.deepcopy(value))
            elif value is None:
                del node[int(last)]
            else:
                node[int(last)] = copy.deepcopy(value)
        elif value is None:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)


def _load_snapshot_doc(spec: Any, tf: Path, fixtures: Mapping[str, Any], place: Place, depth: int = 0) -> dict:
    if depth > 4:
        raise InputError("fixtures refer to each other in a loop", place)
    if isinstance(spec, Mapping):
        try:
            return expand_fragment(spec)
        except ValueError as exc:
            raise InputError(str(exc), place) from None
    if not isinstance(spec, str):
        raise InputError("`snapshot` must be a fixture name, a file or an inline fragment", place)
    if spec in fixtures:
        return _load_snapshot_doc(fixtures[spec], tf, fixtures, place, depth + 1)
    if spec == "demo":
        from importlib import resources
        return json.loads(resources.files("s3audit.demo").joinpath("estate.json").read_text("utf-8"))
    path = (tf.parent / spec)
    if not path.is_file():
        raise InputError(f"cannot find the snapshot `{spec}` (looked for `{path}`)", place)
    from ..fileio import parse_json
    from ..yamlio import safe_load
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read `{spec}`: {getattr(exc, 'strerror', None) or exc}", place) from None
    data = parse_json(text, str(path)) if path.suffix == ".json" else safe_load(text, str(path))
    if not isinstance(data, Mapping):
        raise InputError(f"`{spec}` is not a snapshot or a fragment", place)
    try:
        return expand_fragment(data)
    except ValueError as exc:
        raise InputError(f"`{spec}`: {exc}", place) from None


_MATCH_KEYS = {"subject", "status", "message", "evidence", "key"}


def _matches(m: Mapping[str, Any], f: Any) -> bool:
    if "subject" in m and f.subject != m["subject"]:
        return False
    if "status" in m and f.status.value != m["status"]:
        return False
    if "message" in m and str(m["message"]) not in f.message:
        return False
    if "evidence" in m and str(m["evidence"]) not in json.dumps(list(f.evidence), default=str):
        return False
    if "key" in m and list(f.key) != list(m["key"] if isinstance(m["key"], list) else [m["key"]]):
        return False
    return True


def _run_case(tf: Path, case: Any, place: Place, fixtures: Mapping[str, Any], base: Any,
              programs: dict[str, Any], snapshots: _Snapshots, root: str | None) -> CaseResult:
    from .evaluate import compile_program, run_rules
    if not isinstance(case, Mapping):
        raise InputError("a case is a mapping with `rule` and `snapshot`", place)
    name = str(case.get("name") or f"case {place.pointer}")
    rule = case.get("rule")
    if not isinstance(rule, str):
        raise InputError("a case needs the `rule` it tests", place)
    result = CaseResult(str(tf), name, rule, True)
    for key in ("expect", "reject"):
        items = case.get(key)
        if items is not None and (not isinstance(items, list) or
                                  not all(isinstance(x, Mapping) and set(x) <= _MATCH_KEYS for x in items)):
            raise InputError(f"`{key}` is a list of matchers with keys {', '.join(sorted(_MATCH_KEYS))}", place)
    params = case.get("params") or {}
    pkey = json.dumps(params, sort_keys=True, default=str)
    program = programs.get(pkey)
    if program is None:
        program = programs[pkey] = compile_program(base.source, params)
    compiled = program.rule(rule)
    if compiled is None:
        result.passed = False
        result.problems.append(f"no rule `{rule}` among the rules loaded")
        return result
    doc = _load_snapshot_doc(case.get("snapshot", {}), tf, fixtures, place)
    if case.get("set"):
        try:
            apply_set(doc, case["set"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise InputError(f"cannot apply `set`: {exc}", place) from None
    snap = snapshots.get(doc, place)
    engine = snapshots.engine(snap)
    if compiled.needs_graph and not _graph_available():
        result.skipped = "the access graph is not available"
        result.expects_findings = bool(case.get("expect")) if case.get("expect") is not None else None
        return result
    graph = snapshots.graph(snap) if compiled.needs_graph else None
    findings = run_rules(program, snap, engine=engine, graph=graph, select=lambda m: m.id == rule).findings
    expect = case.get("expect")
    reject = case.get("reject") or []
    if expect is not None:
        result.expects_findings = bool(expect)
        if not expect and findings:
            result.problems.append("expected no finding, got: " + "; ".join(_show(f) for f in findings))
        for m in expect:
            if not any(_matches(m, f) for f in findings):
                result.problems.append(f"expected a finding matching {json.dumps(m)}, got: "
                                       + ("; ".join(_show(f) for f in findings) or "none"))
    for m in reject:
        bad = [f for f in findings if _matches(m, f)]
        if bad:
            result.problems.append(f"did not expect a finding matching {json.dumps(m)}, got: "
                                   + "; ".join(_show(f) for f in bad))
    result.passed = not result.problems
    return result


def _graph_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("s3audit.graph.build") is not None


def _show(f: Any) -> str:
    return f"[{f.status.value}] {f.subject}: {f.message}"


def render(report: TestReport, *, verbose: bool = False) -> str:
    lines: list[str] = []
    for r in report.results:
        if verbose or not r.passed or r.skipped:
            word = "SKIPPED" if r.skipped else "PASSED" if r.passed else "FAILED"
            lines.append(f"{word} {r.file}::{r.rule}::{r.name}" + (f" ({r.skipped})" if r.skipped else ""))
        for p in r.problems:
            lines.append(f"  {p}")
    if report.untested:
        lines.append("rules without tests: " + ", ".join(report.untested))
    if report.one_sided:
        lines.append("rules without both a passing and a failing case: " + ", ".join(report.one_sided))
    lines.append(report.summary())
    return "\n".join(lines)
