"""Terraform's AWS Organizations resource types: service and resource control policies and their attachments."""
from __future__ import annotations

from ...locations import Sel
from ..registry import Gone, Instance, Mapper, computes, maps, removes
from ..resource import Res, fill, placeholder, string


@computes("aws_organizations_policy")
def _policy_computed(obj: dict, at: Instance) -> None:
    fill(obj, "id", placeholder(at.address))


@maps("aws_organizations_policy", stage=0)
def aws_organizations_policy(m: Mapper, r: Res) -> None:
    v = r.values
    ptype = v.get("type") or "SERVICE_CONTROL_POLICY"
    if ptype not in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        return  # tag, backup and AI opt-out policies do not decide access
    pid = v.get("id") if isinstance(v.get("id"), str) else placeholder(r.address)
    name = v.get("name") if isinstance(v.get("name"), str) else pid
    m.b.org_policy(pid, name, ptype, v.get("content"), r.at("content"))
    m.b.locate(("organization", "policies", Sel("Id", pid)), r.loc)


@maps("aws_organizations_policy_attachment")
def aws_organizations_policy_attachment(m: Mapper, r: Res) -> None:
    pid, target = r.values.get("policy_id"), r.values.get("target_id")
    if not isinstance(pid, str) or not isinstance(target, str):
        m.b.unplaced(r.address, "the policy or target of this attachment is known only after apply")
        return
    m.b.org_attach(pid, target, r.loc)


@removes("aws_organizations_policy")
def _policy_removed(v: dict, gone: Gone) -> list:
    return gone("org-policy", string(v.get("id")), account=None)


@removes("aws_organizations_policy_attachment")
def _attachment_removed(v: dict, gone: Gone) -> list:
    pid, target = string(v.get("policy_id")), string(v.get("target_id"))
    return gone("org-attachment", pid, account=None, detail=target) if target else []
