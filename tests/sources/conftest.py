"""IaC readers record file paths as given; tests give them relative to the repository root."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def bucket(snapshot: dict, name: str) -> dict:
    return next(b for b in snapshot["accounts"][0]["s3"]["buckets"] if b["Name"] == name)


def role(snapshot: dict, name: str) -> dict:
    return next(r for r in snapshot["accounts"][0]["iam"]["RoleDetailList"] if r["RoleName"] == name)


def where(snapshot: dict, pointer: str) -> tuple[str, int]:
    """(file, line) recorded for a pointer."""
    loc = snapshot["locations"][pointer]
    return loc["file"], loc["line"]


def pointer_of(snapshot: dict, *path) -> str:
    """The JSON pointer of a bucket/role... found by name: ("buckets", "x", "Policy")."""
    from s3audit.sources.locations import Sel, to_pointer
    kinds = {"buckets": ("s3", "buckets", "Name"), "roles": ("iam", "RoleDetailList", "RoleName"),
             "users": ("iam", "UserDetailList", "UserName"), "groups": ("iam", "GroupDetailList", "GroupName"),
             "policies": ("iam", "Policies", "Arn"), "access_points": ("s3", "access_points", "Name")}
    a, b, field = kinds[path[0]]
    logical = ("accounts", 0, a, b, Sel(field, path[1])) + tuple(path[2:])
    p = to_pointer(snapshot, logical)
    assert p is not None, f"{path} not in snapshot"
    return p


def valid(snapshot: dict) -> None:
    from s3audit.snapshot.load import snapshot_from_dict
    snapshot_from_dict(json.loads(json.dumps(snapshot)))


# --- the live collector's tests (test_aws_collect*.py): moto stands in for AWS

@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    from .aws_estate import fake_aws_environment, moto_gaps
    fake_aws_environment(monkeypatch, tmp_path)
    moto_gaps(monkeypatch)


@pytest.fixture
def estate(aws_env, monkeypatch):
    """The estate of aws_estate.py in moto (in process), without AWS managed policies (they are slow in moto)."""
    from moto import mock_aws

    from .aws_estate import build_estate, fixed_account_ids
    fixed_account_ids(monkeypatch)
    with mock_aws():
        yield build_estate(aws_managed=False)


@pytest.fixture(scope="module")
def shared_estate(tmp_path_factory):
    """One estate (in moto, in process) for a module's tests that only read it."""
    from moto import mock_aws

    from .aws_estate import build_estate, fake_aws_environment, fixed_account_ids, moto_gaps
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp, tmp_path_factory.mktemp("aws"))
        fixed_account_ids(mp)
        moto_gaps(mp)
        with mock_aws():
            yield build_estate(aws_managed=False)
