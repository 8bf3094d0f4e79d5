"""The wildcard matcher (s3audit/iam/wildcard.py) against a dynamic-programming reference, and what it must
never do: backtrack. `*` matches any run of characters, none included, and `?` exactly one
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html); in ARNs a
wildcard does not span the colons of the first five segments (same page, and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.iam.context import Context
from s3audit.iam.logic import Tri
from s3audit.iam.patterns import Pattern
from s3audit.iam.wildcard import fold, glob_match


def dp_match(pattern: str, value: str, *, no_colon: bool = False) -> bool:
    """The textbook table: ok[i][j] says whether pattern[:i] matches value[:j]. ``no_colon``: wildcards do
    not match `:`."""
    m, n = len(pattern), len(value)
    ok = [[False] * (n + 1) for _ in range(m + 1)]
    ok[0][0] = True
    for i in range(1, m + 1):
        p = pattern[i - 1]
        for j in range(n + 1):
            if p == "*":
                ok[i][j] = ok[i - 1][j] or (j > 0 and ok[i][j - 1] and not (no_colon and value[j - 1] == ":"))
            elif j > 0:
                ok[i][j] = ok[i - 1][j - 1] and (p == value[j - 1] or (p == "?" and not (no_colon and value[j - 1] == ":")))
    return ok[m][n]


def dp_arn_match(pattern: str, value: str) -> bool:
    """ARN matching by the table: the pattern's first five colons and the value's must line up, and the
    wildcards before the fifth do not match a colon."""
    if pattern.count(":") < 5:
        return dp_match(pattern, value)
    cut = _after_fifth_colon(pattern)
    head, rest = pattern[:cut], pattern[cut:]
    vcut = _after_fifth_colon(value)
    if vcut is None:
        return False
    return dp_match(head, value[:vcut], no_colon=True) and dp_match(rest, value[vcut:])


def _after_fifth_colon(text: str) -> int | None:
    seen = 0
    for i, c in enumerate(text):
        if c == ":":
            seen += 1
            if seen == 5:
                return i + 1
    return None


PATTERN = st.text(alphabet="ab*?", max_size=12)
VALUE = st.text(alphabet="ab", max_size=14)


@settings(max_examples=2000, deadline=None)
@given(PATTERN, VALUE)
def test_plain_patterns_agree_with_the_table(pattern, value):
    assert glob_match(pattern, value) == dp_match(pattern, value)
    assert (Pattern(pattern).matches(value) is Tri.TRUE) == dp_match(pattern, value)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="aAbB*?", max_size=10), st.text(alphabet="aAbB", max_size=12))
def test_case_insensitive_patterns_agree_with_the_table_on_folded_text(pattern, value):
    expected = dp_match(pattern.lower(), value.lower())
    assert glob_match(pattern, value, case_sensitive=False) == expected
    assert (Pattern(pattern, case_sensitive=False).matches(value) is Tri.TRUE) == expected


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="a:*?", min_size=4, max_size=14), st.text(alphabet="a:", max_size=14))
def test_arn_patterns_agree_with_the_table(pattern, value):
    assert (Pattern(pattern, arn=True).matches(value) is Tri.TRUE) == dp_arn_match(pattern, value)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab*?", max_size=6), st.lists(st.text(alphabet="ab*?", max_size=3), min_size=1, max_size=3),
       st.text(alphabet="ab*?", max_size=6), st.text(alphabet="ab*?", max_size=12))
def test_a_variable_is_literal_text_wherever_it_is_substituted(before, values, after, value):
    """`${aws:username}` with several values matches when one substitution does; the substituted text is
    literal, `*` and `?` in it included (reference_policies_variables.html)."""
    pattern = Pattern(f"{before}${{aws:username}}{after}", variables=True)
    ctx = Context.of({"aws:username": values})
    escaped = [v.replace("*", "\0").replace("?", "\1") for v in values]
    expected = any(dp_match(f"{before}{v}{after}", value.replace("*", "\0").replace("?", "\1")) for v in escaped)
    assert (pattern.matches(value, ctx) is Tri.TRUE) == expected
    assert pattern.matches(value, Context.of({})) is Tri.UNKNOWN  # an open context: the username may be anything
    assert pattern.matches(value, Context.of({}, closed=True)) is Tri.FALSE  # absent, no default: no match


def test_an_unknown_variable_makes_the_answer_unknown():
    pattern = Pattern("arn:aws:s3:::b/${aws:username}/*", arn=True, variables=True)
    assert pattern.matches("arn:aws:s3:::b/alice/x", None) is Tri.UNKNOWN
    assert pattern.matches("arn:aws:s3:::b/alice/x", Context.of({"aws:username": ["alice"]})) is Tri.TRUE
    assert pattern.matches("arn:aws:s3:::b/alice/x", Context.of({"aws:username": ["bob"]})) is Tri.FALSE


ADVERSARIAL = "*a" * 30 + "*b"


def test_the_adversarial_pattern_is_answered_without_backtracking():
    """`*a*a…*b` (30 stars) against a long run of `a`: a backtracking regex takes time exponential in the
    stars (this test would not finish); the matcher scans the value once per segment."""
    value = "a" * 5000
    assert glob_match(ADVERSARIAL, value) is False
    assert glob_match(ADVERSARIAL, value + "b") is True
    assert Pattern(ADVERSARIAL).matches(value) is Tri.FALSE
    arn = "arn:aws:s3:::" + "a" * 5000
    assert Pattern("arn:aws:s3:::" + ADVERSARIAL, arn=True).matches(arn) is Tri.FALSE
    assert Pattern("arn:aws:s3:::" + ADVERSARIAL, arn=True).matches(arn + "b") is Tri.TRUE


def test_question_marks_between_stars_find_the_leftmost_fit():
    assert glob_match("*a?c*", "abxacab") is False  # `a?c` needs a character between
    assert glob_match("*a?c*", "acabxaXc") is True
    assert glob_match("*??*", "a") is False
    assert glob_match("?*?", "ab") is True
    assert glob_match("a*?b?*c", "aXbYc") is True
    assert glob_match("a*?b?*c", "abYc") is False
    for pattern, value in (("*a?c*", "abxacab"), ("*a?c*", "acabxaXc"), ("a*?b?*c", "aXbYc"), ("a*?b?*c", "abYc")):
        assert glob_match(pattern, value) == dp_match(pattern, value)


def test_folding_keeps_lengths_so_a_question_mark_is_one_character():
    assert fold("ABC") == "abc"
    assert len(fold("İſK")) == 3  # dotted capital I, long s, Kelvin sign
    assert glob_match("s3:?etobject", "S3:GetObject", case_sensitive=False)
    assert glob_match("ſ3:*", "S3:GetObject", case_sensitive=False)  # long s folds as `s`, as `re` did


def test_brackets_are_literal_everywhere():
    """IAM has no character classes; the profile's and the rules' globs follow it."""
    assert glob_match("FSBP-S3.[12]", "FSBP-S3.[12]")
    assert not glob_match("FSBP-S3.[12]", "FSBP-S3.1")
