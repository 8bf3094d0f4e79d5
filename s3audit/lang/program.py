"""A program: the rule files checked (and later run) together, with their imports resolved.

``Program.from_files`` builds one from parsed files without touching the disk (imports are matched by
path among the given files); ``lang/load.py`` builds one by reading a rules tree.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .ast import RuleFile
from .diagnostics import Diagnostic


def import_target(importer: str, target: str) -> str:
    """The path an `import "target"` in file ``importer`` names: relative to the importer's directory."""
    base = posixpath.dirname(importer.replace("\\", "/"))
    return posixpath.normpath(posixpath.join(base, target))


@dataclass(frozen=True)
class Program:
    files: tuple[RuleFile, ...]  # every parsed file, each once: the given ones first, then imports
    entries: tuple[str, ...]  # paths of the files given by the user: their rules are the ones that run
    # importer path -> one entry per import declaration: the imported file's path, or None when the
    # loader could not load it (and already reported why)
    resolved: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()  # unreadable files, syntax errors, bad imports
    failed: frozenset[str] = frozenset()  # files that could not be read or parsed

    @classmethod
    def from_files(cls, files: Sequence[RuleFile], entries: Sequence[str] | None = None) -> "Program":
        """A program of already parsed files; an import names one of them by its relative path."""
        unique: dict[str, RuleFile] = {}
        for f in files:
            unique.setdefault(f.path, f)
        resolved = {
            f.path: tuple(import_target(f.path, imp.path.value) for imp in f.imports) for f in unique.values()
        }
        return cls(tuple(unique.values()), tuple(entries) if entries is not None else tuple(unique), resolved)

    def file(self, path: str) -> RuleFile | None:
        for f in self.files:
            if f.path == path:
                return f
        return None
