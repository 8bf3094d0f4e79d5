"""Pointers into a snapshot that survive reordering: logical paths.

The ``locations`` map of an IaC snapshot is keyed by JSON pointers (``/accounts/0/s3/buckets/2``). A pointer
is only meaningful for one arrangement of the lists; a *logical path* names list elements by their
identity instead (``("accounts", Sel("id", "1234..."), "s3", "buckets", Sel("Name", "logs"))``), so it can
be carried from one snapshot to another (the producer's own build, or the overlay on a live estate) and
turned back into a pointer there.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import pointer_join


class Sel(NamedTuple):
    """Select the element of a list whose ``field`` equals ``value``."""

    field: str
    value: Any


# Which field identifies an element of a snapshot list, tried in this order; lists of elements with
# none of them (statements, grants, rules) are addressed by index.
IDENTITY_FIELDS = ("id", "Name", "RoleName", "UserName", "GroupName", "Arn", "PolicyArn", "PolicyName", "Id",
                   "VersionId", "VpcEndpointId")


def identity(element: Any) -> Sel | None:
    if isinstance(element, dict):
        for field in IDENTITY_FIELDS:
            value = element.get(field)
            if isinstance(value, str):
                return Sel(field, value)
    return None


def to_pointer(doc: Any, path: tuple) -> str | None:
    """The JSON pointer of ``path`` in ``doc``, or None when some step does not exist there (one lookup; to
    turn many paths of one document, use a ``PointerIndex``)."""
    return PointerIndex(doc).pointer(path)


class PointerIndex:
    """Turns logical paths into JSON pointers of one document that does not change meanwhile.

    Each list is indexed by a field the first time a path selects in it by that field, so placing every
    object of a snapshot costs time linear in the snapshot, not in buckets x buckets (a path selects the
    first element whose field has the value, as a scan would)."""

    def __init__(self, doc: Any):
        self.doc = doc
        self._by_field: dict[tuple[int, str], dict] = {}
        self._keep: list = []  # the indexed lists, kept alive so that their ids stay theirs

    def _position(self, node: list, step: Sel) -> int | None:
        key = (id(node), step.field)
        table = self._by_field.get(key)
        if table is None:
            table = {}
            for i, element in enumerate(node):
                if isinstance(element, dict):
                    value = element.get(step.field)
                    try:
                        table.setdefault(value, i)
                    except TypeError:  # an unhashable value is never what a path selects by
                        pass
            self._by_field[key] = table
            self._keep.append(node)
        try:
            return table.get(step.value)
        except TypeError:
            return None

    def pointer(self, path: tuple) -> str | None:
        pointer, node = "", self.doc
        for step in path:
            if isinstance(step, Sel):
                if not isinstance(node, list):
                    return None
                i = self._position(node, step)
                if i is None:
                    return None
                pointer, node = pointer_join(pointer, i), node[i]
            elif isinstance(step, int):
                if not isinstance(node, list) or not 0 <= step < len(node):
                    return None
                pointer, node = pointer_join(pointer, step), node[step]
            else:
                if not isinstance(node, dict) or step not in node:
                    return None
                pointer, node = pointer_join(pointer, step), node[step]
        return pointer


def nearest_location(locations: dict, pointer: str) -> dict | None:
    """The position the ``locations`` map gives for ``pointer``, else for its nearest ancestor that has one."""
    while True:
        loc = locations.get(pointer)
        if loc is not None:
            return loc
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]


def to_logical(doc: Any, pointer: str) -> tuple | None:
    """The logical path of a JSON pointer in ``doc`` (list elements by identity), or None if it dangles."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        return None
    path: list = []
    node = doc
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                return None
            element = node[int(token)]
            path.append(identity(element) or int(token))
            node = element
        elif isinstance(node, dict):
            if token not in node:
                return None
            path.append(token)
            node = node[token]
        else:
            return None
    return tuple(path)


def carry_locations(source: dict, target: dict) -> dict[str, dict]:
    """``source``'s ``locations``, re-pointed to where the same objects are in ``target``: the change's
    positions on the live snapshot it is overlaid on. A value ``target`` lacks (a policy the change adds to
    a live bucket) keeps its place under the nearest object ``target`` has; what cannot be placed is left out."""
    out: dict[str, dict] = {}
    index = PointerIndex(target)
    for pointer, loc in (source.get("locations") or {}).items():
        path = to_logical(source, pointer)
        moved = _nearest(index, path) if path is not None else None
        if moved is not None and moved not in out:
            out[moved] = loc
    return out


def _nearest(index: PointerIndex, path: tuple) -> str | None:
    for i in range(len(path), 0, -1):
        rest = path[i:]
        if any(isinstance(step, Sel) for step in rest):
            break  # a list element the target lacks: no index to give it
        base = index.pointer(path[:i])
        if base is not None:
            return pointer_join(base, *rest)
    return None
