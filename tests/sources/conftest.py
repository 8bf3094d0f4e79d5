import os

import pytest

from aws_estate import CREDENTIALS, build_estate, fixed_account_ids


def fake_aws_environment(monkeypatch, directory) -> None:
    """Fake credentials only: no profile or config file of the machine, no instance metadata, no real AWS."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(directory / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(directory / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    fake_aws_environment(monkeypatch, tmp_path)


@pytest.fixture
def estate(aws_env, monkeypatch):
    """The estate of aws_estate.py in moto (in process), without AWS managed policies (they are slow in moto)."""
    from moto import mock_aws

    fixed_account_ids(monkeypatch)
    with mock_aws():
        yield build_estate(aws_managed=False)
