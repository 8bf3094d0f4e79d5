"""The rule language's checker, loader and `s3audit rules check`.

Error cases are data (cases/check_errors.yaml): each asserts the exact file:line:column, message and
hint. The rest: what the checker hands the evaluator (types, bindings, calls, operator meanings, the
order of definitions), the audit profile's parameters, imports read from disk, the command line, and the
checked-in examples and documentation.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from s3audit.cli import main
from s3audit.lang import types as T
from s3audit.lang.check import check, check_program
from s3audit.lang.load import load_rules
from s3audit.lang.parse import parse_rules
from s3audit.lang.program import Program

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
CHECK_CASES = yaml.safe_load((HERE / "cases" / "check_errors.yaml").read_text())


def diag_dicts(ds):
    return [{"code": d.code, "at": str(d.span), "message": d.message, **({"hint": d.hint} if d.hint else {})}
            for d in ds]


@pytest.mark.parametrize("case", CHECK_CASES, ids=[c["name"] for c in CHECK_CASES])
def test_check_error(case):
    if "files" in case:
        program = Program.from_files([parse_rules(text, path) for path, text in case["files"].items()])
        got = check(program)
    else:
        got = check(parse_rules(case["source"], "r.s3r"))
    assert diag_dicts(got) == case["expect"]


def test_every_diagnostic_code_has_a_case():
    """Each kind of error the checker can report is exercised by at least one case."""
    source = (ROOT / "s3audit" / "lang" / "check.py").read_text()
    codes = set(re.findall(r'self\.error\(\s*"([a-z-]+)"', source))
    covered = {d["code"] for c in CHECK_CASES for d in c["expect"]}
    # reported only with an audit profile, or by the loader: tested below
    assert codes - covered <= {"unknown-parameter", "missing-parameter", "duplicate-import"}


def rules_text(body: str) -> str:
    return f'rule R "t"\n  severity high\n  for bucket b\n  {body}\n  message "m"\n'


# ------------------------------------------------------------------------------ what the evaluator gets
def test_result_types_bindings_calls_and_operators():
    rf = parse_rules(
        'param trusted: set<string> = {}\n'
        'def pci(b: bucket) = b.tags["data-class"] == "pci"\n'
        'rule R "t" severity high for bucket b where pci(b)\n'
        '  forbid path p from (external or anonymous) - trusted to b with access read\n'
        '  message "{p.start.arn} reaches {b.name} in {p.length} hops"\n', "r.s3r")
    result = check_program(rf)
    assert result.ok and result.diagnostics == []
    rule = rf.rules[0]
    req = rule.requirement
    assert result.type_of(req.source) == T.PRINCIPALS
    assert result.ops[req.source] == "selector-difference"
    assert result.ops[req.source.left] == "selector-union"
    assert result.names[req.source.right].kind == "param"
    assert result.names[req.source.left.left].kind == "constant"
    assert result.type_of(req.target) == T.RecordT("bucket")
    call = rule.subject.where
    target = result.calls[call]
    assert (target.kind, target.name, target.file) == ("def", "pci", "r.s3r")
    assert target.args == (("b", call.args[0].value),)
    start_arn, length = rule.message.parts[0], rule.message.parts[4]
    assert result.type_of(start_arn) == T.STRING and result.type_of(length) == T.NUMBER
    assert result.names[start_arn.target.target].binder is req.var
    assert [d.decl.name.text for d in result.defs] == ["pci"]
    assert result.type_of(rf.defs[0].body) == T.BOOL
    assert result.params["trusted"].type == T.SetT(T.STRING)
    assert [(r.rule.id.text, r.runs) for r in result.rules] == [("R", True)]


def test_builtin_call_binds_positional_named_and_default_arguments():
    rf = parse_rules(rules_text('forbid public(b, access: "write") or public(b)'), "r.s3r")
    result = check_program(rf)
    assert result.ok
    first, second = rf.rules[0].requirement.expr.left, rf.rules[0].requirement.expr.right
    assert result.calls[first].args == (("resource", first.args[0].value), ("access", first.args[1].value))
    assert result.calls[second].args == (("resource", second.args[0].value), ("access", None))
    assert result.calls[first].signature is T.FUNCTIONS["public"]


def test_definitions_are_ordered_callees_first():
    rf = parse_rules('def a(x: number) = b(x) and c(x)\ndef b(x: number) = c(x)\ndef c(x: number) = x > 1\n',
                     "r.s3r")
    assert [d.decl.name.text for d in check_program(rf).defs] == ["c", "b", "a"]


def test_equal_subexpressions_in_different_scopes_get_their_own_types():
    """Types are recorded per node, not per value: `x` is a string in one quantifier, a number in another."""
    rf = parse_rules(rules_text('require (any x in ["a"]: x == "a") and (any x in [1]: x == 1)'), "r.s3r")
    result = check_program(rf)
    assert result.ok
    left, right = rf.rules[0].requirement.expr.left, rf.rules[0].requirement.expr.right
    assert left.body.left == right.body.left  # the same Name("x") by value
    assert result.type_of(left.body.left) == T.STRING
    assert result.type_of(right.body.left) == T.NUMBER


@pytest.mark.parametrize("body, op", [
    ('require b.versioning.enabled or b.logging.enabled', "bool-or"),
    ('require b.region in ["eu-west-1"]', "in-collection"),
    ('require "owner" in b.tags', "in-map"),
    ('require "prod" in b.name', "in-string"),
    ('require not (b.account in external)', "in-selector"),
    ('require b.region not in ["us-east-1"]', "not-in-collection"),
    ('require all r in b.lifecycle.rules: r.expiration + 1d <= 366d', "duration-add"),
    ('require len(b.name) - 1 > 2', "number-sub"),
    ('require len(keys(b.tags) - {"owner"}) == 0', "set-difference"),
    ('require len(b.policy.statements + b.policy.statements) >= 0', "list-concat"),
    ('require allowed(principal: anonymous + "111122223333", action: "s3:GetObject", resource: b)',
     "selector-union"),
])
def test_operator_meanings(body, op):
    rf = parse_rules(rules_text(body), "r.s3r")
    result = check_program(rf)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert op in {v for _k, v in result.ops.items()}


def test_error_types_do_not_cascade():
    """One mistake, one message: what depends on an erroneous expression is not reported again."""
    ds = check(parse_rules(rules_text('require b.encrypton.algorithm == "aws:kms" and not b.encrypton.x'), "r.s3r"))
    assert [d.message for d in ds] == ["bucket has no field `encrypton`"] * 2


def test_at_most_ten_errors_then_a_note():
    body = " and ".join(f"b.nope{i}" for i in range(14))
    ds = check(parse_rules(rules_text(f"require {body}"), "r.s3r"))
    assert [d.code for d in ds] == ["unknown-field"] * 10 + ["too-many-errors"]
    assert ds[-1].message == "stopped after 10 errors (4 more not shown)"
    assert len(check(parse_rules(rules_text(f"require {body}"), "r.s3r"), limit=None)) == 14


def test_diagnostics_are_sorted_by_place():
    rf = parse_rules('rule B "t" severity nope for bucket b require b.zz message "{b.yy}"\n'
                     'def f() = g()\n', "r.s3r")
    ds = check(rf)
    assert [(d.span.line, d.span.column) for d in ds] == sorted((d.span.line, d.span.column) for d in ds)
    assert len(ds) == 4


# ---------------------------------------------------------------------------------- audit profiles
PARAMS = 'param trusted: set<string> = {}\nparam max_age: duration\n'


def test_profile_parameters_known_and_typed():
    rf = parse_rules(PARAMS, "r.s3r")
    assert check(rf, {"trusted": "set<string>", "max_age": T.DURATION}) == []
    assert check(rf, {"trusted": T.ListT(T.STRING), "max_age": "duration"}) == []  # a YAML list fills a set


def test_profile_sets_unknown_parameter():
    ds = check(parse_rules(PARAMS, "r.s3r"), {"trusted_acounts": "set<string>", "max_age": "duration"})
    assert diag_dicts(ds) == [{"code": "unknown-parameter", "at": "None",
                               "message": "the profile sets `trusted_acounts`, which no rule file declares",
                               "hint": "did you mean `trusted`?"}]


def test_profile_value_of_wrong_type_and_missing_value():
    ds = check(parse_rules(PARAMS, "r.s3r"), {"trusted": "number"})
    assert diag_dicts(ds) == [
        {"code": "type-mismatch", "at": "r.s3r:1:16",
         "message": "parameter `trusted` is declared as `set<string>` but the profile gives `number`"},
        {"code": "missing-parameter", "at": "r.s3r:2:7",
         "message": "parameter `max_age` has no default and the profile does not set it"},
    ]


@pytest.mark.parametrize("text, expected", [
    ("string", T.STRING), ("set<string>", T.SetT(T.STRING)), ("list<set<number>>", T.ListT(T.SetT(T.NUMBER))),
    ("map<bool>", T.MapT(T.BOOL)), ("bucket", T.RecordT("bucket")), ("set<", None), ("strng", None), ("set", None),
])
def test_parse_type(text, expected):
    assert T.parse_type(text) == expected


# -------------------------------------------------------------------------------- files and imports
def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_load_resolves_imports_inside_the_rules_tree(tmp_path, monkeypatch):
    write(tmp_path, {
        "rules/pci/pack.s3r": 'import "../common/tags.s3r"\n'
                              'rule PCI-1 "t" severity high for bucket b where pci(b) require b.region in regions '
                              'message "m"\n',
        "rules/common/tags.s3r": 'param regions: set<string> = {"eu-west-1"}\n'
                                 'def pci(b: bucket) = b.tags["data-class"] == "pci"\n'
                                 'rule COMMON-1 "t" severity low for bucket b require true message "m"\n',
    })
    monkeypatch.chdir(tmp_path)
    program = load_rules(["rules/pci/pack.s3r"])
    assert [f.path for f in program.files] == ["rules/pci/pack.s3r", "rules/common/tags.s3r"]
    assert program.entries == ("rules/pci/pack.s3r",)
    assert program.resolved["rules/pci/pack.s3r"] == ("rules/common/tags.s3r",)
    result = check_program(program)
    assert result.ok
    # an imported file's rules are checked, but only the given files' rules run
    assert [(r.rule.id.text, r.runs) for r in result.rules] == [("PCI-1", True), ("COMMON-1", False)]
    # the same file given and imported is loaded once (no duplicate rule ids)
    both = load_rules(["rules"])
    assert sorted(f.path for f in both.files) == ["rules/common/tags.s3r", "rules/pci/pack.s3r"]
    assert check(both) == []


def test_imports_cannot_leave_the_rules_tree(tmp_path, monkeypatch):
    write(tmp_path, {"rules/a.s3r": 'import "../secret.s3r"\nimport "/etc/passwd.s3r"\nimport "notes.txt"\n'
                                    'import "missing.s3r"\n',
                     "secret.s3r": "def leaked() = true\n"})
    monkeypatch.chdir(tmp_path)
    ds = check(load_rules(["rules/a.s3r"]))
    assert diag_dicts(ds) == [
        {"code": "import-outside-rules", "at": "rules/a.s3r:1:8", "message": "import `../secret.s3r` leaves the "
         "rules tree `rules`", "hint": "imports can only name files inside the rules tree"},
        {"code": "bad-import", "at": "rules/a.s3r:2:8",
         "message": "import path `/etc/passwd.s3r` must be relative to this file, with `/` between parts"},
        {"code": "bad-import", "at": "rules/a.s3r:3:8", "message": "`notes.txt` is not a rule file",
         "hint": "rule files end in `.s3r`"},
        {"code": "import-not-found", "at": "rules/a.s3r:4:8",
         "message": "cannot find `missing.s3r` (looked for `rules/missing.s3r`)"},
    ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symbolic_link_cannot_lead_out_of_the_rules_tree(tmp_path, monkeypatch):
    write(tmp_path, {"rules/a.s3r": 'import "link.s3r"\n', "outside/x.s3r": "def x() = true\n"})
    (tmp_path / "rules" / "link.s3r").symlink_to(tmp_path / "outside" / "x.s3r")
    monkeypatch.chdir(tmp_path)
    ds = check(load_rules(["rules/a.s3r"]))
    assert [d.code for d in ds] == ["import-outside-rules"]


def test_explicit_root(tmp_path, monkeypatch):
    write(tmp_path, {"pack/a.s3r": 'import "../lib/b.s3r"\n', "lib/b.s3r": "def x() = true\n"})
    monkeypatch.chdir(tmp_path)
    assert [d.code for d in check(load_rules(["pack/a.s3r"]))] == ["import-outside-rules"]
    assert check(load_rules(["pack/a.s3r"], root=".")) == []


def test_an_imported_file_with_a_syntax_error_is_reported_once(tmp_path, monkeypatch):
    """The importer's uses of the broken file's names are not reported as unknown on top."""
    write(tmp_path, {"rules/a.s3r": 'import "b.s3r"\nrule A "t" severity low for bucket b require f(b) message "m"\n',
                     "rules/b.s3r": "def f(b: bucket) = \n"})
    monkeypatch.chdir(tmp_path)
    ds = check(load_rules(["rules/a.s3r"]))
    assert diag_dicts(ds) == [{"code": "syntax", "at": "rules/b.s3r:1:19", "message": "unexpected end of file",
                               "hint": "expected an expression"}]


def test_duplicate_import_and_unreadable_files(tmp_path, monkeypatch):
    write(tmp_path, {"rules/a.s3r": 'import "b.s3r"\nimport "./b.s3r"\n', "rules/b.s3r": ""})
    (tmp_path / "rules" / "c.s3r").write_bytes(b"def x() = \xff\n")
    monkeypatch.chdir(tmp_path)
    assert diag_dicts(check(load_rules(["rules/a.s3r"]))) == [
        {"code": "duplicate-import", "at": "rules/a.s3r:2:8", "message": "`./b.s3r` is imported twice"}]
    from s3audit.errors import InputError
    with pytest.raises(InputError, match="cannot read `rules/c.s3r`: it is not UTF-8 text"):
        load_rules(["rules/c.s3r"])
    with pytest.raises(InputError, match="cannot read `nope.s3r`: no such file or directory"):
        load_rules(["nope.s3r"])


# ---------------------------------------------------------------------------------- command line
def test_cli_rules_check_clean(tmp_path, monkeypatch, capsys):
    write(tmp_path, {"rules/ok.s3r": 'rule A "t" severity low for bucket b require true message "m"\n'})
    monkeypatch.chdir(tmp_path)
    assert main(["rules", "check", "rules"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("1 file, 1 rule: no problems\n", "")


def test_cli_rules_check_errors(tmp_path, monkeypatch, capsys):
    write(tmp_path, {"rules/bad.s3r": rules_text('require b.encrypton.algorithm == "aws:kms"'),
                     "rules/worse.s3r": "param x = 1\n"})
    monkeypatch.chdir(tmp_path)
    assert main(["rules", "check", "rules/bad.s3r", "rules/worse.s3r"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "rules/bad.s3r:4:13: error: bucket has no field `encrypton`\n"
        '  require b.encrypton.algorithm == "aws:kms"\n'
        "            ^^^^^^^^^\n"
        "  did you mean `encryption`?\n"
        "rules/worse.s3r:1:9: error: unexpected `=`\n"
        "  param x = 1\n"
        "          ^\n"
        "  expected `:`\n"
        "2 files, 1 rule: 2 errors\n")


def test_cli_rules_check_missing_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["rules", "check", "nope"]) == 2
    assert "cannot read `nope`" in capsys.readouterr().err


def test_cli_rules_needs_an_action(capsys):
    with pytest.raises(SystemExit) as info:
        main(["rules"])
    assert info.value.code == 2


# ---------------------------------------------------------------------- the examples and the docs
def test_examples_file_checks_clean():
    program = load_rules([str(ROOT / "rules" / "examples.s3r")])
    result = check_program(program)
    assert result.diagnostics == []
    ids = [r.rule.id.text for r in result.rules]
    assert ids == ["EX-PCI-KMS", "EX-PCI-NO-EXTERNAL-READ", "EX-EU-RESIDENCY", "EX-TLS"]
    for info in result.rules:
        assert info.rule.controls and info.rule.severity.text in ("high", "critical") and info.runs


def test_examples_state_the_issue_examples_briefly():
    """Each example rule is a few readable lines (header to message, at most 10)."""
    rf = parse_rules((ROOT / "rules" / "examples.s3r").read_text(), "examples.s3r")
    for rule in rf.rules:
        assert rule.message.span.end_line - rule.span.line + 1 <= 10


def readme_blocks() -> list[str]:
    return re.findall(r"```s3r\n(.*?)```", (ROOT / "rules" / "README.md").read_text(), re.S)


def test_readme_examples_parse_and_check():
    blocks = readme_blocks()
    assert len(blocks) >= 4
    for i, block in enumerate(blocks):
        rf = parse_rules(block, f"README-{i}.s3r")
        if not rf.imports:
            assert check(rf) == [], block


def test_readme_reference_is_generated_from_the_type_environment():
    from s3audit.lang.reference import splice
    text = (ROOT / "rules" / "README.md").read_text()
    assert splice(text) == text, "run: python -m s3audit.lang.reference rules/README.md"


def test_access_levels_and_severities_match_the_engine():
    from s3audit.findings import Severity
    from s3audit.iam.actions import ACCESS_LEVELS
    assert set(T.ACCESS_LEVEL.values) == set(ACCESS_LEVELS) | {"any"}
    assert T.SEVERITIES == tuple(s.label for s in Severity)


def test_every_record_field_type_resolves():
    for name, fields in T.RECORDS.items():
        for fname, spec in fields.items():
            stack = [spec.type]
            while stack:
                t = stack.pop()
                if isinstance(t, T.RecordT):
                    assert t.name in T.RECORDS, (name, fname)
                elif isinstance(t, (T.ListT, T.SetT)):
                    stack.append(t.elem)
                elif isinstance(t, T.MapT):
                    stack.append(t.value)
    for sig in T.FUNCTIONS.values():
        assert sig.backed_by in ("pure", "engine", "graph")
