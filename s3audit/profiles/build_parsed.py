"""Regenerate ``parsed.json``: each built-in profile as the YAML reader makes it, so that a check run with a
built-in profile does not import PyYAML (a thirtieth of a pre-merge check of Terraform).

For each ``<name>.yaml`` beside this file: the SHA-256 of its text, its values and the line and column of each
value (``profile.load_yaml_with_places``, with the file left out: it is where the package is installed).
``profile.py`` uses an entry only when the text's digest matches, so an edited profile is read from its YAML;
``tests/report/test_profile_parsed.py`` fails when this file is stale.

    python -m s3audit.profiles.build_parsed
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build() -> dict:
    from ..profile import load_yaml_with_places
    out = {}
    for path in sorted(HERE.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data, places = load_yaml_with_places(text, path.name)
        out[path.stem] = {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "data": data,
                          "places": {p: [at.line, at.column] for p, at in places.items()}}
    return out


def main() -> None:
    from ..fileio import write_atomic
    text = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"  # in the YAML's order, as it reads
    write_atomic(str(HERE / "parsed.json"), text.encode("utf-8"))


if __name__ == "__main__":
    main()
