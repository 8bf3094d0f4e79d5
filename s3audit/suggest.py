""""Did you mean": the known name a user most likely meant by one that is not known."""
from __future__ import annotations

import difflib
from typing import Iterable


def suggest(word: str, options: Iterable[str], *, cutoff: float = 0.6, prefixes: bool = True) -> str | None:
    """The option the user most likely meant: one it starts (or ends) like (with ``prefixes``), else the closest
    spelling whose similarity is at least ``cutoff`` (difflib's ratio, 0..1)."""
    options = sorted(set(options))
    lower = word.lower()
    for o in options:
        if o.lower() == lower:
            return o
    if prefixes:
        for o in options:
            if o.lower().startswith(lower) or lower.startswith(o.lower()):
                return o
    close = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    if not close:  # a difference of case only, or a word in other case
        folded = {o.lower(): o for o in options}
        close = [folded[c] for c in difflib.get_close_matches(lower, list(folded), n=1, cutoff=cutoff)]
    if not close:  # short words: one letter wrong, missing or extra (`s4` for `s3`)
        close = [o for o in options if _one_edit(lower, o.lower())][:1]
    return close[0] if close else None


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by changing, adding or removing one character."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def did_you_mean(word: str, options: Iterable[str], **kwargs) -> str:
    """``"; did you mean `x`?"`` for the likeliest option, or "" when none is close."""
    hint = suggest(word, options, **kwargs)
    return f"; did you mean `{hint}`?" if hint else ""
