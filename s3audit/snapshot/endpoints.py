"""VPC endpoints in a snapshot: reading the ``ec2.vpc_endpoints`` section.

An endpoint policy limits what principals may do through the endpoint; it grants nothing of its own. An endpoint
without a policy document has AWS's default policy, full access
(https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html). ``DescribeVpcEndpoints`` returns
the policy as JSON text in ``PolicyDocument``.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Mapping

from .model import UNKNOWN, PolicyDocument, VpcEndpoint
from .regional import gaps

LIST_CALLS = ("ec2:DescribeVpcEndpoints",)


def read_endpoints(section: Any, errors: Mapping[str, Any], account: str, pointer: str, iac: bool,
                   policy: Callable[[Any, str, str, str, str], PolicyDocument]) -> tuple[tuple[VpcEndpoint, ...], dict]:
    """The account's VPC endpoints from its ``ec2`` section (``pointer`` is the account's), and per region why they
    are not all known (``regional.gaps``)."""
    listed = section.get("vpc_endpoints") if isinstance(section, dict) else None
    out = []
    for i, e in enumerate(listed or ()):
        ptr = f"{pointer}/ec2/vpc_endpoints/{i}"
        failed = e.get("Errors") or {}
        if e.get("PolicyDocument") is not None:
            doc: Any = policy(e["PolicyDocument"], f"{ptr}/PolicyDocument", "vpc-endpoint", e["VpcEndpointId"], "")
        else:
            doc = UNKNOWN if failed else None
        out.append(VpcEndpoint(e["VpcEndpointId"], str(e.get("OwnerId") or account), e.get("Region") or UNKNOWN,
                               e.get("VpcId"), e.get("ServiceName"), e.get("VpcEndpointType"), e.get("State"), doc,
                               MappingProxyType(dict(failed)), ptr))
    return tuple(out), gaps(errors, LIST_CALLS, listed is not None, iac, "VPC endpoints")


def serves(endpoint: VpcEndpoint, action: str) -> bool:
    """Whether requests of ``action`` (``service:Action``) go through ``endpoint``: an endpoint carries the
    requests of the one AWS service it is for (``com.amazonaws.<region>.s3`` → ``s3:…``), so its policy governs
    only those (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html). An endpoint whose
    service is unknown or not an AWS service's is taken to carry the request."""
    name = endpoint.service
    if not isinstance(name, str) or not name.startswith("com.amazonaws."):
        return True
    parts = name.split(".")
    service = "s3" if parts[2:3] == ["s3-global"] else parts[-1]
    return action.split(":", 1)[0].lower() == service.lower()

