"""Data sources that say where the provider works: its account, partition and region."""
from __future__ import annotations

from ...hcl import Obj
from ..registry import Instance, data_source


@data_source("aws_caller_identity")
def _caller_identity(obj: Obj, at: Instance) -> None:
    obj.update({"account_id": at.account_id, "id": at.account_id})


@data_source("aws_partition")
def _partition(obj: Obj, at: Instance) -> None:
    obj.update({"partition": "aws", "dns_suffix": "amazonaws.com", "id": "aws"})


@data_source("aws_region")
def _region(obj: Obj, at: Instance) -> None:
    region = obj.get("name") or obj.get("region") or at.region
    obj.update({"name": region, "region": region, "id": region})
