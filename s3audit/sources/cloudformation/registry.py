"""What s3audit knows of each CloudFormation resource type: tables filled by the modules in ``resources/``.

One decorated function per type (or family), so that a new type touches no central function::

    NAME_PROPERTY["AWS::KMS::Key"] = ...      # the property that names it (none: the id is generated)
    PROPERTIES["AWS::KMS::Key"] = Obj({...})  # the shapes of the properties the mapping reads (shapes.py)

    @maps("AWS::KMS::Key", stage=0)          # to the snapshot, through the builder
    def kms_key(m: Mapper, logical: str, p: PDict) -> None: ...

    @attributes("AWS::KMS::Key")             # Fn::GetAtt values known before deploy
    def _(t: Template, r: Named, attr: str) -> Any: ...

A type without a mapping is resolved (its references work) and left out of the snapshot.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..builder import SnapshotBuilder
from ..type_table import TypeTable
from ..values import Loc, PDict, first_unknown

if TYPE_CHECKING:
    from .template import Template

# Mapping: fn(m: Mapper, logical id, resolved properties) -> None, type by type: by stage, then in the order
# the types were registered; each type's resources in template order. Stages: 0 buckets, 1 IAM entities,
# 2 managed policies, 3 access points; the default, 4, what attaches to them (bucket and inline policies,
# memberships).
MAPS = TypeTable("the mapping", default_stage=4)
# Fn::GetAtt: fn(t: Template, r: Named, attribute) -> its value, or None when only a deployment knows it.
ATTRIBUTES = TypeTable("Fn::GetAtt")
# The property that names a resource of the type; without it, CloudFormation generates the name.
NAME_PROPERTY: dict[str, str] = {}
# Types whose ``Ref`` returns one of their attributes rather than their name.
REF_ATTRIBUTE: dict[str, str] = {}
# The shapes of the properties the mapping reads (shapes.py): checked and converted before the mapping sees them.
PROPERTIES: dict[str, Any] = {}

maps = MAPS.register
attributes = ATTRIBUTES.register


class Named(NamedTuple):
    """A resource as ``Fn::GetAtt`` sees it: its type, name (None for a type without a name property) and
    ``Path`` (IAM's; ``/`` when not given)."""

    rtype: str
    name: Any
    path: str


class Mapper:
    """What a mapping function works with: the template and the snapshot being built."""

    def __init__(self, t: "Template", b: SnapshotBuilder):
        self.t, self.b = t, b

    def at(self, logical: str, props: PDict, key: str) -> Loc:
        """Where a property is written, else where the resource is."""
        return props.key_pos.get(key) if isinstance(props, PDict) and key in props.key_pos else self.t.loc_of(logical)

    def named(self, logical: str, p: PDict, prop: str, what: str) -> str | None:
        """A name the resource gives by reference (a bucket, a group); None (and an account error) when unknown."""
        return self.b.referenced_name(logical, p.get(prop), prop, what)


def keep(d: Any, keys: tuple) -> dict:
    """The ``keys`` of ``d`` that are set."""
    return {k: d[k] for k in keys if isinstance(d, dict) and d.get(k) is not None}


def tag_map(tags: Any) -> Any:
    """CloudFormation's ``Tags`` (a list of ``{Key, Value}``, conformed to shapes.TAGS) as a mapping; Unknown
    when any of them is."""
    u = first_unknown(tags)
    if u is not None:
        return u
    return {x["Key"]: x["Value"] for x in tags}
