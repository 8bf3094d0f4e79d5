"""Errors that reach the user: each says which file, where in it, and one sentence of what is wrong.

The command line turns any ``S3AuditError`` into that message and exit status 2; nothing else in
s3audit prints a traceback for bad input.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """Where in a file: a line and column (1-based) for text we parse, or a JSON pointer."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        text = ":".join(parts)
        if self.pointer is not None:
            text += f": at {self.pointer or '/'}"
        return text


class S3AuditError(Exception):
    """Bad input or a failed operation the user can act on. ``kind`` is a stable short code."""

    kind = "error"

    def __init__(self, message: str, place: Place | None = None, *, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.place = place
        self.detail = detail  # optional extra lines (a source excerpt with a caret)

    def __str__(self) -> str:
        head = one_line(f"{self.place}: {self.message}" if self.place else self.message)
        return f"{head}\n{self.detail}" if self.detail else head

    def at(self, place: Place) -> "S3AuditError":
        """The same error, placed (used where the low-level code did not know the file)."""
        err = type(self)(self.message, place, detail=self.detail)
        return err


class InputError(S3AuditError):
    kind = "input"


class SnapshotError(S3AuditError):
    kind = "snapshot"


class PolicyError(S3AuditError):
    kind = "policy"


class RuleError(S3AuditError):
    kind = "rule"


class ProfileError(S3AuditError):
    kind = "profile"


class UsageError(S3AuditError):
    kind = "usage"


class OutputError(S3AuditError):
    """A file (or standard output) that s3audit could not or would not write."""

    kind = "output"


def one_line(text: str) -> str:
    """``text`` as one line of a terminal: line breaks, escape sequences and other control characters (which a
    file name, a JSON key or a quoted value may hold) written as escapes, never acted on."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def pointer_join(base: str, *parts: object) -> str:
    """Extend a JSON pointer (RFC 6901) with escaped reference tokens."""
    out = base
    for p in parts:
        out += "/" + str(p).replace("~", "~0").replace("/", "~1")
    return out
