"""The tables from resource type to handler that the IaC readers share (s3audit/sources/type_table.py)."""
from __future__ import annotations

import pytest

from s3audit.sources.type_table import LAST, TypeTable


def test_a_type_finds_its_function_and_a_prefix_covers_the_rest():
    t = TypeTable("the mapping")
    t.register("aws_s3_bucket", stage=0)(lambda: "bucket")
    t.register("aws_s3_bucket_*")(lambda: "bucket setting")
    t.register("aws_s3_*")(lambda: "s3")
    assert t.get("aws_s3_bucket")() == "bucket"
    assert t.get("aws_s3_bucket_policy")() == "bucket setting"  # the longest prefix wins
    assert t.get("aws_s3_access_point")() == "s3"
    assert t.get("aws_iam_role") is None
    assert "aws_s3_bucket_acl" in t and "aws_kms_key" not in t


def test_registering_a_type_twice_is_refused():
    t = TypeTable("the mapping")
    t.register("aws_kms_key")(lambda: None)
    with pytest.raises(ValueError, match="aws_kms_key"):
        t.register("aws_kms_key")(lambda: None)


def test_stages_order_items_and_keep_their_order_within_a_stage():
    t = TypeTable("the mapping")
    t.register("policy")(lambda: None)
    t.register("bucket", stage=0)(lambda: None)
    t.register("role", stage=0)(lambda: None)
    items = [("policy", 1), ("role", 2), ("unmapped", 3), ("bucket", 4), ("policy", 5), ("role", 6)]
    assert t.in_stages(items, lambda x: x[0]) == [("role", 2), ("bucket", 4), ("role", 6), ("policy", 1),
                                                  ("unmapped", 3), ("policy", 5)]
    assert t.types() == ["bucket", "role", "policy"]
    assert t.stage("unmapped") == LAST


def test_the_terraform_tables_hold_the_types_s3audit_maps():
    from s3audit.sources.terraform.registry import COMPUTED, DATA_SOURCES, MAPS, REMOVED
    import s3audit.sources.terraform.resources  # noqa: F401  (fills the tables)
    assert MAPS.stage("aws_s3_bucket") == 0 and MAPS.stage("aws_s3_bucket_policy") == LAST
    assert "aws_iam_role_policy_attachment" in MAPS and "aws_iam_role_policy_attachment" in REMOVED
    assert "aws_s3_bucket_acl" in MAPS and "aws_s3_bucket_acl" not in REMOVED  # deleting it leaves the ACL
    assert "aws_s3_bucket_cors_configuration" in COMPUTED  # every split-out bucket resource gets its id
    assert "aws_iam_policy_document" in DATA_SOURCES
