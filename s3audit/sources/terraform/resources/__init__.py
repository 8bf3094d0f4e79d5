"""Every Terraform resource and data source type s3audit reads, one module per family.

Importing this package fills the tables of registry.py; the functions below are how the readers use them.
A new family is a module here, imported below (see registry.py for what a module registers).
"""
from __future__ import annotations

from typing import Any

from ...builder import SnapshotBuilder
from ...values import with_symbols
from ..arguments import convert_arguments
from ..registry import ARGUMENT_TYPES, COMPUTED, DATA_SOURCES, MAPS, REMOVED, Gone, Instance, Mapper
from ..resource import Res
from . import (compute, iam, iam_policy_document, kms, organizations, provider_data, random,  # noqa: F401
               referenced, s3, vpc)  # (they fill the tables)


def map_resources(builder: SnapshotBuilder, resources: list[Res], region: Any) -> None:
    """Describe ``resources`` to ``builder``: those that others refer to first (see ``maps``' stage)."""
    m = Mapper(builder, region)
    for r in MAPS.in_stages(resources, lambda r: r.type):
        fn = MAPS.get(r.type)
        if fn is not None:
            r.values = with_symbols(r.values)  # fresh names (random_pet...) by their symbols: see values.Fresh
            schema = ARGUMENT_TYPES.get(r.type)
            if schema is not None:
                convert_arguments(r, schema)  # as Terraform converts them before the provider sees them
            builder.restating = r.restated
            fn(m, r)
    builder.restating = False


def add_computed(rtype: str, obj: dict, address: str, account_id: str, region: Any) -> str | None:
    """Fill the attributes the provider computes but s3audit can tell (``id``, ``arn``...) in ``obj``.

    Returns why the resource's name is a placeholder, or None when the name is known.
    """
    fn = COMPUTED.get(rtype)
    return fn(obj, Instance(rtype, address, account_id, region)) if fn is not None else None


def read_data_source(dtype: str, obj: Any, address: str, account_id: str, region: Any) -> None:
    """Set the attributes a data source reads in ``obj`` (its arguments, evaluated), for the types s3audit knows."""
    fn = DATA_SOURCES.get(dtype)
    if fn is not None:
        fn(obj, Instance(dtype, address, account_id, region))


def removals_of(rtype: str, v: dict, address: str, account_id: str, location: dict | None) -> list:
    """What destroying one resource (its values before the plan: ``v``) takes away; see removals.py.

    Types s3audit does not map, and ``aws_s3_bucket_acl`` (whose delete leaves the ACL as it is), take away
    nothing."""
    fn = REMOVED.get(rtype)
    return fn(v, Gone(rtype, address, account_id, location)) if fn is not None else []
