"""The estate a command reads: a snapshot, or an IaC change — Terraform directories and plans, CloudFormation
templates — on its own or overlaid on the live estate (``--live``). ``check``, ``paths`` and ``explain`` read
their IaC options the same way, through ``iac_change`` (``sources.iac.load_change``)."""
from __future__ import annotations

import argparse
import os
from typing import Any, Iterable

from ..errors import UsageError


def add_iac_options(p: argparse.ArgumentParser, live_help: str) -> None:
    """The IaC inputs and what the readers need to know about them."""
    p.add_argument("--terraform", action="append", metavar="DIR", help="Terraform configuration directory (repeatable)")
    p.add_argument("--terraform-plan", action="append", metavar="FILE",
                   help="Terraform plan JSON from `terraform show -json` (repeatable)")
    p.add_argument("--terraform-dir", metavar="DIR",
                   help="configuration directory of the plans, for file and line (default: each plan's directory)")
    p.add_argument("--cloudformation", action="append", metavar="FILE", help="CloudFormation template (repeatable)")
    p.add_argument("--live", metavar="LIVE.json", help=live_help)
    p.add_argument("--account-id", metavar="ID", help="the account the IaC deploys to")
    p.add_argument("--region", metavar="REGION", help="the region CloudFormation templates deploy to")
    p.add_argument("--parameter", action="append", metavar="KEY=VALUE", help="CloudFormation parameter value")


def require_inputs(iac_paths, terraform, plans, templates, live) -> None:
    """Every named input exists and holds something to read: a run over nothing must not pass."""
    from ..errors import InputError, Place
    from ..sources.iac import TERRAFORM_SUFFIXES
    for d in [*terraform, *(p for p in iac_paths if os.path.isdir(p))]:
        if not os.path.exists(d):
            raise InputError("no such directory", Place(d))
        if not os.path.isdir(d):
            raise InputError("not a directory (--terraform takes a configuration directory)", Place(d))
        try:
            names = os.listdir(d)
        except OSError as exc:
            raise InputError(f"cannot read the directory: {exc.strerror or exc}", Place(d)) from None
        if not any(n.endswith((".tf", ".tf.json")) and os.path.isfile(os.path.join(d, n)) for n in names):
            raise InputError("no Terraform configuration here (no .tf or .tf.json file)", Place(d))
    for f in [*plans, *templates, *([live] if live else []),
              *(p for p in iac_paths if not os.path.isdir(p) and not p.endswith(TERRAFORM_SUFFIXES))]:
        if not os.path.exists(f):
            raise InputError("no such file", Place(f))
        if os.path.isdir(f):
            raise InputError("is a directory, expected a file", Place(f))
        if os.path.getsize(f) == 0:
            raise InputError("the file is empty", Place(f))


def has_iac(args: argparse.Namespace, paths: Iterable[str] = ()) -> bool:
    return bool(list(paths) or args.terraform or args.terraform_plan or args.cloudformation)


def iac_change(args: argparse.Namespace, paths: Iterable[str] = (), live: dict | None = None):
    """The change the IaC options (and ``paths``, classified by content) name, overlaid on ``live`` when given:
    a ``sources.iac.IacChange``."""
    from ..sources.iac import load_change
    return load_change(list(paths), terraform=args.terraform or (), terraform_plans=args.terraform_plan or (),
                       cloudformation=args.cloudformation or (), live=live, account_id=args.account_id,
                       terraform_dir=args.terraform_dir, region=args.region, parameters=parameters(args.parameter))


def parameters(values: Iterable[str] | None) -> dict | None:
    if not values:
        return None
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter expects KEY=VALUE, found `{v}`")
        out[key] = value
    return out


def load_estate(args: argparse.Namespace, *, remember_valid: bool = False) -> Any:
    """The snapshot ``paths`` and ``explain`` read: the snapshot argument, or the IaC change overlaid on the live
    estate (``--live``, or the snapshot argument given with IaC), or the change on its own."""
    from ..snapshot.load import load_snapshot
    if not has_iac(args):
        if args.live:
            raise UsageError("--live needs a change to overlay: --terraform, --terraform-plan or --cloudformation")
        if not args.snapshot:
            raise UsageError("give a snapshot, or IaC with --terraform, --terraform-plan or --cloudformation")
        return load_snapshot(args.snapshot, remember_valid=remember_valid)
    if args.snapshot and args.live:
        raise UsageError("give the live estate once: either --live or a snapshot argument, not both")
    live_path = args.live or args.snapshot
    require_inputs((), args.terraform or (), args.terraform_plan or (), args.cloudformation or (), live_path)
    live = None
    if live_path:
        from ..fileio import read_json
        live = read_json(live_path)
    change = iac_change(args, (), live)
    # placed at the input that set a refused value, as check places it, never at a pointer into the generated snapshot
    from ..sources.iac import typed_snapshot
    inputs = [*(args.terraform or ()), *(args.terraform_plan or ()), *(args.cloudformation or ())]
    return typed_snapshot(change, inputs, remember_valid=live is None)
