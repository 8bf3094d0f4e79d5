"""`s3audit explain`: the engine's command-line face — one request, or many from a JSON-lines file."""
from __future__ import annotations

import json
import sys
from typing import Any, Iterable, TextIO

from ..errors import InputError, Place, UsageError
from ..iam.engine import Decision, Engine, Request
from ..snapshot.load import load_snapshot


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
    if not isinstance(obj, dict):
        raise InputError("each line must be a JSON object", place)
    for k in ("principal", "action", "resource"):
        if not isinstance(obj.get(k), str) or not obj.get(k):
            raise InputError(f"missing or non-string `{k}`", place)
    ctx = obj.get("context") or {}
    if not isinstance(ctx, dict):
        raise InputError("`context` must be an object of key -> value (or list of values, or null for absent)",
                         place)
    for k, v in ctx.items():
        ok = v is None or isinstance(v, (str, int, float, bool)) or (
            isinstance(v, list) and all(isinstance(x, (str, int, float, bool)) for x in v))
        if not ok:
            raise InputError(f"context value of `{k}` must be a string, number, boolean, list or null", place)
    return Request(obj["principal"], obj["action"], obj["resource"], ctx)


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
            conds = "; ".join(_clause_text(x) for x in c.conditions)
            verb = "allowed if" if c.effect == "Allow" else "denied if"
            lines.append(f"  {verb} {conds}  ({c.source}, statement {c.statement})")
    if d.assumptions:
        lines.append("assumptions:")
        lines.extend(f"  - {a}" for a in d.assumptions)
    return "\n".join(lines)


def _clause_text(c: dict) -> str:
    if "operator" in c:
        vals = c["values"]
        return f"{c['operator']} {c['key']} {vals[0] if len(vals) == 1 else vals}"
    return c.get("note", json.dumps(c))


def run(args) -> int:
    if args.requests and (args.principal or args.action or args.resource):
        raise UsageError("use either --requests or --principal/--action/--resource, not both")
    snapshot = load_snapshot(args.snapshot)
    engine = Engine(snapshot)
    engine.compile_all()
    if args.requests:
        return _bulk(engine, args.requests, args.format or "json", sys.stdout)
    missing = [f"--{n}" for n in ("principal", "action", "resource") if not getattr(args, n)]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (or give --requests FILE.jsonl)")
    request = Request(args.principal, args.action, args.resource, parse_context(args.context))
    decision = engine.decide(request)
    if args.format == "json":
        print(json.dumps(decision.to_json(), indent=2))
    else:
        print(render_text(request, decision))
    return 0


def _bulk(engine: Engine, path: str, fmt: str, out: TextIO) -> int:
    from ..fileio import read_text
    text = read_text(path)
    requests: list[Request] = []
    raw: list[Any] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg.lower()}", Place(path, n, exc.colno)) from None
        requests.append(request_from_json(obj, Place(path, n)))
        raw.append(obj)
    write = out.write
    for obj, req in zip(raw, requests):
        d = engine.decide(req)
        if fmt == "json":
            o = d.to_json()
            o["request"] = obj
            write(json.dumps(o) + "\n")
        else:
            write(render_text(req, d) + "\n\n")
    return 0
