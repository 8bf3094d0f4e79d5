"""``s3audit/precompiled.bin``: the code of the methods ``@dataclass`` writes for s3audit's classes, compiled when
the package is built (``python -m s3audit.build_precompiled``). It must hold exactly what ``exec`` would compile
from each text, cover every class of the package (else a class is compiled per process again: stale), and
change nothing about the classes made from it."""
from __future__ import annotations

import __future__
import builtins
import dataclasses
import importlib.util
import json
import marshal
import os
import subprocess
import sys
import tomllib
import types
import typing

import pytest

from s3audit import precompiled
from s3audit.build_precompiled import source_texts

from .clirun import ROOT


def shipped() -> dict:
    with open(precompiled.FILE, "rb") as fh:
        data = fh.read()
    magic = importlib.util.MAGIC_NUMBER
    if data[:len(magic)] != magic:
        pytest.skip("precompiled.bin was built by another Python version (it is not read there)")
    return marshal.loads(data[len(magic):])


def test_the_file_is_package_data():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        assert "precompiled.bin" in tomllib.load(fh)["tool"]["setuptools"]["package-data"]["s3audit"]
    assert os.path.getsize(precompiled.FILE) > 100_000


def test_every_dataclass_source_of_the_package_is_in_the_file():
    codes = shipped()
    texts = source_texts()
    assert len(texts) > 500
    missing = [t.splitlines()[1].strip() for t in texts if t not in codes]
    assert not missing, f"stale: run python -m s3audit.build_precompiled ({len(missing)} missing, e.g. {missing[:3]})"


def test_each_code_is_what_exec_compiles_from_its_text():
    # dont_inherit: as dataclasses' own exec compiles, without this test module's future flags
    for text, code in shipped().items():
        assert code == compile(text, "<string>", "exec", dont_inherit=True), text


def test_no_shipped_code_holds_postponed_annotations():
    flag = __future__.annotations.compiler_flag

    def codes(code):
        yield code
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                yield from codes(const)
    for text, code in shipped().items():
        assert not any(c.co_flags & flag for c in codes(code)), text


def test_the_methods_annotations_are_the_fields_types():
    # what @dataclass compiles itself: __init__'s annotations are the fields' types, which get_type_hints
    # resolves (with postponed annotations they were the names of dataclasses' private locals)
    from s3audit.errors import Place
    hints = typing.get_type_hints(Place.__init__)
    assert hints["return"] is type(None)
    assert all(not str(v).startswith("_type_") for v in Place.__init__.__annotations__.values())


def test_dataclasses_use_the_shipped_code_and_compile_other_texts_as_before():
    assert dataclasses.exec is precompiled._exec  # installed when s3audit was imported

    @dataclasses.dataclass(frozen=True)
    class NotInTheFile:  # a text the file cannot hold: compiled by exec as ever
        name_of_a_test_field: int
        other: str = "x"

    a = NotInTheFile(1)
    assert a == NotInTheFile(1) and hash(a) == hash(NotInTheFile(1)) and repr(a) == \
        "test_dataclasses_use_the_shipped_code_and_compile_other_texts_as_before.<locals>.NotInTheFile(" \
        "name_of_a_test_field=1, other='x')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.other = "y"
    from s3audit.lang.ast import Span
    s = Span("f", 1, 2, 3, 4)
    assert repr(s) == "Span(file='f', line=1, column=2, end_line=3, end_column=4)" and s == Span("f", 1, 2, 3, 4)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'end_column'"):
        Span("f", 1, 2, 3)


PROBE = """
import builtins, json, sys
from s3audit import precompiled
compiled = []
def counting(source, globals=None, locals=None, /, **kwargs):
    if type(source) is str and source not in precompiled._load():
        compiled.append(source.splitlines()[1].strip())
    return precompiled._exec(source, globals, locals, **kwargs)
import dataclasses
dataclasses.exec = counting
from s3audit.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "compiled": compiled}))
"""


@pytest.mark.parametrize("inputs", [["--terraform", "fixtures/terraform/v4-public-policy"],
                                    ["--cloudformation", "fixtures/cloudformation/private-bucket.yaml"]])
def test_a_pre_merge_check_compiles_no_dataclass_method(inputs):
    shipped()  # skips on another Python
    done = subprocess.run([sys.executable, "-c", PROBE, "check", *inputs, "--format", "json"], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["status"] in (0, 1)
    assert last["compiled"] == []


def test_a_missing_or_foreign_file_means_compiling_as_before(tmp_path, monkeypatch):
    foreign = tmp_path / "precompiled.bin"
    foreign.write_bytes(b"\x00\x00\r\n" + marshal.dumps({"x": 1}))
    for path in (foreign, tmp_path / "missing.bin"):
        monkeypatch.setattr(precompiled, "FILE", str(path))
        monkeypatch.setattr(precompiled, "_codes", None)
        assert precompiled._load() == {}
        ns: dict = {}
        precompiled._exec("def f():\n return 7\n", None, ns)
        assert ns["f"]() == 7
    seen = "the caller's"
    precompiled._exec("found = seen")  # no namespaces given: the caller's, as exec's
    assert builtins.exec is not precompiled._exec
