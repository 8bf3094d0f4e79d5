"""YAML read safely: every error placed at its line and column, and every document bounded.

YAML's aliases let a few lines stand for an exponential number of values ("billion laughs") or for a
structure that contains itself. A composed document is walked once before anything is built from it: a
value that contains itself, more than ``MAX_VALUES`` values once aliases are expanded, or nesting deeper
than ``MAX_DEPTH`` is refused at the place it starts.
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import InputError, Place, S3AuditError
from .fileio import MAX_DEPTH

MAX_VALUES = 100_000  # a profile or a tests file holds hundreds; a template a few thousand

ErrorType = Callable[[str, Place], S3AuditError]


def _loader():
    import yaml
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _place(file: str | None, mark) -> Place:
    return Place(file, mark.line + 1, mark.column + 1) if mark is not None else Place(file)


def compose(text: str, file: str | None, error: ErrorType = InputError):
    """The document's node graph (None for an empty document), checked by ``check_bounded``."""
    import yaml
    try:
        node = yaml.compose(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").rstrip(".")
        raise error(f"invalid YAML: {problem}", _place(file, mark)) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {str(exc).splitlines()[0].rstrip('.')}", Place(file)) from None
    except RecursionError:
        raise error(f"nested more than {MAX_DEPTH} deep", Place(file)) from None
    if node is not None:
        check_bounded(node, file, error)
    return node


def check_bounded(node, file: str | None, error: ErrorType = InputError) -> None:
    """Refuse a node graph that contains itself, expands to more than MAX_VALUES values or nests deeper than
    MAX_DEPTH (walked without recursion, counting each alias as often as it would be expanded)."""
    import yaml
    count = 0
    on_path: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(node, 1, False)]
    while stack:
        n, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(n))
            continue
        if id(n) in on_path:
            raise error("a YAML alias refers to a value that contains it (a structure without end)",
                        _place(file, n.start_mark))
        count += 1
        if count > MAX_VALUES:
            raise error(f"the document expands to more than {MAX_VALUES:,} values (through YAML aliases)",
                        _place(file, n.start_mark))
        if depth > MAX_DEPTH:
            raise error(f"nested more than {MAX_DEPTH} deep", _place(file, n.start_mark))
        if isinstance(n, yaml.MappingNode):
            children = [c for pair in n.value for c in pair]
        elif isinstance(n, yaml.SequenceNode):
            children = n.value
        else:
            continue
        on_path.add(id(n))
        stack.append((n, depth, True))
        stack.extend((c, depth + 1, False) for c in reversed(children))


def safe_load(text: str, file: str | None, error: ErrorType = InputError) -> Any:
    """``yaml.safe_load`` of a bounded document (see the module's docstring)."""
    import yaml
    node = compose(text, file, error)
    if node is None:
        return None
    try:
        return yaml.constructor.SafeConstructor().construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(f"invalid YAML: {(exc.problem or exc.context or 'invalid value').rstrip('.')}",
                    _place(file, mark)) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        # SafeConstructor's own conversions (a date such as 2026-02-30, a mapping key that is a list)
        raise error(f"invalid YAML value: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                    Place(file)) from None
