"""Terraform configurations and plans -> format-v1 snapshots (source kind ``terraform``).

Two entry points, one mapping:

* ``load_terraform_dir(dir)`` reads the ``.tf`` and ``.tf.json`` files of a root module (and of the local
  modules it calls, or of modules ``terraform init`` already downloaded), merges its override files into
  them, evaluates the references between resources, locals, variables (defaults, ``terraform.tfvars``,
  ``*.auto.tfvars`` and their ``.json`` forms), data sources and module outputs (see hcl.py and
  hcljson.py), and maps the resources. No Terraform binary, no provider download.
* ``load_terraform_plan(plan.json)`` reads ``terraform show -json`` output: the values of
  ``resource_changes`` (``after`` with ``after_unknown``), else ``planned_values``; values the plan leaves
  unknown are taken from the configuration directory when it can tell them (a bucket policy's
  ``bucket = aws_s3_bucket.x.id``), or from the plan's ``configuration`` references; anything else stays
  unknown. Source positions come from the configuration directory (``terraform_dir``, by default the
  plan file's directory) since a plan records none.

Both produce an ``IacPart``: the snapshot (with ``locations``) without S3's creation defaults, and
which buckets the change creates (``iac.load_iac`` decides about the defaults; see builder.py). A plan's
part also lists what the plan destroys (``removals``, see removals.py and destroyed.py), kept out
of the snapshot document, which cannot say "gone".

Names Terraform leaves to apply time (a bucket with ``bucket_prefix`` or no name, a role without ``name``)
become placeholders ``<address>`` (for example ``<aws_s3_bucket.logs>``): never a valid AWS name, so they
cannot collide with a real one, and every reference to the resource (``.id``, ``.arn``) resolves to the
same placeholder. A bucket named so also gets ``Errors["ListBuckets"]`` saying why.

The package, one idea per module: config.py reads a module directory's files (override files merged in),
variables.py converts values to variable types, evaluate.py evaluates the module tree into resource
instances (resource.py), plan.py reads plans and destroyed.py says what a plan destroys. What s3audit knows
of each resource and data source type (how it maps to the snapshot, the attributes it computes, what
destroying it takes away) is a table (registry.py) filled by one module per family in resources/.
"""
from __future__ import annotations

from ..builder import DEFAULT_ACCOUNT_ID, IacPart, SnapshotBuilder, note_unknown_managed_policies
from .config import has_configuration, read_module
from .evaluate import DirLoader
from .plan import load_terraform_plan
from .resources import map_resources, removals_of

__all__ = ["load_terraform_dir", "load_terraform_plan", "has_configuration", "removals_of", "DirLoader",
           "read_module"]


def load_terraform_dir(directory: str, *, account_id: str = DEFAULT_ACCOUNT_ID,
                       var_values: dict | None = None) -> IacPart:
    """Read and evaluate the Terraform configuration in ``directory`` (see the package docstring)."""
    loader = DirLoader(directory, account_id, var_values)
    resources = loader.resources()
    builder = SnapshotBuilder("terraform", f"configuration {loader.shown}", account_id)
    map_resources(builder, resources, loader.region)
    for address, reason in loader.unplaced:
        builder.unplaced(address, reason)
    note_unknown_managed_policies(builder)
    snap = builder.finish()
    return IacPart(snap, set(builder.created_buckets))
