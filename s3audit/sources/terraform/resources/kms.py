"""Terraform's KMS resource types: keys, key policies, aliases and grants (the snapshot's ``kms.keys``).

A key's id is drawn when it is created, so until then its ``key_id`` is the placeholder ``<address>`` and its
``arn`` is made from it (arns.py): a bucket whose default encryption names ``aws_kms_key.k.arn`` then names the
key the snapshot describes. A key created without ``policy`` gets KMS's default key policy, rotation is off unless
``enable_key_rotation``, and a new key has no grants but those the change declares.
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_key,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
"""
from __future__ import annotations

from typing import Any

from ...arns import kms_alias_arn, kms_key_arn
from ...builder import default_key_policy
from ...values import Unknown
from ..registry import Instance, Mapper, computes, maps
from ..resource import Res, blocks, fill, placeholder, string


@computes("aws_kms_key")
def _key_computed(obj: dict, at: Instance) -> None:
    key_id = obj.get("key_id") if isinstance(obj.get("key_id"), str) else placeholder(at.address)
    fill(obj, "key_id", key_id)
    fill(obj, "id", key_id)
    if isinstance(at.region, str):
        fill(obj, "arn", kms_key_arn(at.region, at.account_id, key_id))


@computes("aws_kms_alias")
def _alias_computed(obj: dict, at: Instance) -> None:
    name = string(obj.get("name"))
    if name is None:
        return
    fill(obj, "id", name)
    if isinstance(at.region, str):
        fill(obj, "arn", kms_alias_arn(at.region, at.account_id, name))
        target = string(obj.get("target_key_id"))
        if target:
            fill(obj, "target_key_arn", target if target.startswith("arn:") else
                 kms_key_arn(at.region, at.account_id, target))


@computes("aws_kms_grant")
def _grant_computed(obj: dict, at: Instance) -> None:
    fill(obj, "grant_id", placeholder(at.address))
    fill(obj, "id", placeholder(at.address))


def _key_of(m: Mapper, r: Res, attr: str) -> str | None:
    """The ARN of the key a resource names by id or ARN; None (and the resource unplaced) when unknown."""
    ref = m.name(r, attr, "KMS key")
    if ref is None:
        return None
    arn = m.b.kms_key_arn(ref, m.region)
    if arn is None:
        m.b.unplaced(r.address, f"the key `{ref}` of `{r.address}` is named by id and the region is not known")
    return arn


@maps("aws_kms_key", stage=0)
def aws_kms_key(m: Mapper, r: Res) -> None:
    v = r.values
    arn = v.get("arn")
    if not isinstance(arn, str):
        m.b.unplaced(r.address, "the key's region is not known, so neither is its ARN")
        return
    enabled = v.get("is_enabled")
    rotation = v.get("enable_key_rotation")
    policy = v.get("policy") if v.get("policy") not in (None, "") else default_key_policy(m.b.account_id)
    created: dict[str, Any] = {
        "KeyManager": "CUSTOMER",
        "KeyState": enabled if isinstance(enabled, Unknown) else ("Disabled" if enabled is False else "Enabled"),
        "KeyRotationEnabled": rotation if isinstance(rotation, Unknown) else bool(rotation),
        "Policy": policy}
    if isinstance(v.get("description"), str):
        created["Description"] = v["description"]
    m.b.kms_key(arn, r.loc, created=created)
    if isinstance(m.region, str):
        m.b.set_kms_key(arn, "Region", m.region, None)


@maps("aws_kms_key_policy")
def aws_kms_key_policy(m: Mapper, r: Res) -> None:
    arn = _key_of(m, r, "key_id")
    if arn is not None:
        m.b.kms_key(arn)
        m.b.set_kms_key_policy(arn, r.values.get("policy"), r.at("policy"))


@maps("aws_kms_alias")
def aws_kms_alias(m: Mapper, r: Res) -> None:
    v = r.values
    name = string(v.get("name"))
    if name is None:  # name_prefix: the name is drawn at apply time, and nothing can refer to it before
        return
    arn = _key_of(m, r, "target_key_id")
    if arn is not None:
        m.b.kms_alias(arn, {"AliasName": name, **({"AliasArn": v["arn"]} if isinstance(v.get("arn"), str) else {})},
                      r.loc)


@maps("aws_kms_grant")
def aws_kms_grant(m: Mapper, r: Res) -> None:
    v = r.values
    arn = _key_of(m, r, "key_id")
    if arn is None:
        return
    grant: dict[str, Any] = {"GrantId": v.get("grant_id"), "GranteePrincipal": v.get("grantee_principal"),
                             "Operations": v.get("operations"), "IssuingAccount": f"arn:aws:iam::{m.b.account_id}:root"}
    if isinstance(v.get("name"), str):
        grant["Name"] = v["name"]
    if isinstance(v.get("retiring_principal"), str):
        grant["RetiringPrincipal"] = v["retiring_principal"]
    constraints: Any = {}
    for c in blocks(v.get("constraints")) if not isinstance(v.get("constraints"), Unknown) else [v["constraints"]]:
        if isinstance(c, Unknown):
            constraints = c
            break
        for attr, key in (("encryption_context_equals", "EncryptionContextEquals"),
                          ("encryption_context_subset", "EncryptionContextSubset")):
            if c.get(attr):
                constraints[key] = c[attr]
    if constraints:
        grant["Constraints"] = constraints
    m.b.kms_grant(arn, grant, r.loc)
