"""CloudFormation's ``AWS::EC2::VPCEndpoint``: the snapshot's ``ec2.vpc_endpoints``.

An endpoint's id is generated at deploy time: ``Ref`` and ``Fn::GetAtt`` ``Id`` give the placeholder
``<LogicalId>``, so a bucket policy whose ``aws:SourceVpce`` refers to the endpoint names the endpoint the snapshot
describes. Without ``PolicyDocument`` the endpoint has AWS's default policy, full access; ``VpcEndpointType``
defaults to ``Gateway``.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-vpcendpoint.html
"""
from __future__ import annotations

from typing import Any

from ...values import PDict
from ..registry import NAME_PROPERTY, Mapper, Named, attributes, maps

# No property names an endpoint: its id is generated, so its name is always the placeholder (template.name).
NAME_PROPERTY["AWS::EC2::VPCEndpoint"] = "Id"


@attributes("AWS::EC2::VPCEndpoint")
def _endpoint_attribute(t: Any, r: Named, attr: str) -> Any:
    return r.name if attr == "Id" else None


@maps("AWS::EC2::VPCEndpoint", stage=0)
def vpc_endpoint(m: Mapper, logical: str, p: PDict) -> None:
    t = m.t
    entry: dict[str, Any] = {"VpcEndpointType": p.get("VpcEndpointType") or "Gateway", "VpcId": p.get("VpcId"),
                             "ServiceName": p.get("ServiceName"), "OwnerId": t.account_id,
                             "Region": t.region if isinstance(t.region, str) else None}
    if p.get("PolicyDocument") is not None:
        entry["PolicyDocument"] = p["PolicyDocument"]
    m.b.vpc_endpoint(t.name(logical), entry, m.at(logical, p, "PolicyDocument") if "PolicyDocument" in p
                     else t.loc_of(logical))
