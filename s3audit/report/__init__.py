"""Reporters: one module per output format, each ``render(report) -> str`` over one ``Report`` (and, for those
whose output grows with the estate, ``render_pieces(report)``: the same text in pieces).

``render(name, report)`` picks the module by name and imports it only then, so a run that writes JSON
never loads the HTML reporter. ``FORMATS`` lists the names; ``EXTENSIONS`` maps file endings to them for
``-o report.sarif`` without ``--format``.
"""
from __future__ import annotations

import importlib
from typing import Iterator

FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")
EXTENSIONS = {".txt": "text", ".json": "json", ".sarif": "sarif", ".xml": "junit", ".md": "markdown",
              ".markdown": "markdown", ".html": "html", ".htm": "html"}


def render(name: str, report, **options) -> str:
    return _reporter(name).render(report, **options)


def render_pieces(name: str, report, **options) -> Iterator[str]:
    """The text of ``render(name, report)`` in pieces, for a file written as they come: a reporter whose output
    grows with the estate gives it a piece at a time (``render_pieces``), any other whole."""
    module = _reporter(name)
    if hasattr(module, "render_pieces"):
        return module.render_pieces(report, **options)
    return iter((module.render(report, **options),))


def _reporter(name: str):
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}")
    return importlib.import_module(f"{__name__}.{name}")


def format_for_path(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(".sarif.json"):
        return "sarif"
    for ext, name in EXTENSIONS.items():
        if lower.endswith(ext):
            return name
    return None
