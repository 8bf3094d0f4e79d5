"""CloudFormation and SAM templates as a kind of the fuzzing harness: the fixtures of ``fixtures/cloudformation/``
mutated by ``tests/sources/cfn_mutations.py`` (deleted keys, values of another type, intrinsic functions of any
arity or none CloudFormation has, deep nesting, huge strings, YAML tags, aliases and alias bombs, merge keys,
values only a deployment knows), written as JSON or YAML, through ``s3audit check --cloudformation``. None is
certainly unacceptable (many mutations leave a template CloudFormation accepts): each must merely be read or
refused at its place, never crash."""
from __future__ import annotations

from tests.sources.cfn_mutations import mutated_template

from .harness import Case, InputKind, register


def _case(example: tuple[str, str, str]) -> Case:
    name, fmt, text = example
    return Case(text.encode("utf-8", "surrogatepass"), False, f"{name} mutated, as {fmt}")


register(InputKind(
    name="cloudformation", suffix=".yaml", examples=600,
    cases=mutated_template().map(_case),
    commands=(lambda f, work, report: ["check", "--cloudformation", str(f), "-o", f"json={report}"],)))
