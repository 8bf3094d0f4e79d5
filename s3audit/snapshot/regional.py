"""Why a regional inventory of an account is incomplete, from the calls the account's ``errors`` names.

docs/snapshot-format.md: a listing that failed for the whole account is named ``"<service>:<Operation>"``, in one
region only ``"<service>:<Operation>@<region>"``; a section that is absent from a snapshot of an account was not
collected, while an IaC snapshot (a change) declares what it has, so there an absent section means "none".
"""
from __future__ import annotations

from typing import Any, Mapping

ALL_REGIONS = "*"


def gaps(errors: Mapping[str, Any], calls: tuple[str, ...], collected: bool, iac: bool, what: str) -> dict[str, str]:
    """Region (``*`` for every region) -> why ``what`` (``KMS keys``) is not completely known there."""
    out: dict[str, str] = {}
    if not collected and not iac:
        out[ALL_REGIONS] = f"the account's {what} were not collected"
    for key, why in errors.items():
        call, _, region = key.partition("@")
        if call in calls:
            out.setdefault(region or ALL_REGIONS, f"`{call}` failed: {why}")
    return out


def gap_in(gaps_of: Mapping[str, str], region: Any) -> str | None:
    """Why the inventory of ``region`` (a name, or not a string when unknown) is incomplete, or None."""
    if ALL_REGIONS in gaps_of:
        return gaps_of[ALL_REGIONS]
    if isinstance(region, str):
        why = gaps_of.get(region)
        return f"{why} (in {region})" if why else None
    return next((f"{why} (in {r})" for r, why in gaps_of.items()), None)
