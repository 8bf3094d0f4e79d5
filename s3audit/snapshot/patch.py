"""Changing a snapshot document: JSON Patch (RFC 6902) with JSON pointers (RFC 6901), pure.

A cut (``graph/cut.py``) and a suggested fix (``fixes/``) are both a change to the snapshot's documents, and
the engine proves each one by reading the changed document again. They share this module: ``apply``
applies a patch to a copy of a document, ``removal`` writes the patch that removes a set of elements
(policy statements, ACL grants, group memberships, attachments ...).

Policy documents may be held as JSON text (or the URL-encoded text IAM's API returns): a pointer such as
``/accounts/0/s3/buckets/2/Policy/Statement/1`` then reaches *into* the text, which RFC 6902 cannot
address. ``removal`` and ``edit`` write such a change as one ``replace`` of the text value with the edited
document, encoded as text again, so every patch they return is plain RFC 6902.
"""
from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from ..errors import InputError, Place

_MISSING = object()
REMOVE = object()  # what an ``edit`` function returns to take a value out


class PatchError(InputError):
    """A patch that does not apply: the operation's index and path say where."""


def tokens(pointer: str) -> list[str]:
    """The reference tokens of a JSON pointer (``""`` is the whole document)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"a JSON pointer starts with `/`, found `{pointer}`", Place(None, pointer=pointer))
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _step(node: Any, token: str, pointer: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise PatchError(f"no member `{token}`", Place(None, pointer=pointer))
        return node[token]
    if isinstance(node, list):
        i = _index(token, len(node), pointer)
        if i >= len(node):
            raise PatchError(f"index {token} is past the end of a list of {len(node)}", Place(None, pointer=pointer))
        return node[i]
    raise PatchError("a pointer goes inside a value that is neither an object nor a list",
                     Place(None, pointer=pointer))


def _index(token: str, size: int, pointer: str, *, append: bool = False) -> int:
    if append and token == "-":
        return size
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"`{token}` is not a list index", Place(None, pointer=pointer))
    return int(token)


def get(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` (plain RFC 6901: never inside JSON text)."""
    node = document
    for t in tokens(pointer):
        node = _step(node, t, pointer)
    return node


def decode_text(value: Any) -> Any:
    """A policy held as JSON text (plain or URL-encoded) as the object it encodes; anything else as it is."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith(("%7B", "%7b")) or ("%22" in text and not text.startswith("{")):
        text = unquote(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return value


def split_at_text(document: Any, pointer: str) -> tuple[str, str]:
    """(the pointer of the JSON text the pointer reaches into, the rest inside it), or ``(pointer, "")``
    when nothing on the way is text."""
    node = document
    ts = tokens(pointer)
    for i, t in enumerate(ts):
        if isinstance(node, str):
            head = "".join("/" + x.replace("~", "~0").replace("/", "~1") for x in ts[:i])
            rest = "".join("/" + x.replace("~", "~0").replace("/", "~1") for x in ts[i:])
            return head, rest
        node = _step(node, t, pointer)
    return pointer, ""


def resolve(document: Any, pointer: str) -> Any:
    """The value at ``pointer``, reading through a policy held as JSON text on the way."""
    node = document
    for t in tokens(pointer):
        node = _step(decode_text(node), t, pointer)
    return node


# ---- applying RFC 6902 ----

def apply(document: Any, ops: Iterable[dict]) -> Any:
    """A copy of ``document`` with the operations applied in order (RFC 6902: add, remove, replace, move,
    copy, test). The original is never changed."""
    doc = copy.deepcopy(document)
    for n, op in enumerate(ops):
        try:
            doc = _apply_one(doc, op)
        except PatchError as exc:
            raise PatchError(f"operation {n} ({op.get('op')} {op.get('path')}): {exc.message}",
                             exc.place) from None
    return doc


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    ts = tokens(pointer)
    if not ts:
        raise PatchError("the operation needs a path below the root", Place(None, pointer=pointer))
    node = doc
    for t in ts[:-1]:
        node = _step(node, t, pointer)
    return node, ts[-1]


def _apply_one(doc: Any, op: dict) -> Any:
    kind, path = op.get("op"), op.get("path")
    if not isinstance(path, str):
        raise PatchError("an operation needs a `path`", None)
    if kind == "test":
        if get(doc, path) != op.get("value"):
            raise PatchError("the value differs from the one the patch expects", Place(None, pointer=path))
        return doc
    if kind in ("move", "copy"):
        value = copy.deepcopy(get(doc, op.get("from", "")))
        if kind == "move":
            doc = _apply_one(doc, {"op": "remove", "path": op["from"]})
        return _apply_one(doc, {"op": "add", "path": path, "value": value})
    if kind not in ("add", "remove", "replace"):
        raise PatchError(f"unknown operation `{kind}`", Place(None, pointer=path))
    if path == "":
        if kind == "remove":
            raise PatchError("cannot remove the whole document", Place(None, pointer=path))
        return copy.deepcopy(op.get("value"))
    parent, last = _parent(doc, path)
    value = copy.deepcopy(op.get("value")) if kind != "remove" else None
    if isinstance(parent, dict):
        if kind in ("remove", "replace") and last not in parent:
            raise PatchError(f"no member `{last}` to {kind}", Place(None, pointer=path))
        if kind == "remove":
            del parent[last]
        else:
            parent[last] = value
    elif isinstance(parent, list):
        i = _index(last, len(parent), path, append=kind == "add")
        if kind == "add":
            if i > len(parent):
                raise PatchError(f"index {last} is past the end of a list of {len(parent)}", Place(None, pointer=path))
            parent.insert(i, value)
        else:
            if i >= len(parent):
                raise PatchError(f"index {last} is past the end of a list of {len(parent)}", Place(None, pointer=path))
            if kind == "remove":
                del parent[i]
            else:
                parent[i] = value
    else:
        raise PatchError("the path's parent is neither an object nor a list", Place(None, pointer=path))
    return doc


# ---- writing patches ----

def _encode_like(original: str, document: Any) -> str:
    """The document as text again: URL-encoded if the original was."""
    from urllib.parse import quote
    text = json.dumps(document, separators=(",", ":"))
    return quote(text, safe="") if not original.strip().startswith("{") else text


def edit(document: Any, changes: dict[str, Callable[[Any], Any]]) -> list[dict]:
    """A patch from edits of values: ``changes`` maps a pointer (which may reach into JSON text) to a
    function from the old value to the new one (``_MISSING`` in, for a value that is not there; return
    ``REMOVE`` to take it out). Edits inside one text value become one ``replace`` of the text."""
    by_text: dict[str, list[tuple[str, Callable]]] = defaultdict(list)
    plain: list[tuple[str, Callable]] = []
    for pointer, fn in changes.items():
        head, rest = split_at_text(document, pointer) if _exists_prefix(document, pointer) else (pointer, "")
        if rest:
            by_text[head].append((rest, fn))
        else:
            plain.append((pointer, fn))
    ops: list[dict] = []
    for pointer, fn in plain:
        ops.extend(_ops_for(document, pointer, fn))
    for head, inner in sorted(by_text.items()):
        original = get(document, head)
        decoded = copy.deepcopy(decode_text(original))
        for op in [o for rest, fn in inner for o in _ops_for(decoded, rest, fn)]:
            decoded = _apply_one(decoded, op)
        ops.append({"op": "replace", "path": head, "value": _encode_like(original, decoded)})
    return ops



def _exists_prefix(document: Any, pointer: str) -> bool:
    """Whether some prefix of the pointer is JSON text (then the rest is inside it)."""
    node = document
    for t in tokens(pointer):
        if isinstance(node, str):
            return True
        if isinstance(node, dict):
            if t not in node:
                return False
            node = node[t]
        elif isinstance(node, list):
            if not t.isdigit() or int(t) >= len(node):
                return False
            node = node[int(t)]
        else:
            return False
    return False


def _ops_for(document: Any, pointer: str, fn: Callable[[Any], Any]) -> list[dict]:
    try:
        old = get(document, pointer)
    except PatchError:
        old = _MISSING
    new = fn(old)
    if new is REMOVE:
        return [] if old is _MISSING else [{"op": "remove", "path": pointer}]
    if old is _MISSING:
        return [{"op": "add", "path": pointer, "value": new}]
    if new == old:
        return []
    return [{"op": "replace", "path": pointer, "value": new}]


def removal(document: Any, pointers: Iterable[str]) -> list[dict]:
    """The patch that takes out the elements at ``pointers`` (each a list item or an object member).

    A statement that is a policy's only one, written as an object (``"Statement": {...}``), leaves an empty
    list behind, so that the document stays a policy. Items of one list are removed from the last, so
    that each operation's index is still right when it runs. Elements inside JSON text are removed inside
    the text, which is replaced whole."""
    by_text: dict[str, list[str]] = defaultdict(list)
    plain: list[str] = []
    for p in dict.fromkeys(pointers):
        head, rest = split_at_text(document, p)
        if rest:
            by_text[head].append(rest)
        else:
            plain.append(p)
    ops = _removal_ops(document, plain)
    for head, inner in sorted(by_text.items()):
        original = get(document, head)
        decoded = apply(decode_text(original), _removal_ops(decode_text(original), inner))
        if _deletable(head) and not decoded.get("Statement"):
            ops.append({"op": "remove", "path": head})
        else:
            ops.append({"op": "replace", "path": head, "value": _encode_like(original, decoded)})
    return _whole_policies(document, ops)


def _deletable(policy_pointer: str) -> bool:
    """A bucket's or access point's policy, which S3 deletes whole (DeleteBucketPolicy) rather than keep
    without statements; IAM's documents stay, with none (removing an inline policy would shift the indices of
    its neighbours, which other pointers name)."""
    return policy_pointer.endswith("/Policy") and "/s3/" in policy_pointer


def _whole_policies(document: Any, ops: list[dict]) -> list[dict]:
    """Removals that leave a bucket or access point policy without statements remove the policy instead."""
    gone: dict[str, int] = defaultdict(int)
    for op in ops:
        head, _, _ = op["path"].rpartition("/Statement")
        if op["op"] in ("remove", "replace") and head and _deletable(head) and "/Statement" in op["path"]:
            gone[head] += 1
    empty = set()
    for head, n in gone.items():
        stmts = decode_text(get(document, head)).get("Statement")
        if not isinstance(stmts, list) or n >= len(stmts):
            empty.add(head)
    if not empty:
        return ops
    kept = [op for op in ops if op["path"].rpartition("/Statement")[0] not in empty]
    return kept + [{"op": "remove", "path": head} for head in sorted(empty)]


def _removal_ops(document: Any, pointers: list[str]) -> list[dict]:
    def order(p: str) -> tuple:
        ts = tokens(p)
        parent = "/".join(ts[:-1])
        last = ts[-1]
        return (parent, -int(last) if last.isdigit() else 0, last)

    ops = []
    for p in sorted(pointers, key=order):
        if p.endswith("/Statement") and isinstance(get(document, p), dict):
            ops.append({"op": "replace", "path": p, "value": []})
        else:
            get(document, p)  # a pointer that names nothing is an error here, not a silent no-op
            ops.append({"op": "remove", "path": p})
    return ops
