"""The ``random`` provider's resources: values chosen at apply time, fresh (see values.Fresh).

``random_pet.this.id`` is unknown before apply, but it is one value: a bucket named
``"logs-${random_pet.this.id}"`` and a policy naming ``"arn:aws:s3:::logs-${random_pet.this.id}/*"`` name the same
bucket, ``logs-<random_pet.this.id>``. The results of these resources are random, so they equal no value that
exists before the change (https://registry.terraform.io/providers/hashicorp/random/latest/docs).
"""
from __future__ import annotations

from ...values import Fresh
from ..registry import Instance, computes
from ..resource import fill

# The attributes each resource type computes (its result, in the forms it offers).
_RESULTS = {
    "random_pet": ("id",),
    "random_id": ("id", "hex", "dec", "b64_url", "b64_std"),
    "random_string": ("id", "result"),
    "random_password": ("id", "result", "bcrypt_hash"),
    "random_uuid": ("id", "result"),
    "random_integer": ("id", "result"),
    "random_bytes": ("id", "base64", "hex"),
}


@computes(*_RESULTS)
def _random_computed(obj: dict, at: Instance) -> None:
    for attr in _RESULTS[at.rtype]:
        fill(obj, attr, Fresh(f"<{at.address}.{attr}>", f"`{at.address}.{attr}` is known only after apply"))
