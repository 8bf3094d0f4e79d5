"""Terraform's regular expressions (replace(s, "/re/", r)) run as Go's regexp runs them: RE2 syntax, leftmost-first
matches, ReplaceAllString's handling of empty matches, and time linear in the text.

Specification: RE2's syntax (https://github.com/google/re2/wiki/Syntax), which Terraform's regex functions
document (https://developer.hashicorp.com/terraform/language/functions/regex and .../functions/replace), and Go's
regexp package (https://pkg.go.dev/regexp: leftmost-first, "$" is "\\z" unless (?m), ReplaceAllString's
"$1", "${name}" and "$$"). Python's re agrees with RE2 on the patterns generated here (no empty loops, no
empty matches), so it is the reference for the property test.
"""
from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.sources.re2 import (Re2SyntaxError, Re2TooCostly, Re2Unsupported, compile_re2, replace_all,
                                 search)


def _sub(pattern: str, text: str, template: str) -> str:
    return replace_all(compile_re2(pattern), text, template)


@pytest.mark.parametrize("pattern,text,template,expected", [
    ("a+", "caaab", "X", "cXb"),
    ("(a)(b)?", "ab a", "[$1|$2]", "[a|b] [a|]"),          # a group that took no part expands to nothing
    ("(?P<user>\\w+)@(\\w+)", "me@host", "${user} at $2", "me at host"),
    ("(?<user>\\w+)@", "me@", "$user!", "me!"),
    ("a", "a", "$$1", "$1"),                                  # $$ is a dollar
    ("(a)", "a", "$1x", ""),                                  # $1x names group "1x": none, so nothing
    ("(a)", "a", "${1}x", "ax"),
    ("a*", "baaac", "-", "-b-c-"),                            # no empty match right after a match
    ("a{0,2}", "aaaaa", "-", "---"),
    ("", "abc", "-", "-a-b-c-"),
    ("x*?", "xx", "-", "-x-x-"),
    ("a|ab", "ab", "X", "Xb"),                                # leftmost-first, not leftmost-longest
    ("a$", "a\na", "X", "a\nX"),                              # $ is the end of the text ...
    ("a$", "a\n", "X", "a\n"),                                # ... not before a final newline (Python's $)
    ("(?m)^", "a\nb", "> ", "> a\n> b"),
    ("(?m)$", "a\nb", "<", "a<\nb<"),
    ("\\bfoo\\b", "foo foobar foo", "F", "F foobar F"),
    ("[[:digit:]]+", "a12b3", "#", "a#b#"),                   # POSIX classes inside brackets
    ("[]a]+", "]a]b", "_", "_b"),                             # ] first in a class is itself
    ("(?i)bucket", "My-BUCKET", "b", "My-b"),
    ("[^a-z0-9-]+", "Data_Bucket.Prod", "-", "-ata-ucket-rod"),
    ("\\Qa.b\\E", "a.b axb", "!", "! axb"),
    ("\\x41\\x{42}\\101", "ABA", "ok", "ok"),
])
def test_replace_all_as_go_does(pattern, text, template, expected):
    assert _sub(pattern, text, template) == expected


@pytest.mark.parametrize("pattern,message", [
    ("a**", "invalid nested repetition operator"),
    ("(a", "missing closing )"),
    ("a)", "unexpected )"),
    ("[a", "missing closing ]"),
    ("\\1", "invalid escape sequence"),                       # RE2 has no back-references
    ("(?=a)", "invalid or unsupported Perl syntax"),          # nor look-arounds
    ("x{1001}", "invalid repeat count"),
    ("(a{100}){100}", "invalid repeat count"),                # nested counts multiply
    ("a{2,1}", "invalid repeat count"),
    ("*a", "missing argument to repetition operator"),
    ("(?P<n>a)(?P<n>b)", "duplicate capture group name"),
    ("[z-a]", "invalid character class range"),
    ("a\\", "trailing backslash"),
])
def test_what_go_refuses_is_a_syntax_error(pattern, message):
    with pytest.raises(Re2SyntaxError, match=re.escape(message)):
        compile_re2(pattern)


def test_unicode_classes_are_not_evaluated():
    with pytest.raises(Re2Unsupported):
        compile_re2("\\p{Greek}+")


@pytest.mark.parametrize("pattern,text", [
    ("(a*)*b", "a" * 20_000),
    ("(a|aa)+$", "a" * 5_000 + "!"),
    ("(x+x+)+y", "x" * 5_000),
    ("^(a|a?)+$", "a" * 5_000 + "b"),
])
def test_patterns_that_make_backtracking_engines_hang_run_in_linear_time(pattern, text):
    start = time.process_time()
    try:
        replace_all(compile_re2(pattern), text, "-")
    except Re2TooCostly:
        pass  # a bounded refusal is fine; a hang is not
    assert time.process_time() - start < 20  # Python's re does not finish these in hours


def test_matching_is_charged_and_stops_past_its_budget():
    rx = compile_re2("(a?){300}b")
    with pytest.raises(Re2TooCostly):
        replace_all(rx, "a" * 200_000, "-")


# -- property: agreement with a backtracking engine where the two must agree ---------------------------------

_NOT_EMPTY = st.recursive(
    st.sampled_from(["a", "b", "ab", "[ab]", "."]),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: t[0] + t[1]),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}|{t[1]}").map(lambda s: f"(?:{s})"),
        inner.map(lambda s: f"({s})"),
        st.tuples(inner, st.sampled_from(["*", "+", "?", "{1,2}", "*?", "+?", "{2}"]), inner)
          .map(lambda t: f"(?:{t[0]}){t[1]}{t[2]}"),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(pattern=_NOT_EMPTY, text=st.text(alphabet="abx", max_size=12))
def test_first_match_and_groups_agree_with_a_backtracking_engine(pattern, text):
    """Patterns whose every repeated part consumes a character and that cannot match the empty string:
    there leftmost-first (RE2) and backtracking (Python) give the same match and the same groups."""
    ours = search(compile_re2(pattern), text, 0)
    theirs = re.search(pattern, text)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    assert (ours[0], ours[1]) == theirs.span()
    for g in range(1, (theirs.re.groups or 0) + 1):
        assert (ours[2 * g], ours[2 * g + 1]) == theirs.span(g)
