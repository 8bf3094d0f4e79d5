"""Terraform's VPC endpoint types (``aws_vpc_endpoint``, ``aws_vpc_endpoint_policy``): the snapshot's
``ec2.vpc_endpoints``, in ``DescribeVpcEndpoints``' shape.

An endpoint's id is drawn when it is created; until then it is the placeholder ``<address>``, so a bucket policy
that names ``aws_vpc_endpoint.s3.id`` in ``aws:SourceVpce`` names the endpoint the snapshot describes. An endpoint
without ``policy`` has AWS's default policy, full access.
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/vpc_endpoint,
https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
"""
from __future__ import annotations

from ..registry import Instance, Mapper, computes, maps
from ..resource import Res, fill, placeholder


@computes("aws_vpc_endpoint")
def _endpoint_computed(obj: dict, at: Instance) -> None:
    fill(obj, "id", placeholder(at.address))
    fill(obj, "owner_id", at.account_id)
    if isinstance(at.region, str) and isinstance(obj.get("id"), str):
        fill(obj, "arn", f"arn:aws:ec2:{at.region}:{at.account_id}:vpc-endpoint/{obj['id']}")


@maps("aws_vpc_endpoint", stage=0)
def aws_vpc_endpoint(m: Mapper, r: Res) -> None:
    v = r.values
    endpoint_type = v.get("vpc_endpoint_type") if v.get("vpc_endpoint_type") is not None else "Gateway"
    entry = {"VpcEndpointType": endpoint_type, "VpcId": v.get("vpc_id"), "ServiceName": v.get("service_name"),
             "OwnerId": m.b.account_id, "Region": m.region if isinstance(m.region, str) else None}
    if v.get("policy") not in (None, ""):
        entry["PolicyDocument"] = v["policy"]
    m.b.vpc_endpoint(str(v["id"]), entry, r.loc)


@maps("aws_vpc_endpoint_policy")
def aws_vpc_endpoint_policy(m: Mapper, r: Res) -> None:
    endpoint = m.name(r, "vpc_endpoint_id", "VPC endpoint")
    if endpoint is None:
        return
    policy = r.values.get("policy")
    m.b.vpc_endpoint(endpoint, {}, r.loc)
    if policy in (None, ""):  # the provider then sets the default policy: full access
        return
    m.b.set_vpc_endpoint_policy(endpoint, policy, r.at("policy"))
