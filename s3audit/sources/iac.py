"""One entry point for the pre-merge check: IaC inputs (and optionally the live estate) -> one snapshot.

``load_iac`` reads Terraform configuration directories, Terraform plan JSON files and CloudFormation
templates, combines what they propose, and either overlays it on the live snapshot (``overlay.overlay``)
or, without one, treats every bucket the inputs create as new (S3's creation defaults fill what they do
not set). It returns the snapshot and its ``locations`` map (JSON pointer -> file, line, column);
``load_change`` also returns what the change destroys (a Terraform plan's deletions), which the overlay
takes out of the live snapshot and which, without one, have nothing to apply to.

Account id: IaC does not say which account it deploys to. ``account_id`` when given (to overlay on the
live snapshot it must be one of its accounts); else a plan's own account (its IAM ARNs show it) if the
live snapshot has that account, or any plan's without a live snapshot; else the live snapshot's first
account; else the placeholder ``123456789012``. The id appears in the ARNs the
readers compute (``aws_iam_role.x.arn``, ``!GetAtt Role.Arn``, ``AWS::AccountId``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import InputError, Place, S3AuditError
from .builder import DEFAULT_ACCOUNT_ID, IacPart, apply_creation_defaults
from .removals import Removal


# Terraform's configuration and variable files, in native and JSON syntax
TERRAFORM_SUFFIXES = (".tf", ".tfvars", ".tf.json", ".tfvars.json")


def classify(path: str) -> str:
    """``terraform`` (a directory, or a file of a configuration: .tf, .tf.json, .tfvars, .tfvars.json),
    ``terraform-plan`` or ``cloudformation``, by content."""
    if os.path.isdir(path) or path.endswith(TERRAFORM_SUFFIXES):
        return "terraform"
    from ..fileio import read_text
    text = read_text(path)
    head = text.lstrip()[:4096]
    if head.startswith("{") and '"format_version"' in head and (
            '"planned_values"' in text or '"resource_changes"' in text):
        return "terraform-plan"
    return "cloudformation"


def looks_like_iac(path: str) -> bool:
    """Whether a file the pre-commit hook passes is Terraform, a plan or a CloudFormation template.

    JSON and YAML files are common in a repository; only templates (a ``Resources`` mapping, or
    ``AWSTemplateFormatVersion``) and plans are read, the rest are not s3audit's business.
    """
    if path.endswith(TERRAFORM_SUFFIXES) or os.path.isdir(path):
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    if head.lstrip().startswith("{"):
        return ('"format_version"' in head and ('"planned_values"' in head or '"resource_changes"' in head)) or (
            '"Resources"' in head and '"AWS::' in head) or '"AWSTemplateFormatVersion"' in head
    import re
    return bool(re.search(r"^AWSTemplateFormatVersion\s*:", head, re.M) or (
        re.search(r"^Resources\s*:", head, re.M) and "AWS::" in head))


def load_part(kind: str, path: str, *, account_id: str | None, terraform_dir: str | None = None,
              region: str | None = None, parameters: dict | None = None) -> IacPart:
    if kind == "terraform":
        from .terraform import load_terraform_dir
        return load_terraform_dir(path if os.path.isdir(path) else os.path.dirname(path) or ".",
                                  account_id=account_id or DEFAULT_ACCOUNT_ID)
    if kind == "terraform-plan":
        from .terraform import load_terraform_plan
        return load_terraform_plan(path, terraform_dir=terraform_dir, account_id=account_id)
    if kind == "cloudformation":
        from .cloudformation import load_cloudformation
        return load_cloudformation(path, account_id=account_id or DEFAULT_ACCOUNT_ID, region=region,
                                   parameters=parameters)
    raise InputError(f"unknown kind of IaC input `{kind}`", Place(path))


@dataclass
class IacChange:
    """What ``load_change`` reads: the snapshot (overlaid on the live one when given), its ``locations``, and
    what the change destroys (``removals``: applied to the live snapshot; without one, nothing to apply to)."""

    snapshot: dict
    locations: dict
    removals: list[Removal] = field(default_factory=list)


def load_iac(paths: Iterable[str] = (), *, terraform: Iterable[str] = (), terraform_plans: Iterable[str] = (),
             cloudformation: Iterable[str] = (), live: dict | None = None, account_id: str | None = None,
             terraform_dir: str | None = None, region: str | None = None,
             parameters: dict | None = None) -> tuple[dict, dict]:
    """Read IaC inputs into one snapshot (overlaid on ``live`` when given); returns (snapshot, locations).

    ``paths`` are classified by ``classify``; ``terraform``/``terraform_plans``/``cloudformation`` name
    the kind explicitly. Several .tf files of one directory count once. ``terraform_dir`` is where plans'
    configuration lives (default: each plan's own directory); ``region`` and ``parameters`` apply to
    CloudFormation templates (a template does not say its region).
    """
    change = load_change(paths, terraform=terraform, terraform_plans=terraform_plans, cloudformation=cloudformation,
                         live=live, account_id=account_id, terraform_dir=terraform_dir, region=region,
                         parameters=parameters)
    return change.snapshot, change.locations


def load_change(paths: Iterable[str] = (), *, terraform: Iterable[str] = (), terraform_plans: Iterable[str] = (),
                cloudformation: Iterable[str] = (), live: dict | None = None, account_id: str | None = None,
                terraform_dir: str | None = None, region: str | None = None,
                parameters: dict | None = None) -> IacChange:
    """``load_iac`` that also returns what the change destroys (see ``IacChange``)."""
    live_accounts = [a["id"] for a in (live or {}).get("accounts") or [] if isinstance(a, dict)
                     and isinstance(a.get("id"), str)]
    inputs: list[tuple[str, str]] = [(classify(p), p) for p in paths]
    inputs += [("terraform", p) for p in terraform]
    inputs += [("terraform-plan", p) for p in terraform_plans]
    inputs += [("cloudformation", p) for p in cloudformation]
    seen_dirs: set[str] = set()
    parts: list[IacPart] = []
    for kind, path in inputs:
        if kind == "terraform":
            d = os.path.normpath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
            if d in seen_dirs:
                continue
            seen_dirs.add(d)
            path = d
        if kind == "terraform-plan" and account_id is None:
            # a plan may show its account (its IAM ARNs): that one, if the live estate has it
            from .terraform import load_terraform_plan
            parts.append(load_terraform_plan(path, terraform_dir=terraform_dir, known_accounts=live_accounts))
            continue
        parts.append(load_part(kind, path, account_id=account_id or (live_accounts[0] if live_accounts else None),
                               terraform_dir=terraform_dir, region=region, parameters=parameters))
    if not parts:
        raise InputError("no Terraform configuration, plan or CloudFormation template was given")
    from .overlay import merge
    proposed = parts[0].snapshot
    created = set(parts[0].created_buckets)
    removals: list[Removal] = list(parts[0].removals)
    for part in parts[1:]:
        proposed = merge(proposed, part.snapshot, new_bucket_defaults=False)
        created |= part.created_buckets
        removals += part.removals
    if live is not None:
        result = merge(live, proposed, new_bucket_defaults=True, removals=removals)
    else:
        result = proposed  # nothing live to destroy: removals have nothing to apply to
        for acct in result.get("accounts") or []:
            for bucket in (acct.get("s3") or {}).get("buckets") or []:
                if bucket.get("Name") in created:
                    apply_creation_defaults(bucket)
    return IacChange(result, result.get("locations") or {}, removals)


def placed_in_change(error: S3AuditError, snapshot: dict) -> S3AuditError:
    """An error about a value of the snapshot made from IaC (a JSON pointer, no file) placed where the value is
    written instead: the file, line and column its ``locations`` give for it or its nearest ancestor. The user
    wrote the template or configuration, not the snapshot."""
    place = error.place
    if place is None or place.file is not None or place.pointer is None:
        return error
    from .locations import nearest_location
    loc = nearest_location(snapshot.get("locations") or {}, place.pointer)
    if loc is None:
        return error
    return error.at(Place(loc["file"], loc.get("line"), loc.get("column")))
