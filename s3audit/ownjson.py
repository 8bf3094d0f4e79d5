"""Parsing the JSON that s3audit wrote itself (a scan history's units and indexes), fast.

These files are large (a night's units history holds every finding of the estate) and are never a user's
input: what the user gives is read by ``fileio.parse_json``, which words each refusal with its place. Here
orjson parses about 2.5 times as fast as the standard library where it is installed (it is a dependency; the
standard library serves when it is not). Both give the same values for what s3audit writes, and both raise a
``ValueError`` for what is not JSON; orjson also refuses a lone UTF-16 surrogate or an integer beyond 64 bits,
which s3audit never writes: a line that has them is damaged, and its unit is computed again.
"""
from __future__ import annotations

import json
from typing import Any, Callable

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - a platform without orjson's wheels
    _loads = json.loads

loads: Callable[[bytes | str], Any] = _loads
