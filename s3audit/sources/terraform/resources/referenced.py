"""Resource types s3audit does not map but whose identifiers the policies it reads name: their ARNs and ids.

A bucket policy names the CloudFront distribution that may read it (``aws:SourceArn``), the KMS key uploads
must use, the SNS topic or SQS queue it notifies; those are created by the same change and their ids are chosen
at apply time (KMS keys and VPC endpoints, which s3audit maps, compute theirs in kms.py and vpc.py alike). Like a bucket without a name, each gets a placeholder id, ``<address>``, which is no real id and
so never equals one, and the ARN AWS derives from it (arns.py): every reference to the resource is the same
value, and the rest of a policy that names it stays decided.
"""
from __future__ import annotations

from ...arns import cloudfront_distribution_arn, cloudfront_origin_access_identity_arn, regional_arn
from ...values import Unknown
from ..registry import Instance, computes
from ..resource import fill, placeholder


def arn_in_region(at: Instance, make) -> str | Unknown:
    """``make(region)``, or unknown (and why) when the provider's region is not known."""
    if isinstance(at.region, str):
        return make(at.region)
    return Unknown(f"the ARN of `{at.address}` needs the provider's region, which the configuration does not set")


@computes("aws_cloudfront_distribution")
def _distribution(obj: dict, at: Instance) -> None:
    distribution_id = placeholder(at.address)
    fill(obj, "id", distribution_id)
    fill(obj, "arn", cloudfront_distribution_arn(at.account_id, distribution_id))


@computes("aws_cloudfront_origin_access_identity")
def _origin_access_identity(obj: dict, at: Instance) -> None:
    identity_id = placeholder(at.address)
    fill(obj, "id", identity_id)
    fill(obj, "iam_arn", cloudfront_origin_access_identity_arn(identity_id))
    fill(obj, "cloudfront_access_identity_path", f"origin-access-identity/cloudfront/{identity_id}")


@computes("aws_cloudfront_origin_access_control", "aws_vpc")
def _generated_id(obj: dict, at: Instance) -> None:
    fill(obj, "id", placeholder(at.address))


# Named resources whose ARN is made of their name: (the ARN's service, its resource part from the name).
_NAMED = {
    "aws_sns_topic": ("sns", "{}"),
    "aws_sqs_queue": ("sqs", "{}"),
    "aws_dynamodb_table": ("dynamodb", "table/{}"),
    "aws_cloudtrail": ("cloudtrail", "trail/{}"),
}


@computes(*_NAMED)
def _named(obj: dict, at: Instance) -> None:
    service, resource = _NAMED[at.rtype]
    name = obj.get("name") if isinstance(obj.get("name"), str) and obj.get("name") else placeholder(at.address)
    fill(obj, "name", name)
    arn = arn_in_region(at, lambda r: regional_arn(service, r, at.account_id, resource.format(name)))
    fill(obj, "arn", arn)
    if at.rtype == "aws_sqs_queue":
        fill(obj, "id", arn_in_region(at, lambda r: f"https://sqs.{r}.amazonaws.com/{at.account_id}/{name}"))
        fill(obj, "url", obj["id"])
    else:
        fill(obj, "id", arn if at.rtype == "aws_sns_topic" else name)
