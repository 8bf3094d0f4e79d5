"""``s3audit collect``: read a live AWS estate into a format-v1 snapshot (see ``s3audit.sources.aws``)."""
from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from ..sources import aws

    accounts = tuple(a.strip() for a in (args.accounts or "").split(",") if a.strip())
    options = aws.CollectOptions(
        output=args.output, profile=args.aws_profile, region=args.region, role_name=args.role_name,
        role_arns=tuple(args.role_arn), accounts=accounts, organization=args.organization,
        endpoint_url=args.endpoint_url, workers=args.workers,
        regions=tuple(r.strip() for r in (args.regions or "").split(",") if r.strip()), resume=args.resume,
        scheduler=args.scheduler)
    aws.collect(options, aws.Progress(sys.stderr))
    return 0
