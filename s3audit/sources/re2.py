"""Regular expressions as Terraform runs them (Go's regexp: RE2 syntax), in time linear in the text.

Terraform's ``replace(s, "/re/", r)`` hands a pattern written by whoever wrote the module to Go's ``regexp``,
which guarantees time linear in the input (https://github.com/google/re2/wiki/Syntax; Terraform's
``replace`` and ``regex`` functions document RE2 syntax:
https://developer.hashicorp.com/terraform/language/functions/regex). Python's ``re`` backtracks (a pattern
such as ``(a*)*b`` runs for ever on a long line of ``a``) and reads a different syntax (``$`` before a final
newline, back-references, look-arounds), so s3audit parses RE2's syntax itself and runs the pattern on a Pike
machine: every thread of the automaton advances one character at a time, so a text of n characters costs at
most n × (size of the pattern) steps, never more, with the leftmost-first matching and submatches Go's
``regexp`` gives.

``compile_re2(pattern)`` raises ``Re2SyntaxError`` (with Go's wording of the mistake) for what Go refuses, and
``Re2Unsupported`` for what Go accepts but s3audit does not evaluate (Unicode classes ``\\p{...}``: the caller
makes the value unknown). ``replace_all`` is Go's ``ReplaceAllString``; a match is charged its steps against a
budget (``Re2TooCostly`` past it), so no input runs for long even at the linear bound.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_REPEAT = 1000  # Go's limit on {n,m} (regexp/syntax: ErrInvalidRepeatSize)
MAX_PROGRAM = 20_000  # instructions: a pattern bigger than this is not evaluated (Go caps its programs too)
STEP_BUDGET = 5_000_000  # thread steps for one replace_all: a few seconds at most


class Re2SyntaxError(ValueError):
    """A pattern Go's regexp refuses."""


class Re2Unsupported(ValueError):
    """A pattern Go accepts that s3audit does not evaluate."""


class Re2TooCostly(ValueError):
    """Matching would take more than the step budget."""


# --- character sets ----------------------------------------------------------------------------------------

_DIGIT = ((0x30, 0x39),)
_SPACE = ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20))  # RE2's \s: [\t\n\f\r ]
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_POSIX = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)), "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),), "blank": ((0x09, 0x09), (0x20, 0x20)), "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": _DIGIT, "graph": ((0x21, 0x7E),), "lower": ((0x61, 0x7A),), "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)), "space": ((0x09, 0x0D), (0x20, 0x20)),
    "upper": ((0x41, 0x5A),), "word": _WORD, "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}
_PERL = {"d": _DIGIT, "s": _SPACE, "w": _WORD}


@dataclass(frozen=True)
class CharSet:
    """Ranges of code points (inclusive), negated or not, compared case-insensitively or not."""

    ranges: tuple[tuple[int, int], ...]
    negate: bool = False
    fold: bool = False

    def matches(self, ch: str) -> bool:
        hit = self._in(ord(ch))
        if not hit and self.fold:
            hit = any(self._in(ord(c)) for c in {ch.lower(), ch.upper()} if len(c) == 1 and c != ch)
        return hit != self.negate

    def _in(self, cp: int) -> bool:
        return any(lo <= cp <= hi for lo, hi in self.ranges)


def _negated(ranges) -> tuple[tuple[int, int], ...]:
    out, nxt = [], 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= 0x10FFFF:
        out.append((nxt, 0x10FFFF))
    return tuple(out)


# --- parsing: RE2 syntax -> a tree of tuples ----------------------------------------------------------------
# ("lit", ch, fold) ("set", CharSet) ("any", dotall) ("cat", [..]) ("alt", [..]) ("group", index|None, node)
# ("rep", node, min, max|None, greedy) ("assert", kind) with kind in ^ $ A z b B (^/$ multi-line: "ml^", "ml$")

@dataclass
class _Flags:
    i: bool = False
    m: bool = False
    s: bool = False
    U: bool = False


class _Parser:
    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0
        self.ngroups = 0
        self.names: dict[int, str] = {}

    def error(self, what: str) -> Re2SyntaxError:
        return Re2SyntaxError(f"{what} in `{self.p}`")

    def peek(self, k: int = 0) -> str:
        return self.p[self.i + k] if self.i + k < len(self.p) else ""

    def parse(self):
        node = self.alternation(_Flags(), top=True)
        if self.i < len(self.p):
            raise self.error("unexpected )")
        return node

    def alternation(self, flags: _Flags, top: bool = False):
        branches = [self.concat(flags)]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.concat(flags))
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def concat(self, flags: _Flags):
        items: list = []
        last_repeat = False
        while self.i < len(self.p) and self.peek() not in "|)":
            c = self.peek()
            if c in "*+?" or (c == "{" and self._counted() is not None):
                if not items or last_repeat is None:
                    raise self.error(f"missing argument to repetition operator `{c}`")
                if last_repeat:
                    raise self.error("invalid nested repetition operator")
                items[-1] = self.repeat(items[-1], flags)
                last_repeat = True
                continue
            last_repeat = False
            if self.p.startswith("(?", self.i) and not self._group_name_follows():
                new_flags, node = self._flag_group(flags)
                if node is None:  # (?flags) changes the flags of the rest of this group
                    flags = new_flags
                    last_repeat = None  # nothing for a repetition operator to repeat
                else:
                    items.append(node)
                continue
            items.append(self.atom(flags))
        return items[0] if len(items) == 1 else ("cat", items)

    def _group_name_follows(self) -> bool:
        return self.p.startswith("(?P<", self.i) or (self.p.startswith("(?<", self.i)
                                                      and not self.p.startswith(("(?<=", "(?<!"), self.i))

    def _flag_group(self, flags: _Flags):
        """``(?flags)``: (new flags, None); ``(?flags:re)`` and ``(?:re)``: (flags, the group)."""
        j = self.i + 2
        new = _Flags(flags.i, flags.m, flags.s, flags.U)
        sign, seen = True, False
        while j < len(self.p) and self.p[j] not in ":)":
            ch = self.p[j]
            if ch == "-" and sign:
                sign, seen = False, False
            elif ch in "imsU":
                setattr(new, ch, sign)
                seen = True
            else:
                raise self.error("invalid or unsupported Perl syntax `" + self.p[self.i:j + 1] + "`")
            j += 1
        if j >= len(self.p):
            raise self.error("missing closing )")
        bare = j == self.i + 2
        if (bare and self.p[j] == ")") or (not bare and not seen):
            raise self.error("invalid or unsupported Perl syntax `" + self.p[self.i:j + 1] + "`")
        self.i = j + 1
        if self.p[j] == ")":
            return new, None
        node = self.alternation(new)
        if self.peek() != ")":
            raise self.error("missing closing )")
        self.i += 1
        return flags, ("group", None, node)

    def repeat(self, node, flags: _Flags):
        c = self.peek()
        if c == "{":
            lo, hi, end = self._counted()
            self.i = end
        else:
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
            self.i += 1
        greedy = True
        if self.peek() == "?":
            greedy = False
            self.i += 1
        if flags.U:
            greedy = not greedy
        rep = ("rep", node, lo, hi, greedy)
        if (lo >= 2 or (hi or 0) >= 2) and not _repeat_is_valid(rep, MAX_REPEAT):
            raise self.error("invalid repeat count")
        return rep

    def _counted(self):
        """``{n}``, ``{n,}`` or ``{n,m}`` at the cursor: (n, m or None, end); None if it is a literal ``{``."""
        j = self.i + 1
        k = j
        while k < len(self.p) and self.p[k].isascii() and self.p[k].isdigit():
            k += 1
        if k == j:
            return None
        lo = int(self.p[j:k])
        hi: int | None = lo
        if k < len(self.p) and self.p[k] == ",":
            k += 1
            m = k
            while k < len(self.p) and self.p[k].isascii() and self.p[k].isdigit():
                k += 1
            hi = int(self.p[m:k]) if k > m else None
        if k >= len(self.p) or self.p[k] != "}":
            return None
        if lo > MAX_REPEAT or (hi is not None and (hi > MAX_REPEAT or hi < lo)):
            raise self.error(f"invalid repeat count `{self.p[self.i:k + 1]}`")
        return lo, hi, k + 1

    def atom(self, flags: _Flags):
        c = self.peek()
        if c == "(":
            return self.group(flags)
        if c == "[":
            return ("set", self.char_class(flags))
        if c == ".":
            self.i += 1
            return ("any", flags.s)
        if c == "^":
            self.i += 1
            return ("assert", "ml^" if flags.m else "A")
        if c == "$":
            self.i += 1
            return ("assert", "ml$" if flags.m else "z")
        if c == "\\":
            return self.escape(flags)
        self.i += 1
        return ("lit", c, flags.i)

    def group(self, flags: _Flags):
        self.i += 1
        name = None
        if self.p.startswith("?P<", self.i) or self.p.startswith("?<", self.i):
            start = self.i + (3 if self.p[self.i + 1] == "P" else 2)
            end = self.p.find(">", start)
            if end < 0:
                raise self.error("invalid named capture")
            name = self.p[start:end]
            if not name or not all(ch == "_" or (ch.isascii() and ch.isalnum()) for ch in name):
                raise self.error(f"invalid named capture `{name}`")
            if name in self.names.values():
                raise self.error(f"duplicate capture group name `{name}`")
            self.i = end + 1
        elif self.peek() == "?":
            raise self.error("invalid or unsupported Perl syntax `(?" + self.peek(1) + "`")
        self.ngroups += 1
        index = self.ngroups
        if name is not None:
            self.names[index] = name
        node = self.alternation(flags)
        if self.peek() != ")":
            raise self.error("missing closing )")
        self.i += 1
        return ("group", index, node)

    def escape(self, flags: _Flags):
        nxt = self.peek(1)
        if nxt == "":
            raise self.error("trailing backslash at end of expression")
        if nxt in "AzbB":
            self.i += 2
            return ("assert", nxt)
        if nxt in "dswDSW":
            self.i += 2
            ranges = _PERL[nxt.lower()]
            return ("set", CharSet(_negated(ranges) if nxt.isupper() else ranges, False, False))
        if nxt in "pP":
            raise Re2Unsupported("Unicode character classes (\\p, \\P) are not evaluated by s3audit")
        if nxt == "Q":
            end = self.p.find("\\E", self.i + 2)
            text = self.p[self.i + 2:] if end < 0 else self.p[self.i + 2:end]
            self.i = len(self.p) if end < 0 else end + 2
            return ("cat", [("lit", ch, flags.i) for ch in text]) if text else ("cat", [])
        if nxt == "C":
            raise self.error("invalid escape sequence `\\C`")
        return ("lit", self.escaped_char(), flags.i)

    def escaped_char(self) -> str:
        """The character of an escape at the cursor (a backslash and what follows), Go's parseEscape."""
        c = self.peek(1)
        self.i += 2
        if c.isascii() and not c.isalnum():
            return c
        if "1" <= c <= "7" and not ("0" <= self.peek() <= "7"):
            raise self.error(f"invalid escape sequence `\\{c}`")  # a back-reference: RE2 has none
        if "0" <= c <= "7":
            digits = c
            while len(digits) < 3 and "0" <= self.peek() <= "7":
                digits += self.peek()
                self.i += 1
            return chr(int(digits, 8))
        if c == "x":
            if self.peek() == "{":
                end = self.p.find("}", self.i)
                hexs = self.p[self.i + 1:end] if end > 0 else ""
                if not hexs or not all(h in "0123456789abcdefABCDEF" for h in hexs) or int(hexs, 16) > 0x10FFFF:
                    raise self.error("invalid escape sequence `\\x`")
                self.i = end + 1
                return chr(int(hexs, 16))
            hexs = self.p[self.i:self.i + 2]
            if len(hexs) < 2 or not all(h in "0123456789abcdefABCDEF" for h in hexs):
                raise self.error("invalid escape sequence `\\x`")
            self.i += 2
            return chr(int(hexs, 16))
        simple = {"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}
        if c in simple:
            return simple[c]
        raise self.error(f"invalid escape sequence `\\{c}`")

    def char_class(self, flags: _Flags) -> CharSet:
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while first or self.peek() != "]":
            if self.i >= len(self.p):
                raise self.error("missing closing ]")
            first = False
            if self.p.startswith("[:", self.i):
                end = self.p.find(":]", self.i + 2)
                name = self.p[self.i + 2:end] if end > 0 else ""
                neg = name.startswith("^")
                name = name[1:] if neg else name
                if end > 0 and name in _POSIX:
                    ranges += _negated(_POSIX[name]) if neg else _POSIX[name]
                    self.i = end + 2
                    continue
                if end > 0 and self.p[self.i + 2:end].replace("^", "").isalpha():
                    raise self.error(f"invalid character class range `{self.p[self.i:end + 2]}`")
            if self.peek() == "\\" and self.peek(1) in "dswDSW" and self.peek(1):
                perl = _PERL[self.peek(1).lower()]
                ranges += _negated(perl) if self.peek(1).isupper() else perl
                self.i += 2
                continue
            if self.peek() == "\\" and self.peek(1) in ("p", "P"):
                raise Re2Unsupported("Unicode character classes (\\p, \\P) are not evaluated by s3audit")
            lo = self._class_char()
            hi = lo
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi = self._class_char()
                if ord(hi) < ord(lo):
                    raise self.error(f"invalid character class range `{lo}-{hi}`")
            ranges.append((ord(lo), ord(hi)))
        self.i += 1
        return CharSet(tuple(ranges), negate, flags.i)

    def _class_char(self) -> str:
        if self.i >= len(self.p):
            raise self.error("missing closing ]")
        if self.peek() == "\\":
            return self.escaped_char()
        c = self.peek()
        self.i += 1
        return c


def _repeat_is_valid(node, n: int) -> bool:
    """Go's repeatIsValid: nested counted repetitions multiply, and the product may not pass 1,000."""
    if node[0] == "rep":
        m = node[3] if node[3] is not None else node[2]
        if m > n:
            return False
        if m > 0:
            n //= m
        return _repeat_is_valid(node[1], n)
    if node[0] in ("cat", "alt"):
        return all(_repeat_is_valid(x, n) for x in node[1])
    if node[0] == "group":
        return _repeat_is_valid(node[2], n)
    return True


# --- compiling: the tree -> a program for the Pike machine -------------------------------------------------
# ("char", test) ("split", first, second) ("jmp", to) ("save", slot) ("assert", kind) ("match",)

class _Compiler:
    def __init__(self):
        self.prog: list[list] = []

    def emit(self, *ins) -> int:
        if len(self.prog) >= MAX_PROGRAM:
            raise Re2TooCostly(f"the pattern compiles to more than {MAX_PROGRAM:,} instructions")
        self.prog.append(list(ins))
        return len(self.prog) - 1

    def node(self, n) -> None:
        kind = n[0]
        if kind == "lit":
            ch, fold = n[1], n[2]
            self.emit("char", CharSet(((ord(ch), ord(ch)),), False, fold) if fold else ch)
        elif kind == "set":
            self.emit("char", n[1])
        elif kind == "any":
            self.emit("char", None if n[1] else "\n!")  # None: any character; "\n!": anything but a newline
        elif kind == "cat":
            for x in n[1]:
                self.node(x)
        elif kind == "alt":
            jumps = []
            for x in n[1][:-1]:
                split = self.emit("split", 0, 0)
                self.prog[split][1] = len(self.prog)
                self.node(x)
                jumps.append(self.emit("jmp", 0))
                self.prog[split][2] = len(self.prog)
            self.node(n[1][-1])
            for j in jumps:
                self.prog[j][1] = len(self.prog)
        elif kind == "group":
            if n[1] is None:
                self.node(n[2])
            else:
                self.emit("save", 2 * n[1])
                self.node(n[2])
                self.emit("save", 2 * n[1] + 1)
        elif kind == "assert":
            self.emit("assert", n[1])
        elif kind == "rep":
            self.repeat(n[1], n[2], n[3], n[4])

    def repeat(self, sub, lo: int, hi: int | None, greedy: bool) -> None:
        for _ in range(lo):
            self.node(sub)
        if hi is None:  # x*: L: split body, out; body; jmp L
            split = self.emit("split", 0, 0)
            self.node(sub)
            self.emit("jmp", split)
            self._branch(split, split + 1, len(self.prog), greedy)
            return
        splits = []
        for _ in range(hi - lo):  # x{0,n}: (x(x(...)?)?)?, each copy optional once the one before it matched
            splits.append(self.emit("split", 0, 0))
            self.node(sub)
        for split in splits:  # every exit goes past the last copy
            self._branch(split, split + 1, len(self.prog), greedy)

    def _branch(self, split: int, body: int, out: int, greedy: bool) -> None:
        self.prog[split][1:] = [body, out] if greedy else [out, body]


@dataclass(frozen=True)
class Re2:
    """A compiled pattern: its program, its number of groups and their names (index -> name)."""

    pattern: str
    prog: tuple
    ngroups: int
    names: dict


def compile_re2(pattern: str) -> Re2:
    parser = _Parser(pattern)
    tree = parser.parse()
    comp = _Compiler()
    comp.emit("save", 0)
    comp.node(tree)
    comp.emit("save", 1)
    comp.emit("match")
    return Re2(pattern, tuple(tuple(i) for i in comp.prog), parser.ngroups, dict(parser.names))


# --- running: the Pike machine ------------------------------------------------------------------------------

def _is_word(text: str, i: int) -> bool:
    if not 0 <= i < len(text):
        return False
    c = text[i]
    return c == "_" or (c.isascii() and c.isalnum())


def _assertion(kind: str, text: str, i: int) -> bool:
    if kind == "A":
        return i == 0
    if kind == "z":
        return i == len(text)
    if kind == "ml^":
        return i == 0 or text[i - 1] == "\n"
    if kind == "ml$":
        return i == len(text) or text[i] == "\n"
    boundary = _is_word(text, i - 1) != _is_word(text, i)
    return boundary if kind == "b" else not boundary


class _Budget:
    def __init__(self, steps: int):
        self.left = steps

    def charge(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise Re2TooCostly("matching the pattern takes too many steps")


def search(rx: Re2, text: str, start: int, budget: _Budget | None = None) -> list | None:
    """The leftmost-first match at or after ``start`` (Go's semantics): its slots [start, end, g1s, g1e, ...]
    (-1 for a group that did not take part), or None."""
    budget = budget or _Budget(STEP_BUDGET)
    prog = rx.prog
    nslots = 2 * (rx.ngroups + 1)
    matched: list | None = None
    clist: list[tuple[int, tuple]] = []
    empty = (-1,) * nslots

    def add(out: list, seen: set, pc: int, caps: tuple, i: int) -> None:
        stack = [(pc, caps)]
        while stack:
            pc, caps = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            ins = prog[pc]
            op = ins[0]
            if op == "jmp":
                stack.append((ins[1], caps))
            elif op == "split":
                stack.append((ins[2], caps))  # lower priority pushed first, taken last
                stack.append((ins[1], caps))
            elif op == "save":
                slot = ins[1]
                stack.append((pc + 1, caps[:slot] + (i,) + caps[slot + 1:]))
            elif op == "assert":
                if _assertion(ins[1], text, i):
                    stack.append((pc + 1, caps))
            else:
                out.append((pc, caps))

    i = start
    n = len(text)
    seen: set[int] = set()
    while True:
        if matched is None:  # a new thread starts here, below every thread already running
            add(clist, seen, 0, empty, i)
        if not clist:
            if matched is not None or i >= n:
                break
            i += 1  # no thread survived: the next start is one character on
            seen = set()
            continue
        budget.charge(len(clist))
        nlist: list[tuple[int, tuple]] = []
        nseen: set[int] = set()
        ch = text[i] if i < n else None
        for pc, caps in clist:
            ins = prog[pc]
            if ins[0] == "match":
                matched = list(caps)
                break  # threads below this one have lower priority
            if ch is None:
                continue
            test = ins[1]
            if test is None:
                ok = True
            elif isinstance(test, str):
                ok = (ch != "\n") if test == "\n!" else ch == test
            else:
                ok = test.matches(ch)
            if ok:
                add(nlist, nseen, pc + 1, caps, i + 1)
        if ch is None:
            break
        clist, seen = nlist, nseen
        i += 1
        if not clist and matched is not None:
            break
    return matched


def _expand(template: str, text: str, slots: list, rx: Re2) -> str:
    """Go's Regexp.Expand: $1, ${1}, $name, ${name} and $$; a name that is no group expands to nothing."""
    out: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c != "$" or i + 1 >= len(template):
            out.append(c)
            i += 1
            continue
        if template[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        if template[i + 1] == "{":
            end = template.find("}", i + 2)
            name = template[i + 2:end] if end > 0 else ""
            after = end + 1
        else:
            j = i + 1
            while j < len(template) and (template[j] == "_" or template[j].isalnum()):
                j += 1
            name, after = template[i + 1:j], j
        if not name or not all(ch == "_" or ch.isalnum() for ch in name):
            out.append("$")  # malformed: the dollar is text
            i += 1
            continue
        group = int(name) if name.isdigit() else next((g for g, nm in rx.names.items() if nm == name), None)
        if group is not None and group <= rx.ngroups and slots[2 * group] >= 0:
            out.append(text[slots[2 * group]:slots[2 * group + 1]])
        i = after
    return "".join(out)


def replace_all(rx: Re2, text: str, template: str, *, max_len: int | None = None) -> str:
    """Go's ReplaceAllString: every non-overlapping match replaced by ``template`` expanded; an empty match
    right after a match is not replaced."""
    budget = _Budget(STEP_BUDGET)
    out: list[str] = []
    size = 0
    last_end = 0
    pos = 0
    while pos <= len(text):
        m = search(rx, text, pos, budget)
        if m is None:
            break
        out.append(text[last_end:m[0]])
        if m[1] > last_end or m[0] == 0:
            piece = _expand(template, text, m, rx)
            out.append(piece)
            size += len(piece) + m[0] - last_end
            if max_len is not None and size > max_len:
                raise Re2TooCostly("the result grows too long")
        last_end = m[1]
        pos = pos + 1 if pos + 1 > m[1] else m[1]
    out.append(text[last_end:])
    return "".join(out)


def find_all(rx: Re2, text: str) -> list[list]:
    """Go's FindAllStringSubmatchIndex: the slots of every non-overlapping match; an empty match right after a
    match is left out."""
    budget = _Budget(STEP_BUDGET)
    out: list[list] = []
    pos, prev_end = 0, -1
    while pos <= len(text):
        m = search(rx, text, pos, budget)
        if m is None:
            break
        accept = True
        if m[1] == pos:  # an empty match
            accept = m[0] != prev_end
            pos += 1
        else:
            pos = m[1]
        prev_end = m[1]
        if accept:
            out.append(m)
    return out
