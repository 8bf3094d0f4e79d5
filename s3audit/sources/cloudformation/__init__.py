"""CloudFormation templates (YAML or JSON) -> format-v1 snapshots (source kind ``cloudformation``).

YAML is composed with PyYAML (libyaml when present) into nodes, which keep the line and column of every
mapping, key and value, and converted here: the short intrinsic tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...)
become their long forms (``{"Ref": ...}``), timestamps stay the strings the template wrote (CloudFormation
reads ``Version: 2012-10-17`` as text). JSON templates are read by the position-keeping reader in
values.py. Then ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::If`` (with the template's Conditions), ``Fn::FindInMap`` and ``Fn::Base64`` are resolved between the
template's resources, parameters with defaults and pseudo parameters; what only a deployment knows
(``Fn::ImportValue``, ``Fn::GetAZs``, a parameter without default, a generated physical id) is Unknown.

Names CloudFormation generates at deploy time (a bucket without ``BucketName``, a role without
``RoleName``) become the placeholder ``<LogicalId>``: never a valid AWS name, and every ``Ref``/``GetAtt``
of the resource resolves to the same placeholder. Such a bucket also gets ``Errors["ListBuckets"]``.
A resource whose ``Condition`` cannot be decided is kept: it may be deployed.

The package, one idea per module: syntax.py reads YAML and JSON with positions, template.py and
intrinsics.py resolve the template's values, and what s3audit knows of each resource type (how it maps to
the snapshot, its name property, its ``Fn::GetAtt`` attributes) is in tables (registry.py) filled by one
module per family in resources/. The SAM transform is sam.py's.
"""
from __future__ import annotations

import gc
from typing import Any

from ...errors import InputError
from ...fileio import read_text
from ..builder import DEFAULT_ACCOUNT_ID, IacPart, SnapshotBuilder, note_unknown_managed_policies
from .resources import map_resources
from .language_extensions import LANGUAGE_EXTENSIONS, expand_loops
from .syntax import read_template
from .template import SAM_TRANSFORM, Template, transform_names
from ..values import Loc

__all__ = ["load_cloudformation", "read_template", "Template"]


def load_cloudformation(path: str, *, account_id: str = DEFAULT_ACCOUNT_ID, region: str | None = None,
                        stack_name: str | None = None, parameters: dict[str, Any] | None = None):
    """Read one template: its snapshot (without creation defaults) and the buckets it creates."""
    # Reading builds one large tree of small objects and frees little: the cyclic garbage collector would
    # scan it again and again as it grows (40,000 buckets: over half the time), so it waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(str(path), account_id, region, stack_name, parameters)
    finally:
        if collecting:
            gc.enable()


def _load(file: str, account_id: str, region: str | None, stack_name: str | None,
          parameters: dict[str, Any] | None) -> IacPart:
    doc = read_template(read_text(file), file)
    b = SnapshotBuilder("cloudformation", f"template {file}", account_id)
    transforms = transform_names(doc, file)
    macros = [name for name, _ in transforms if name not in (LANGUAGE_EXTENSIONS, SAM_TRANSFORM)]
    try:
        t = Template(doc, file, account_id, region, stack_name, parameters)
    except InputError as exc:
        if not macros:
            raise
        at = exc.place
        b.unread(f"Transform {macros[0]}", f"{exc.message}, as written; the macro `{macros[0]}` rewrites the "
                 "template before CloudFormation reads it, and s3audit does not run it",
                 Loc(at.file, at.line, at.column) if at is not None else Loc(file, 1, 1))
        return IacPart(b.finish(), set())
    t.macros = macros
    for name, at in transforms:
        if name == LANGUAGE_EXTENSIONS:
            expand_loops(t)
        elif name != SAM_TRANSFORM:
            b.unread(f"Transform {name}", f"the transform `{name}` rewrites the template at deploy time and s3audit "
                                          "does not expand it: what it adds or changes was not read", at)
    t.check_resources()
    if any(name == SAM_TRANSFORM for name, _ in transforms) or any(
            r["Type"].startswith("AWS::Serverless::") for r in t.resources.values()):
        from ..sam import expand  # the SAM transform's generated roles and policies (only when needed)
        expand(t, b)
    map_resources(t, b)
    for what, why, at in t.unread:
        b.unread(what, why, at)
    note_unknown_managed_policies(b)
    return IacPart(b.finish(), set(b.created_buckets))
