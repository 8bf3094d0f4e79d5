"""What s3audit knows of each Terraform resource and data source type: tables from the type to a function.

The modules in ``resources/`` fill them, one decorated function per type (or per family of types), so that a
new type is a new function, and a new family a new module listed in ``resources/__init__.py``::

    @maps("aws_kms_key", stage=0)             # to the snapshot, through the builder
    def aws_kms_key(m: Mapper, r: Res) -> None:
        m.b....(r.values["key_id"], ..., r.loc)

    @computes("aws_kms_key")                  # attributes the provider computes that s3audit can tell
    def _(obj: dict, at: Instance) -> str | None: ...

    @removes("aws_kms_key")                   # what destroying one takes away (see removals.py)
    def _(v: dict, gone: Gone) -> list: ...

    @data_source("aws_kms_alias")             # a data source's attributes, from its arguments
    def _(obj: dict, at: Instance) -> None: ...

A type without a mapping is read (its references resolve) and left out of the snapshot.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from ..builder import SnapshotBuilder
from ..removals import Removal
from ..type_table import TypeTable
from .resource import Res

# Mapping: fn(m: Mapper, r: Res) -> None. Stage 0: resources that others refer to (buckets, IAM entities,
# access points, organization policies), mapped first; then the rest, each stage in the order of the input.
MAPS = TypeTable("the mapping")
# Computed attributes: fn(obj, at: Instance) -> why the name is a placeholder, or None. Filled in the
# resource's value as evaluated (so references see them) and in a plan's values.
COMPUTED = TypeTable("the computed attributes")
# What destroying a resource takes away: fn(values before the plan, gone: Gone) -> [Removal].
REMOVED = TypeTable("what destroying")
# Data sources: fn(obj, at: Instance) -> None, setting the attributes it reads in ``obj``.
DATA_SOURCES = TypeTable("the data source")

maps = MAPS.register
computes = COMPUTED.register
removes = REMOVED.register
data_source = DATA_SOURCES.register


class Instance(NamedTuple):
    """Where a resource (or data source) instance is: its type, address, account and provider region."""

    rtype: str
    address: str
    account_id: str
    region: Any  # a string, or Unknown when the configuration does not set it


class Mapper:
    """What a mapping function works with: the snapshot being built and the provider's region."""

    def __init__(self, builder: SnapshotBuilder, region: Any):
        self.b, self.region = builder, region

    def name(self, r: Res, attr: str, what: str) -> str | None:
        """A name the resource gives by reference (a bucket, a role); None (and an account error) when unknown."""
        return self.b.referenced_name(r.address, r.values.get(attr), attr, what)


class Gone(NamedTuple):
    """Where a destroyed resource was: for the ``Removal``s its ``removes`` function returns."""

    rtype: str
    address: str
    account_id: str
    location: dict | None

    def __call__(self, kind: str, name: str | None, **kw: Any) -> list[Removal]:
        """One removal of ``kind`` named ``name`` (none when the name is not known)."""
        if not name:
            return []
        return [Removal(kind, name, kw.pop("account", self.account_id), address=self.address, location=self.location,
                        **kw)]
