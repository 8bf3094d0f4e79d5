"""CloudFormation's KMS types (``AWS::KMS::Key``, ``AWS::KMS::Alias``): the snapshot's ``kms.keys``.

A key's id is generated at deploy time, so ``Ref`` (the key id) and ``Fn::GetAtt`` ``KeyId`` give the placeholder
``<LogicalId>``, and ``Arn`` the ARN made from it: a bucket whose encryption names the key names the key the
snapshot describes. ``KeyPolicy`` left out gives KMS's default key policy; ``Enabled`` defaults to true and
``EnableKeyRotation`` to false.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-alias.html
"""
from __future__ import annotations

from typing import Any

from ...arns import kms_alias_arn, kms_key_arn
from ...builder import default_key_policy
from ...values import PDict, Unknown
from ..registry import NAME_PROPERTY, Mapper, Named, attributes, maps

# No property names a key: its id is generated, so its name is always the placeholder (template.name).
NAME_PROPERTY["AWS::KMS::Key"] = "KeyId"
NAME_PROPERTY["AWS::KMS::Alias"] = "AliasName"


@attributes("AWS::KMS::Key")
def _key_attribute(t: Any, r: Named, attr: str) -> Any:
    if attr == "KeyId":
        return r.name
    if attr == "Arn" and isinstance(t.region, str):
        return kms_key_arn(t.region, t.account_id, r.name)
    return None


@maps("AWS::KMS::Key", stage=0)
def kms_key(m: Mapper, logical: str, p: PDict) -> None:
    t, b = m.t, m.b
    if not isinstance(t.region, str):
        b.unplaced(logical, "the key's region is chosen at deploy time, so its ARN is not known")
        return
    enabled, rotation = p.get("Enabled"), p.get("EnableKeyRotation")
    created: dict[str, Any] = {
        "KeyManager": "CUSTOMER",
        "KeyState": enabled if isinstance(enabled, Unknown) else ("Disabled" if enabled is False else "Enabled"),
        "KeyRotationEnabled": rotation if isinstance(rotation, Unknown) else bool(rotation),
        "Policy": p["KeyPolicy"] if p.get("KeyPolicy") is not None else default_key_policy(b.account_id),
        "Region": t.region}
    if isinstance(p.get("Description"), str):
        created["Description"] = p["Description"]
    arn = kms_key_arn(t.region, t.account_id, t.name(logical))
    b.kms_key(arn, t.loc_of(logical), created={k: v for k, v in created.items() if k != "Policy"})
    b.set_kms_key_policy(arn, created["Policy"], m.at(logical, p, "KeyPolicy"))


@maps("AWS::KMS::Alias")
def kms_alias(m: Mapper, logical: str, p: PDict) -> None:
    t, b = m.t, m.b
    name = m.named(logical, p, "AliasName", "alias")
    target = m.named(logical, p, "TargetKeyId", "KMS key")
    if name is None or target is None:
        return
    arn = b.kms_key_arn(target, t.region)
    if arn is None:
        b.unplaced(logical, f"the key `{target}` of `{logical}` is named by id and the region is not known")
        return
    alias: dict[str, Any] = {"AliasName": name}
    if isinstance(t.region, str):
        alias["AliasArn"] = kms_alias_arn(t.region, t.account_id, name)
    b.kms_alias(arn, alias, t.loc_of(logical))
