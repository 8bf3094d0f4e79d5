"""Text known only in part: a string made of known text and named unknowns, and how names are recognised in it.

A bucket named ``!Sub "${AWS::StackName}-data-${AWS::AccountId}"`` has a name nobody knows before deploy, yet a
bucket policy whose ``Bucket`` is the same ``!Sub`` expression names the same bucket, and a statement whose
``Resource`` is ``!Sub "arn:aws:s3:::${AWS::StackName}-data-${AWS::AccountId}/*"`` covers its objects. So an
unknown string is kept as a ``Symbolic`` value: its parts in order, known text and ``Atom``s (one unknown each,
identified by what it is: a parameter, a pseudo parameter, an attribute of a resource). Two symbolic values with
the same parts are the same text, whatever it turns out to be.

A resource whose name is symbolic gets a placeholder (``<LogicalId>``, see docs/iac.md), and ``Names`` rewrites
every occurrence of that name inside another symbolic value into the placeholder: the policy's ``Bucket`` becomes
``<Data>`` and its ``Resource`` ``arn:aws:s3:::<Data>/*``, which match the bucket as the real name would. A value
with unknowns left after the rewrite stays unknown. Finding the names costs time linear in the value's length
(an index by the first atom of each name and the text that follows it), not in the number of names.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple

from .values import Unknown


class Atom(NamedTuple):
    """One unknown piece of text: ``key`` says what it is (``param:Env``, ``AWS::StackName``,
    ``getatt:Role.Arn``), ``reason`` why it is unknown."""

    key: str
    reason: str


Part = "str | Atom"


class Symbolic(Unknown):
    """A string whose text is ``parts`` joined: known text and ``Atom``s. Unknown to everything that does not look
    at ``parts`` (its ``reason`` is the first atom's)."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable):
        merged: list = []
        for p in parts:
            if isinstance(p, Symbolic):
                merged.extend(p.parts)
            elif isinstance(p, str):
                if not p:
                    continue
                if merged and isinstance(merged[-1], str):
                    merged[-1] += p
                else:
                    merged.append(str(p))
            else:
                merged.append(p)
        # consecutive strings merged above; merge those the Symbolic parts brought in too
        out: list = []
        for p in merged:
            if isinstance(p, str) and out and isinstance(out[-1], str):
                out[-1] += p
            else:
                out.append(p)
        self.parts = tuple(out)
        atoms = [p for p in self.parts if isinstance(p, Atom)]
        super().__init__(atoms[0].reason if atoms else "known only at deploy time")

    @property
    def key(self) -> tuple:
        """What identifies the text: equal keys, equal text."""
        return tuple(p if isinstance(p, str) else ("atom", p.key) for p in self.parts)

    def __repr__(self) -> str:
        return "Symbolic(" + "".join(p if isinstance(p, str) else "${" + p.key + "}" for p in self.parts) + ")"


def atom(key: str, reason: str) -> Symbolic:
    """A symbolic value that is one unknown."""
    return Symbolic((Atom(key, reason),))


def concat(values: Iterable) -> "str | Unknown":
    """Strings and symbolic values joined; a plain Unknown among them makes the result a plain Unknown."""
    parts: list = []
    for v in values:
        if isinstance(v, Symbolic):
            parts.append(v)
        elif isinstance(v, Unknown):
            return v
        else:
            parts.append(str(v))
    if not any(isinstance(p, Symbolic) for p in parts):
        return "".join(parts)
    return Symbolic(parts)


class Names:
    """Symbolic names and the placeholders that stand for them; ``rewrite`` puts the placeholders in."""

    def __init__(self):
        self._by_key: dict[tuple, str] = {}
        # (first atom key, text after it, whether that text ends the name) -> [(name parts, placeholder)]
        self._index: dict[tuple, list[tuple[tuple, str]]] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def add(self, name: Symbolic, placeholder: str) -> None:
        if name.key in self._by_key or not any(isinstance(p, Atom) for p in name.parts):
            return
        self._by_key[name.key] = placeholder
        parts = name.parts
        first = next(i for i, p in enumerate(parts) if isinstance(p, Atom))
        after = parts[first + 1] if first + 1 < len(parts) and isinstance(parts[first + 1], str) else ""
        ends = first + 1 + (1 if after else 0) >= len(parts)
        self._index.setdefault((parts[first].key, after, ends), []).append((parts, placeholder))

    def get(self, value: Symbolic) -> str | None:
        return self._by_key.get(value.key)

    def rewrite(self, value: Symbolic) -> "str | Symbolic":
        """``value`` with every known symbolic name in it replaced by its placeholder (longest names first);
        a plain string when no unknown is left."""
        if not self._by_key:
            return value
        exact = self._by_key.get(value.key)
        if exact is not None:
            return exact
        parts = list(value.parts)
        out: list = []
        i = 0
        while i < len(parts):
            p = parts[i]
            if isinstance(p, Atom):
                hit = self._match_at(parts, i, out)
                if hit is not None:
                    consumed, placeholder, head_cut, tail = hit
                    if head_cut:
                        out[-1] = out[-1][:-head_cut]
                        if not out[-1]:
                            out.pop()
                    _append(out, placeholder)
                    i += consumed
                    if tail:
                        parts.insert(i, tail)
                    continue
            _append(out, p)
            i += 1
        result = Symbolic(out)
        return result if any(isinstance(p, Atom) for p in result.parts) else "".join(result.parts)

    def _match_at(self, parts: list, i: int, before: list):
        """The longest name whose first atom is ``parts[i]``: (parts consumed from i, placeholder, characters of the
        text before to drop, text left over after the name) or None."""
        atom_key = parts[i].key
        following = parts[i + 1] if i + 1 < len(parts) and isinstance(parts[i + 1], str) else ""
        candidates: list[tuple[tuple, str]] = []
        # names whose text after the first atom ends them: that text is a prefix of what follows here
        for n in range(len(following) + 1):
            candidates += self._index.get((atom_key, following[:n], True), ())
        # names that go on after that text: it is exactly what follows here
        candidates += self._index.get((atom_key, following, False), ())
        best = None
        for name_parts, placeholder in candidates:
            m = _fit(name_parts, parts, i, before)
            if m is not None and (best is None or _length(name_parts) > _length(best[0])):
                best = (name_parts, placeholder, m)
        if best is None:
            return None
        name_parts, placeholder, (consumed, head_cut, tail) = best
        return consumed, placeholder, head_cut, tail


def _append(out: list, part) -> None:
    """Append to a list of parts, text joined to the text before it."""
    if isinstance(part, str) and out and isinstance(out[-1], str):
        out[-1] += part
    else:
        out.append(part)


def _length(parts: tuple) -> int:
    return sum(len(p) if isinstance(p, str) else 1 for p in parts)


def _fit(name: tuple, parts: list, i: int, before: list):
    """Whether ``name`` occurs in ``parts`` with its first atom at ``i``: (parts consumed from i, characters of the
    preceding text it covers, text left after it) or None."""
    first = next(k for k, p in enumerate(name) if isinstance(p, Atom))
    head = name[0] if first == 1 else ""
    if head:
        prev = before[-1] if before and isinstance(before[-1], str) else ""
        if not prev.endswith(head):
            return None
    j = i
    rest = name[first:]
    for k, p in enumerate(rest):
        if j >= len(parts):
            return None
        here = parts[j]
        last = k == len(rest) - 1
        if isinstance(p, Atom):
            if not isinstance(here, Atom) or here.key != p.key:
                return None
            j += 1
        elif last:
            if not isinstance(here, str) or not here.startswith(p):
                return None
            return j + 1 - i, len(head), here[len(p):]
        else:
            if here != p:
                return None
            j += 1
    return j - i, len(head), ""
