"""A request's resource, resolved against the snapshot: the bucket, object key, access point and owning
account, or the IAM/STS resource (``iam_targets.py``), with a note of what the snapshot lacks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..errors import InputError
from ..snapshot.kms import KeyIndex, KeyUse
from ..snapshot.model import AccessPoint, Bucket
from . import iam_targets
from .principals import PrincipalIndex


@dataclass
class Target:
    resource: str
    bucket: Bucket | None
    bucket_name: str | None
    key: str | None
    access_point: AccessPoint | None
    owner: str | None  # account id of the bucket
    bucket_resource: str  # the resource as the bucket policy sees it (access point ARNs translated)
    note: str | None = None
    other: iam_targets.OtherTarget | None = None  # set for resources that are not S3 (IAM, STS, other services)
    # The KMS key new objects of the bucket are encrypted under (SSE-KMS default encryption), set by the engine.
    kms: KeyUse | None = None
    # Everything about the target but the object key: requests with the same principal, action and scope
    # consult the same statements (see the engine's plans).
    scope: int = field(init=False, repr=False)
    # Resource profiles by plan shape (see the engine's plans): plans of the same statements share them.
    profiles: dict = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self):
        point = self.resource.split("/object/", 1)[0] if ":accesspoint/" in self.resource else None
        # A small number per distinct scope: cheap to hash in the keys of the hot path.
        self.scope = _SCOPES.setdefault((self.bucket_name, point, self.owner, self.key is None,
                                         self.resource if self.other is not None else None), len(_SCOPES))

    @property
    def label(self) -> str:
        return self.bucket_name or self.resource


# (bucket, access point, owner, bucket-or-object, other resource) -> number, process-wide
_SCOPES: dict[tuple, int] = {}


def resolve_target(resource: str, buckets: Mapping[str, Bucket],
                   access_points: Mapping[tuple[str, str], AccessPoint], index: PrincipalIndex,
                   keys: KeyIndex | None = None) -> Target:
    """What a request's resource ARN is: a bucket, an object, an access point (or an object through one), or
    a resource of another service (``iam_targets.py``); what the snapshot lacks of it is said in ``note``."""
    if resource.startswith("arn:aws:s3:::") or resource.startswith("arn:aws-us-gov:s3:::") \
            or resource.startswith("arn:aws-cn:s3:::"):
        rest = resource.split(":::", 1)[1]
        name, _, key = rest.partition("/")
        bucket = buckets.get(name)
        return Target(resource, bucket, name, key if "/" in rest else None, None,
                      bucket.account if bucket else None, resource,
                      None if bucket else f"bucket `{name}` is not in the snapshot; its policy, ACL and "
                                          "owner are unknown")
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[2] == "s3" and parts[5].startswith("accesspoint/"):
        ap_part = parts[5][len("accesspoint/"):]
        ap_name, _, obj = ap_part.partition("/")
        key = obj[len("object/"):] if obj.startswith("object/") else None
        ap = access_points.get((parts[4], ap_name))
        if ap is None:
            return Target(resource, None, None, key, None, parts[4], resource,
                          f"access point `{ap_name}` of account {parts[4]} is not in the snapshot")
        bucket = buckets.get(ap.bucket)
        bres = f"arn:aws:s3:::{ap.bucket}" + (f"/{key}" if key is not None else "")
        return Target(resource, bucket, ap.bucket, key, ap, bucket.account if bucket else ap.bucket_account,
                      bres, None if bucket else f"bucket `{ap.bucket}` behind the access point is not in the "
                                                "snapshot")
    if not resource.startswith("arn:") or len(parts) < 6 or parts[2] == "s3":
        raise InputError(f"`{resource}` is not an S3 bucket, object or access point ARN, nor an ARN of "
                         "another service")
    other = iam_targets.resolve(resource, index, keys)
    return Target(resource, None, None, None, None, other.account, resource, other.note, other)
