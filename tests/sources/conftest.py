import pytest

from aws_estate import build_estate, fake_aws_environment, fixed_account_ids


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
