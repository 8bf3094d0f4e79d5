"""The rule language terminates, as rules/README.md promises: the checker measures every def and rule
(s3audit/lang/cost.py) and refuses what could hang or exhaust memory, with its place and the limit; the
evaluator charges the same steps as it runs and stops a rule past its budget with an error naming it.

The three rule files of issue 11 that used to pass `rules check` and never finish are refused; randomly
generated rule files either are refused or run within the steps the check computed for them.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.cli import main
from s3audit.errors import RuleError
from s3audit.lang import ast as A
from s3audit.lang import cost as C
from s3audit.lang import types as T
from s3audit.lang.check import check_program
from s3audit.lang.evaluate import builtin_rules_dir, compile_program, run_rules
from s3audit.lang.load import load_rules
from s3audit.lang.parse import parse_rules
from s3audit.lang.program import Program
from s3audit.lang.records import World
from s3audit.lang.ruletests import expand_fragment
from s3audit.snapshot.load import snapshot_from_dict

COST_CODES = {"too-large", "nested-too-deeply", "collection-too-large", "too-many-steps"}


def checked(text: str, path: str = "r.s3r"):
    return check_program(Program.from_files([parse_rules(text, path)]))


def errors(text: str) -> list[tuple[str, str, str]]:
    return [(d.code, str(d.span), d.message) for d in checked(text).diagnostics if d.is_error]


def rule(require: str, subject: str = "bucket b", rid: str = "R") -> str:
    return f'rule {rid} "t"\n  severity high\n  for {subject}\n  require {require}\n  message "m"\n'


# The three shapes of issue 11 (each passed `rules check` and then never finished).
def exponential_inlining(n: int = 40) -> str:
    lines = ["def d0(b: bucket) = b.versioning.enabled"]
    lines += [f"def d{i}(b: bucket) = d{i - 1}(b) and d{i - 1}(b)" for i in range(1, n)]
    return "\n".join(lines) + "\n" + rule(f"d{n - 1}(b)")


def doubled_lists(n: int = 40) -> str:
    lines = ["def x0(l: list<string>) = l + l"]
    lines += [f"def x{i}(l: list<string>) = x{i - 1}(x{i - 1}(l))" for i in range(1, n)]
    return "\n".join(lines) + "\n" + rule(f'len(x{n - 1}(["a"])) > 0')


NESTED_COUNTS = (
    "def x0(l: list<string>) = l + l\n"
    "def x1(l: list<string>) = x0(x0(l))\n"
    "def acts(b: bucket) = x1(b.policy.statements[0].actions)\n"
    + rule("count(a in acts(b): count(c in acts(b): count(d in acts(b): a == c and c == d) > 0) > 0) > 0"))


def test_exponential_inlining_is_refused_where_it_passes_the_limit():
    assert errors(exponential_inlining()) == [(
        "too-large", "r.s3r:12:5",
        "definition `d11` is 12,285 expressions once the definitions it calls are written out, more than the "
        "10,000 allowed")]


def test_lists_doubled_through_defs_are_refused():
    assert errors(doubled_lists()) == [(
        "collection-too-large", "r.s3r:4:27",
        "definition `x3` can build a collection of 256,000 elements when the input holds 1,000, more than the "
        "100,000 allowed")]


def test_nested_counts_over_grown_lists_are_refused():
    assert errors(NESTED_COUNTS) == [(
        "too-many-steps", "r.s3r:7:31",  # the middle count: the inner two already pass the limit
        "rule `R` can take 136,074,000 steps for one subject when the input holds 1,000 elements, more than the "
        "100,000,000 allowed")]


def test_the_check_and_the_run_refuse_them_through_the_command_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "rules").mkdir()
    for name, text in (("inline", exponential_inlining()), ("double", doubled_lists()), ("counts", NESTED_COUNTS)):
        (tmp_path / "rules" / f"{name}.s3r").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["rules", "check", "rules/counts.s3r"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rules/counts.s3r:7:31: error: rule `R` can take 136,074,000 steps")
    assert "\n  require count(a in acts(b)" in err and "\n" + " " * 30 + "^^^^" in err
    snapshot = Path(__file__).resolve().parents[2] / "s3audit" / "demo" / "estate.json"
    for name in ("inline", "double", "counts"):
        assert main(["check", "--profile", "hygiene", "--rules", f"rules/{name}.s3r", str(snapshot)]) == 2
        assert f"rules/{name}.s3r:" in capsys.readouterr().err


def test_a_long_chain_of_definitions_is_refused_at_the_depth_limit():
    lines = ["def d0(b: bucket) = b.versioning.enabled"]
    lines += [f"def d{i}(b: bucket) = d{i - 1}(b)" for i in range(1, 3000)]
    text = "\n".join(lines) + "\n" + rule("d2999(b)")
    assert errors(text) == [(
        "nested-too-deeply", "r.s3r:199:5",
        "definition `d198` nests expressions 201 deep once the definitions it calls are written out, more than "
        "the 200 allowed")]
    # written callers first, the checker itself must not recurse down the chain
    reversed_text = rule("d2999(b)") + "\n".join(reversed(lines)) + "\n"
    assert [code for code, _, _ in errors(reversed_text)] == ["nested-too-deeply"]


def test_a_chain_just_inside_the_depth_limit_checks_compiles_and_runs():
    lines = ["def d0(b: bucket) = b.versioning.enabled"]
    lines += [f"def d{i}(b: bucket) = not d{i - 1}(b)" for i in range(1, 99)]
    text = "\n".join(lines) + "\n" + rule("d98(b)")
    result = checked(text)
    assert result.ok and C.Measure(result).nesting(result.rules[0].rule.requirement.expr) == C.MAX_NESTING
    program = compile_program(Program.from_files([parse_rules(text, "r.s3r")]))
    snap = snapshot_from_dict(expand_fragment({"buckets": [{"Name": "a", "Versioning": {"Status": "Enabled"}}]}))
    assert [f.subject for f in run_rules(program, snap).findings] == []  # 98 nots of true


def test_a_def_reported_once_and_not_again_at_its_callers():
    text = doubled_lists(6) + rule('len(x5(["b"])) > 1', rid="R2")
    assert [(code, at) for code, at, _ in errors(text)] == [("collection-too-large", "r.s3r:4:27")]


def test_growth_within_the_limits_is_accepted():
    text = ("def twice(l: list<string>) = l + l\n"
            + rule("len(twice(twice(b.policy.statements[0].actions))) > 1"))
    assert errors(text) == []


# ------------------------------------------------------------------ nesting: own collections and cross products
def test_quantifiers_over_an_elements_own_collections_are_charged_once_per_loop():
    """Principals, their policies, their statements: every statement of the account once, not N^3."""
    text = rule('any p in a.principals: any pol in p.policies: any s in pol.statements: "*" in s.actions',
                subject="account a")
    assert errors(text) == []
    info = checked(text).rules[0]
    assert C.subject_steps(C.Measure(checked(text)), info.rule) < 10 * C.REFERENCE_SIZE


def test_a_parent_reached_from_an_element_is_not_its_own_collection():
    """A statement's policy is shared by its siblings: going up and down again is a cross product."""
    down = rule("any s in b.policy.statements: any x in s.actions: any y in s.resources: x == y")
    up = rule("any s in b.policy.statements: any t in s.policy.statements: any u in s.policy.statements: "
              "t.sid == u.sid")
    assert errors(down) == []
    assert [code for code, _, _ in errors(up)] == ["too-many-steps"]


def test_three_quantifiers_over_unrelated_collections_are_refused_two_are_not():
    two = rule("all x in b.acl.grants: all y in b.acl.grants: x.grantee != y.grantee or x.permission == y.permission")
    three = rule("all x in b.acl.grants: all y in b.acl.grants: all z in b.acl.grants: x.grantee != z.grantee")
    assert errors(two) == []
    assert [code for code, _, _ in errors(three)] == ["too-many-steps"]


def test_own_collections_held_by_one_element_stay_within_the_amortised_bound():
    """The amortised charge is what bounds an own collection's loop: one role holding all 50 policies, each
    iteration of the inner loop costly, runs within the bound the check computes for N = 50 and would not
    within a bound that charged the inner loop once per outer loop."""
    body = " or ".join(f'pol.name == "p{i}x"' for i in range(10))
    text = rule(f"count(p in a.principals: count(pol in p.policies: {body}) > 0) > 0", subject="account a")
    estate = snapshot_from_dict(expand_fragment({"iam": {"RoleDetailList": [
        {"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r", "Path": "/", "RolePolicyList": [
            {"PolicyName": f"p{j}", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}} for j in range(50)]}]}}))
    result = checked(text)
    assert input_size(World(estate, None, None)) == 50
    m = C.Measure(result, n=50)
    bound = C.subject_steps(m, result.rules[0].rule)
    quants = [x for x in A.walk(result.rules[0].rule.requirement.expr) if isinstance(x, A.Quant)]
    inner = m.weight(quants[1].body)
    assert inner > 40 and bound >= 50 * inner
    program = compile_program(Program.from_files([parse_rules(text, "r.s3r")]))
    run_rules(program, estate, budget=bound)
    with pytest.raises(RuleError):
        run_rules(program, estate, budget=50 * 10 + inner)  # the outer loop's N iterations and one inner


def test_the_built_in_packs_are_far_inside_every_limit():
    result = check_program(load_rules([builtin_rules_dir()]))
    assert result.ok
    m = C.Measure(result)
    for info in result.rules:
        exprs = [x for x, _ in C.rule_exprs_per_subject(info.rule)]
        assert sum(m.inlined(x) for x in exprs) <= 200, info.rule.id.text
        assert max(m.nesting(x) for x in exprs) <= 20, info.rule.id.text
        # a few dozen steps per element of the input; GDPR-44-replication matches each replication destination's
        # region against the profile's list of regions, the product of two inputs: 1,008,000
        assert C.subject_steps(m, info.rule) <= (2 * C.MAX_STEPS // 100 if info.rule.id.text == "GDPR-44-replication"
                                                  else 100 * C.REFERENCE_SIZE), info.rule.id.text


# ------------------------------------------------------------------------------------ the run-time backstop
SMALL = {"buckets": [{"Name": "a", "Tags": {f"k{i}": "v" for i in range(30)}},
                     {"Name": "b", "Tags": {"x": "y"}}]}


def test_a_rule_past_its_budget_is_stopped_with_its_name_and_place():
    text = "\n\n" + rule("count(k in keys(b.tags): count(j in keys(b.tags): k == j) == 1) > 0", rid="PAIRS")
    program = compile_program(Program.from_files([parse_rules(text, "pairs.s3r")]))
    snap = snapshot_from_dict(expand_fragment(SMALL))
    run_rules(program, snap, budget=10_000)  # 30 x 30 iterations of a small body fit
    with pytest.raises(RuleError) as info:
        run_rules(program, snap, budget=1_000)
    assert str(info.value).startswith("pairs.s3r:3:6: rule `PAIRS` was stopped: it took more than 1,000 steps")


def test_copying_collections_is_charged_and_bounded():
    text = rule("len(keys(b.tags) + keys(b.tags) + keys(b.tags)) > 0")
    program = compile_program(Program.from_files([parse_rules(text, "r.s3r")]))
    snap = snapshot_from_dict(expand_fragment(SMALL))
    run_rules(program, snap, budget=200)  # (30 + 30) + (30 + 30) for a, 4 for b
    with pytest.raises(RuleError, match="it took more than 100 steps"):
        run_rules(program, snap, budget=100)


def test_walking_a_list_for_membership_is_charged():
    """`k in LIST` compares with each element: 30 keys, each looked up in a list of 60 actions."""
    text = rule("count(k in keys(b.tags): k in b.policy.statements[0].actions) >= 0")
    statement = {"Effect": "Allow", "Action": [f"s3:Get{i}" for i in range(60)], "Resource": "*"}
    bucket = {**SMALL["buckets"][0], "Policy": {"Version": "2012-10-17", "Statement": [statement]}}
    program = compile_program(Program.from_files([parse_rules(text, "r.s3r")]))
    snap = snapshot_from_dict(expand_fragment({"buckets": [bucket]}))
    run_rules(program, snap, budget=30 * 60 + 30 * 8)  # and 30 iterations of a body of 8 expressions
    with pytest.raises(RuleError, match="rule `R` was stopped"):
        run_rules(program, snap, budget=30 * 60 - 1)
    result = checked(text)
    assert C.subject_steps(C.Measure(result, n=60), result.rules[0].rule) >= 60 * 60


def test_a_stop_inside_a_message_is_not_swallowed():
    text = ('rule R "t"\n  severity high\n  for bucket b\n  require false\n'
            '  message "{count(k in keys(b.tags): count(j in keys(b.tags): k == j) > 0)}"\n')
    program = compile_program(Program.from_files([parse_rules(text, "r.s3r")]))
    with pytest.raises(RuleError, match="rule `R` was stopped"):
        run_rules(program, snapshot_from_dict(expand_fragment(SMALL)), budget=100)


# ------------------------------------------------------------------------- the property: checked means bounded
STRING_LISTS = {
    "bucket": ["{v}.policy.statements[0].actions", "{v}.policy.statements[0].resources"],
    "statement": ["{v}.actions", "{v}.resources", "{v}.principals"],
    "principal": ["{v}.groups"],
    "account": [],
    "policy": [],
    "lifecycle_rule": [],
    "grant": [],
}
RECORD_LISTS = {  # (collection, element type)
    "bucket": [("{v}.lifecycle.rules", "lifecycle_rule"), ("{v}.acl.grants", "grant"),
               ("{v}.policy.statements", "statement")],
    "account": [("{v}.buckets", "bucket"), ("{v}.principals", "principal")],
    "principal": [("{v}.policies", "policy")],
    "policy": [("{v}.statements", "statement")],
    "statement": [("{v}.policy.statements", "statement")],
    "lifecycle_rule": [],
    "grant": [],
}
STRING_FIELDS = {"bucket": "{v}.name", "statement": "{v}.sid", "principal": "{v}.name", "account": "{v}.id",
                 "policy": "{v}.name", "lifecycle_rule": "{v}.id", "grant": "{v}.grantee"}


@st.composite
def rule_files(draw):
    """A rule file of bounded size: list-growing defs, predicate defs and one rule with nested quantifiers."""
    lines: list[str] = []
    list_defs: list[str] = []
    names = iter(f"v{i}" for i in range(100))

    def string_list(scope: dict[str, str], depth: int) -> str:
        sources = ['["a", "b"]'] + [s.format(v=v) for v, t in scope.items() for s in STRING_LISTS.get(t, ())]
        sources += [f"[{v}]" for v, t in scope.items() if t == "string"]
        options = ["src"] + (["concat", "call"] if depth > 0 else [])
        kind = draw(st.sampled_from(options if list_defs or "call" not in options else options[:2]))
        if kind == "concat":
            return f"({string_list(scope, depth - 1)} + {string_list(scope, depth - 1)})"
        if kind == "call" and list_defs:
            return f"{draw(st.sampled_from(list_defs))}({string_list(scope, depth - 1)})"
        return draw(st.sampled_from(sources))

    def boolean(scope: dict[str, str], depth: int) -> str:
        kind = draw(st.sampled_from(["quant", "quant", "compare", "len", "and"] if depth > 0 else ["compare", "len"]))
        if kind == "quant":
            records = [(c.format(v=v), t) for v, vt in scope.items() for c, t in RECORD_LISTS.get(vt, [])]
            var = next(names)
            if records and draw(st.booleans()):
                coll, elem = draw(st.sampled_from(records))
                if draw(st.booleans()):
                    coll = f"({coll} + {coll})"
            else:
                coll, elem = string_list(scope, 2), "string"
            q = draw(st.sampled_from(["any", "all", "count"]))
            body = boolean({**scope, var: elem}, depth - 1)
            return f"count({var} in {coll}: {body}) > 0" if q == "count" else f"({q} {var} in {coll}: {body})"
        if kind == "and":
            return f"({boolean(scope, depth - 1)} and not {boolean(scope, depth - 1)})"
        if kind == "len":
            return f"len({string_list(scope, 1)}) > 1"
        strings = [STRING_FIELDS[t].format(v=v) if t != "string" else v for v, t in scope.items()]
        return f'{draw(st.sampled_from(strings))} == "a"'

    for i in range(draw(st.integers(0, 4))):
        options = ["l + l", 'l + ["a"]', "l"]
        if list_defs:
            d = draw(st.sampled_from(list_defs))
            options += [f"{d}({d}(l))", f"{d}(l) + l"]
        body = draw(st.sampled_from(options))
        lines.append(f"def f{i}(l: list<string>) = {body}")
        list_defs.append(f"f{i}")
    subject = draw(st.sampled_from([("bucket", "b"), ("account", "a")]))
    lines.append(rule(boolean({subject[1]: subject[0]}, draw(st.integers(1, 4))), subject=f"{subject[0]} {subject[1]}"))
    return "\n".join(lines) + "\n"


STRING_STATEMENT = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "a"], "Resource": ["*", "a"],
                    "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]}}
ESTATE = snapshot_from_dict(expand_fragment({
    "buckets": [
        {"Name": f"b{i}", "Tags": {"data-class": "a"},
         "Policy": {"Version": "2012-10-17", "Statement": [STRING_STATEMENT] * (i + 1)},
         "Lifecycle": {"Rules": [{"ID": f"r{j}", "Status": "Enabled", "Filter": {"Prefix": ""},
                                  "Expiration": {"Days": 30}} for j in range(i)]},
         "Acl": {"Owner": {"ID": "abc"}, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "abc"},
                                                    "Permission": "FULL_CONTROL"}] * (3 - i)}}
        for i in range(3)],
    "iam": {"RoleDetailList": [
        {"RoleName": f"r{i}", "Arn": f"arn:aws:iam::111122223333:role/r{i}", "Path": "/",
         "RolePolicyList": [{"PolicyName": f"p{j}", "PolicyDocument": {
             "Version": "2012-10-17", "Statement": [STRING_STATEMENT] * (j + 1)}} for j in range(2)]}
        for i in range(2)]},
}))


def input_size(world: World) -> int:
    """N as cost.py defines it, as tight as it goes: for each field of each kind of record, the elements it holds
    summed over every record of that kind the language reaches (a policy's statements once for each principal
    that has it). That bounds each collection, and the own collections of all the elements of any one."""
    totals: dict[tuple[str, str], int] = {}
    stack = [(v, "bucket") for v in world.buckets()] + [(v, "account") for v in world.account_views()]
    while stack:
        view, kind = stack.pop()
        for name, spec in T.RECORDS[kind].items():
            if (kind, name) in {("statement", "policy"), ("path", "start"), ("path", "target")}:
                continue
            value = getattr(view, name, None)
            if isinstance(spec.type, T.RecordT) and value is not None and not isinstance(value, (str, int)):
                stack.append((value, spec.type.name))
            elif isinstance(spec.type, (T.ListT, T.SetT, T.MapT)) and isinstance(value, (tuple, list, frozenset, dict)):
                totals[(kind, name)] = totals.get((kind, name), 0) + len(value)
                if isinstance(spec.type, T.ListT) and isinstance(spec.type.elem, T.RecordT):
                    stack.extend((x, spec.type.elem.name) for x in value)
    return max(totals.values())


def test_the_generator_makes_rules_that_check_and_rules_that_are_refused():
    """The property below is not vacuous: both outcomes occur among the files it is given."""
    outcomes = set()
    for text in (doubled_lists(4), rule("any x in b.policy.statements: x.effect == \"Allow\"")):
        outcomes.add(checked(text).ok)
    assert outcomes == {True, False}
    # the statements' actions: the buckets' 6 statements, reached through the buckets and again through their
    # account, and the roles' 6 (18 in all), 3 actions each
    assert input_size(World(ESTATE, None, None)) == 54


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rule_files())
def test_a_rule_file_that_checks_runs_within_the_steps_the_check_allowed(text):
    result = checked(text)
    if not result.ok:
        assert {d.code for d in result.diagnostics if d.is_error} <= COST_CODES, text
        return
    program = compile_program(Program.from_files([parse_rules(text, "r.s3r")]))
    world = World(ESTATE, None, None)
    n = input_size(world)
    (info,) = result.rules
    subjects = len(world.buckets()) if info.rule.subject.kind.text == "bucket" else len(world.account_views())
    bound = subjects * C.subject_steps(C.Measure(result, n=n), info.rule)
    run_rules(program, ESTATE, budget=max(bound, 0))  # raises RuleError if the run took more steps
