"""Every CloudFormation resource type s3audit maps, one module per family.

Importing this package fills the tables of registry.py. A new family is a module here, imported below after
the others (within a stage, types map in the order they were registered: S3 first, then IAM).
"""
from __future__ import annotations

from ...builder import SnapshotBuilder
from ....errors import InputError, Place
from ...values import Unknown
from ..intrinsics import TemplateError
from ..registry import MAPS, PROPERTIES, Mapper
from ..shapes import conform
from ..template import Template
from . import s3  # noqa: F401  (fills the tables; keep this order: it is the order of types)
from . import iam  # noqa: F401
from . import compute  # noqa: F401
from . import kms, ec2  # noqa: F401
from . import services  # noqa: F401


def map_resources(t: Template, b: SnapshotBuilder) -> None:
    """Describe the template's resources to ``b``, type by type (see ``maps``), skipping those whose
    ``Condition`` is false; a resource whose condition is undecided may be deployed, so it is kept."""
    m = Mapper(t, b)
    for rtype in MAPS.types():
        fn = MAPS.get(rtype)
        for logical, res in t.resources.items():
            if res["Type"] != rtype:
                continue
            try:
                _map_one(t, b, m, fn, logical, res)
            except InputError as exc:
                t.not_valid_before_macro(exc, logical)


def _map_one(t: Template, b: SnapshotBuilder, m: Mapper, fn, logical: str, res) -> None:
    cond = res.get("Condition")
    if cond is not None:
        try:
            decided = t.condition(str(cond))
        except TemplateError as exc:
            at = res.key_pos.get("Condition") or t.loc_of(logical)
            raise InputError(str(exc), Place(at.file, at.line, at.column)) from None
        if decided is False:
            return
    props = t.properties(logical)
    if isinstance(props, Unknown):
        b.unplaced(logical, props.reason)
        return
    shape = PROPERTIES.get(res["Type"])
    if shape is not None:
        props = conform(props, shape, getattr(props, "pos", None) or t.loc_of(logical), logical)
    fn(m, logical, props)
