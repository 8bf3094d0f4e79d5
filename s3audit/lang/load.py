"""Read rule files from disk into a ``Program``: the files given, then what they import.

An import is a relative path to another `.s3r` file inside the rules tree. The tree's root is the
``root`` argument, else: for a directory given on the command line, that directory; for a file, its
nearest enclosing directory named `rules`, else the file's own directory. Nothing outside the root is
ever read (symbolic links are followed before the check), so a rule file cannot make s3audit read
arbitrary files.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Sequence

from ..errors import InputError, Place
from .ast import ImportDecl, RuleFile
from .diagnostics import Diagnostic, RuleSyntaxError, make
from .program import Program, import_target

RULE_SUFFIX = ".s3r"


def _display(path: Path) -> str:
    return path.as_posix()


def _default_root(path: Path) -> Path:
    for parent in path.parents:
        if parent.name == "rules":
            return parent
    return path.parent


def _inside(path: Path, root: Path) -> bool:
    try:
        real, real_root = os.path.realpath(path), os.path.realpath(root)
        return os.path.commonpath([real, real_root]) == real_root
    except ValueError:  # different drives
        return False


def expand(paths: Sequence[str], root: str | None = None) -> list[tuple[Path, Path]]:
    """The rule files named by ``paths`` (directories: their `*.s3r` files, recursively), with their roots."""
    out: list[tuple[Path, Path]] = []
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(q for q in p.rglob(f"*{RULE_SUFFIX}") if q.is_file())
            if not found:  # a folder of no rules would check nothing, and pass
                raise InputError(f"no rule files (`*{RULE_SUFFIX}`) in this directory", Place(raw))
            pairs = [(q, Path(root) if root else p) for q in found]
        elif p.is_file():
            # only rule files are read: an error quotes the line at fault, which must never be a line of
            # some other file (a password hash in /etc/shadow)
            if not raw.endswith(RULE_SUFFIX):
                raise InputError(f"not a rule file (rule files end in `{RULE_SUFFIX}`)", Place(raw))
            if not os.path.realpath(p).endswith(RULE_SUFFIX):
                raise InputError("links to a file that is not a rule file", Place(raw))
            pairs = [(p, Path(root) if root else _default_root(p))]
        else:
            raise InputError(f"cannot read `{raw}`: no such file or directory", Place(raw))
        for q, r in pairs:
            key = os.path.realpath(q)
            if key not in seen:
                seen.add(key)
                out.append((q, r))
    return out


def load_rules(paths: Sequence[str], root: str | None = None) -> Program:
    """Parse the given rule files (and directories of them) and everything they import."""
    entries = expand(paths, root)
    entry_reals = {os.path.realpath(p) for p, _ in entries}
    files: dict[str, RuleFile] = {}  # display path -> parsed file
    display_of: dict[str, str] = {}  # real path -> the display path it was first reached by
    diagnostics: list[Diagnostic] = []
    failed: set[str] = set()
    pending: dict[str, list[Path | None]] = {}  # importer -> imported paths (None: unusable)
    queue: list[tuple[Path, Path]] = list(entries)
    while queue:
        path, tree_root = queue.pop(0)
        real = os.path.realpath(path)
        if real in display_of:
            continue
        display = display_of[real] = _display(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            if real in entry_reals:
                raise InputError(f"cannot read `{display}`: {_reason(exc)}", Place(display)) from None
            diagnostics.append(make("unreadable", f"cannot read `{display}`: {_reason(exc)}", None, None))
            failed.add(display)
            continue
        try:
            rf = _parse_cached(text, display)
        except RuleSyntaxError as exc:
            diagnostics.extend(exc.diagnostics)
            failed.add(display)
            continue
        files[display] = rf
        targets: list[Path | None] = []
        for imp in rf.imports:
            target = _import(imp, path, tree_root, rf.source, diagnostics)
            targets.append(target)
            if target is not None:
                queue.append((target, tree_root))
        pending[display] = targets
    resolved: dict[str, tuple[str | None, ...]] = {}
    for display, targets in pending.items():
        names = []
        for t in targets:
            name = display_of.get(os.path.realpath(t)) if t is not None else None
            # a file that could not be read or parsed has been reported where it failed
            names.append(None if name is None or name in failed else name)
        resolved[display] = tuple(names)
    entry_names = tuple(display_of[os.path.realpath(p)] for p, _ in entries
                        if display_of.get(os.path.realpath(p)) in files)
    return Program(tuple(files.values()), entry_names, resolved, tuple(diagnostics), frozenset(failed))


def _parse_cached(text: str, display: str) -> RuleFile:
    """``parse_rules``, through the per-user cache: parsing the built-in packs (and importing Lark) is a
    third of a pre-merge check. The entry is the pickled AST, keyed by everything the parse depends on
    (s3audit's version, the grammar and parser, the path it is reported under, the text); only files that parse are
    kept, and any problem with an entry means parsing afresh."""
    from .. import __version__
    from ..cache import cache_dir, key
    directory = cache_dir()
    entry = None
    if directory is not None:
        # the parser's own code and the AST's shape are part of the key, so a changed checkout never
        # reads an entry an older one wrote, even at the same version number
        here = Path(__file__).parent
        try:
            code = [(here / name).read_bytes() for name in ("grammar.lark", "parse.py", "ast.py")]
        except OSError:
            code = None
        if code is not None:
            entry = os.path.join(directory, f"rules-{key(__version__, *code, display, text)}.pickle")
        try:
            with open(entry, "rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, RuleFile) and cached.source == text and cached.path == display:
                from ..cache import used
                used(entry)
                return cached
        except Exception:  # missing, truncated or from an incompatible build: parse instead
            pass
    from .parse import parse_rules
    rf = parse_rules(text, display)
    if entry is not None:
        try:
            from ..fileio import write_atomic
            write_atomic(entry, pickle.dumps(rf, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:  # a cache that cannot be written is no cache, not an error
            pass
    return rf


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, IsADirectoryError):
        return "it is a directory"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc).lower()


def _import(imp: ImportDecl, importer: Path, root: Path, source: str, diagnostics: list[Diagnostic]) -> Path | None:
    """The file an import names, or None after reporting why it cannot be used."""
    target = imp.path.value
    span = imp.path.span

    def report(code: str, message: str, hint: str | None = None) -> None:
        diagnostics.append(make(code, message, span, source, hint=hint))

    if not target or target.startswith(("/", "\\")) or (len(target) > 1 and target[1] == ":") or "\\" in target:
        report("bad-import", f"import path `{target}` must be relative to this file, with `/` between parts")
        return None
    if not target.endswith(RULE_SUFFIX):
        report("bad-import", f"`{target}` is not a rule file", hint=f"rule files end in `{RULE_SUFFIX}`")
        return None
    path = Path(import_target(_display(importer), target))
    if not _inside(path, root):
        report("import-outside-rules", f"import `{target}` leaves the rules tree `{_display(root)}`",
               hint="imports can only name files inside the rules tree")
        return None
    if not path.is_file():
        report("import-not-found", f"cannot find `{target}` (looked for `{_display(path)}`)")
        return None
    return path
