"""`s3audit explain`: the engine's command-line face — one request, or many from a JSON-lines file."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any, Iterable, TextIO

from ..errors import InputError, Place, UsageError
from ..iam import names
from ..iam.engine import Decision, Engine, Request
from ..iam.wording import clause_text, describe
from ._inputs import load_estate

# What JSON allows around a value (RFC 8259): str.strip() would also take away control characters such as \x1f
# (Python counts them as whitespace), passing a line that is not JSON.
JSON_WHITESPACE = " \t\r\n"


def parse_context(pairs: Iterable[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs; a key given several times becomes a multi-valued key."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--context takes KEY=VALUE, found `{pair}`")
        key = key.strip()
        if key in out:
            prev = out[key]
            out[key] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            out[key] = value
    return out


def request_from_json(obj: Any, place: Place) -> Request:
    try:
        return _request(obj)
    except InputError as exc:
        raise exc.at(place) from None


_SCALARS = (str, int, float, bool)
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})  # the types of _SCALARS values JSON decodes to
_NO_CONTEXT: dict = {}  # never changed


def _request(obj: Any) -> Request:
    """A request from one decoded line (InputError without a place when it is not one)."""
    return Request(*_parts(obj))


def _parts(obj: Any) -> tuple[str, str, str, Any]:
    """(principal, action, resource, context) of one decoded line (InputError without a place when it is not
    a request)."""
    if not isinstance(obj, dict):
        raise InputError("each line must be a JSON object")
    principal, action, resource = obj.get("principal"), obj.get("action"), obj.get("resource")
    if not (isinstance(principal, str) and principal and isinstance(action, str) and action
            and isinstance(resource, str) and resource):
        k = next(k for k in ("principal", "action", "resource") if not isinstance(obj.get(k), str) or not obj.get(k))
        raise InputError(f"missing or non-string `{k}`")
    ctx = obj.get("context")
    if ctx is None:
        ctx = {}
    if not isinstance(ctx, dict):
        raise InputError("`context` must be an object of key -> value (or list of values, or null for absent)")
    if ctx:
        for k, v in ctx.items():
            if not (v is None or isinstance(v, _SCALARS) or (
                    isinstance(v, list) and all(isinstance(x, _SCALARS) for x in v))):
                raise InputError(f"context value of `{k}` must be a string, number, boolean, list or null")
    return principal, action, resource, ctx


def render_text(request: Request, d: Decision) -> str:
    lines = [f"{d.decision.upper()}: {request.principal} {request.action} {request.resource}"]
    if d.reasons:
        lines.append("because:")
        for r in d.reasons:
            stmt = f" statement {r.statement}" if r.statement else ""
            note = f" — {r.note}" if r.note else ""
            lines.append(f"  [{r.effect}] {r.source}{stmt}{note}")
    if d.conditions:
        lines.append("depends on the request:")
        for c in d.conditions:
            conds = "; ".join(clause_text(x) for x in c.conditions)
            verb = "allowed if" if c.effect == "Allow" else "denied if"
            lines.append(f"  {verb} {conds}  ({c.source}, statement {c.statement})")
            lines.append(f"    = {describe(c.to_json())}")
    if d.assumptions:
        lines.append("assumptions:")
        lines.extend(f"  - {a}" for a in d.assumptions)
    return "\n".join(lines)


def run(args) -> int:
    if args.requests and (args.principal or args.action or args.resource):
        raise UsageError("use either --requests or --principal/--action/--resource, not both")
    # The same snapshot is explained again and again (one request at a time, or file after file): its schema
    # check is remembered in the per-user cache.
    snapshot = load_estate(args, remember_valid=True)
    engine = Engine(snapshot)
    engine.compile_all()
    if args.requests:
        return _bulk(engine, args.requests, args.format or "json", sys.stdout)
    missing = [f"--{n}" for n in ("principal", "action", "resource") if not getattr(args, n)]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (or give --requests FILE.jsonl)")
    request = Request(args.principal, args.action, args.resource, parse_context(args.context))
    try:
        engine.check(request)
    except InputError as exc:
        raise UsageError(f"--resource: {exc.message}") from None
    for option, problem in (("--principal", names.principal_problem(engine, request.principal)),
                            ("--action", names.action_problem(request.action)),
                            ("--resource", names.resource_problem(engine, request.resource))):
        if problem:
            raise UsageError(f"{option}: {problem}")
    decision = with_notes(engine.decide(request), names.ignored_context(engine, request.action, request.context))
    if args.format == "json":
        print(json.dumps(decision.to_json(), indent=2))
    else:
        print(render_text(request, decision))
    return 0


def with_notes(decision: Decision, notes: tuple[str, ...]) -> Decision:
    """The decision with notes on what the request said that was ignored, among its assumptions."""
    return replace(decision, assumptions=decision.assumptions + notes) if notes else decision


class _Names:
    """The checks of iam.names for the lines of a requests file, each name checked once."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.seen: dict[tuple[str, str], str | None] = {}
        self.notes: dict[tuple, tuple[str, ...]] = {}

    def check(self, principal: str, action: str, resource: str) -> None:
        for kind, name in (("principal", principal), ("action", action), ("resource", resource)):
            key = (kind, name)
            problem = self.seen.get(key, False)
            if problem is False:
                problem = self.seen[key] = (
                    names.principal_problem(self.engine, name) if kind == "principal"
                    else names.action_problem(name) if kind == "action"
                    else names.resource_problem(self.engine, name))
            if problem:
                raise InputError(f"`{kind}`: {problem}")

    def ignored(self, action: str, context) -> tuple[str, ...]:
        if not context:
            return ()
        key = (action, tuple(context))
        found = self.notes.get(key)
        if found is None:
            found = self.notes[key] = names.ignored_context(self.engine, action, context)
        return found


def _bulk(engine: Engine, path: str, fmt: str, out: TextIO) -> int:
    # Deciding allocates many small objects and keeps many (the engine's memos) alive, none in reference
    # cycles: the cyclic collector would only rescan them over and over (~15% of the run).
    from ..gcpause import no_cyclic_gc
    with no_cyclic_gc():
        return _decide_lines(engine, path, fmt, out)


def _decide_lines(engine: Engine, path: str, fmt: str, out: TextIO) -> int:
    from ..fileio import read_text
    text = read_text(path)
    if fmt != "json":
        return _decide_lines_text(engine, path, text, out)
    from ..fileio import STRICT_DECODER, loads_strict
    scan = STRICT_DECODER.scan_once  # the C scanner: json.loads without its Python wrappers (strict: no NaN)
    check = engine.check_parts
    checker = _Names(engine)
    extra: dict[int, tuple[str, ...]] = {}  # distinct request -> notes on context keys it gave in vain
    # 1. Every line read and checked, in order, before anything is decided or written. A line met before
    # (access reviews repeat requests) is answered as it was the first time.
    seen: dict[str, int] = {}  # stripped line -> number of the distinct request
    requests: list[tuple] = []  # (principal, action, resource, context) of each distinct request
    texts: list[str] = []  # its "request" in the output: the line itself, written back ASCII-escaped as
    lines: list[int] = []  # json.dumps does; and the distinct request of every line, in order
    by_principal: dict[str, list[int]] = {}
    # JSON Lines end at "\n" only: splitlines() would also split at U+2028 and friends, which JSON strings
    # may hold unescaped.
    for n, line in enumerate(text.split("\n"), 1):
        line = line.strip(JSON_WHITESPACE)
        if not line:
            continue
        number = seen.get(line)
        if number is None:
            try:
                try:
                    obj, end = scan(line, 0)
                except (StopIteration, ValueError, RecursionError):
                    end = -1
                if end != len(line) or ("\\u" in line and "\\ud" in line.lower()):
                    # raises the InputError that says what and where (or checks the surrogates it escapes)
                    obj = loads_strict(line, path, line=n)
                # Checked as _parts checks it, the usual shape without a call.
                if type(obj) is dict:
                    principal, action, resource = obj.get("principal"), obj.get("action"), obj.get("resource")
                    ctx = obj.get("context")
                    if ctx is None or ctx == _NO_CONTEXT:
                        ctx = _NO_CONTEXT
                    if (type(principal) is str and principal and type(action) is str and action
                            and type(resource) is str and resource
                            and (ctx is _NO_CONTEXT or type(ctx) is dict and _SCALAR_TYPES.issuperset(map(type, ctx.values())))):
                        parts = (principal, action, resource, ctx)
                    else:
                        parts = _parts(obj)
                else:
                    parts = _parts(obj)
                check(parts[1], parts[2])
                checker.check(parts[0], parts[1], parts[2])
            except InputError as exc:
                raise (exc if exc.place is not None else exc.at(Place(path, n))) from None
            number = seen[line] = len(requests)
            notes = checker.ignored(parts[1], parts[3])
            if notes:
                extra[number] = notes
            requests.append(parts)
            texts.append(line if line.isascii() else json.dumps(obj))
            group = by_principal.get(parts[0])
            if group is None:
                by_principal[parts[0]] = [number]
            else:
                group.append(number)
        lines.append(number)
    # 2. Decided principal by principal: a principal's memoised plans stay at hand in the processor's caches
    # (a fifth faster than in the order of the file; the engine answers alike in any order). Memoised
    # decisions are shared by many requests, so their JSON is rendered once per decision.
    decide = engine.decide_parts
    heads: list[str] = [""] * len(requests)  # the decision's JSON, open for "request"
    rendered: dict[int, tuple[Decision, str]] = {}  # holding the decision keeps its id from being reused
    for group in by_principal.values():
        for number in group:
            d = decide(*requests[number])
            if number in extra:  # rare: a context key the action never carries
                heads[number] = with_notes(d, extra[number]).json_text[:-1] + ', "request": '
                continue
            held = rendered.get(id(d))
            if held is None:
                held = rendered[id(d)] = (d, d.json_text[:-1] + ', "request": ')
            heads[number] = held[1]
    # 3. Written in the order of the file.
    write = out.write
    step = 2048
    for start in range(0, len(lines), step):
        chunk: list[str] = []
        add = chunk.extend
        for number in lines[start:start + step]:
            add((heads[number], texts[number], "}\n"))
        write("".join(chunk))
    return 0


def _decide_lines_text(engine: Engine, path: str, text: str, out: TextIO) -> int:
    from ..fileio import loads_strict
    requests: list[Request] = []
    checker = _Names(engine)
    for n, line in enumerate(text.split("\n"), 1):
        line = line.strip(JSON_WHITESPACE)
        if not line:
            continue
        try:
            request = _request(loads_strict(line, path, line=n))
            engine.check(request)  # every line is checked before any output is written
            checker.check(request.principal, request.action, request.resource)
        except InputError as exc:
            raise (exc if exc.place is not None else exc.at(Place(path, n))) from None
        requests.append(request)
    write = out.write
    for req in requests:
        write(render_text(req, with_notes(engine.decide(req), checker.ignored(req.action, req.context))) + "\n\n")
    return 0
