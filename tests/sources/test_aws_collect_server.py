"""``s3audit collect`` as a user runs it: the real command line in a subprocess, talking HTTP to moto's
standalone server on a loopback port through ``--endpoint-url``, with credentials from the environment.

This exercises what the in-process tests cannot: credentials resolved by botocore from the environment,
request signing, the endpoint override for every service (S3 Control included), the services' paginated
answers (moto pages Organizations results by 20) and the "not configured" error codes as AWS sends them
over HTTP. It also kills a run with SIGKILL and resumes it, and runs the scanner with exactly the IAM policy
in ``policies/scanner-policy.json`` while moto enforces IAM.

AWS pages:
- ListPolicies / ListOrganizationalUnitsForParent pagination (NextToken):
  https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPolicies.html
- endpoint and credential configuration: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
"""
from __future__ import annotations

import gzip
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from .aws_estate import (ANALYTICS, CREDENTIALS, MANAGEMENT, PAYMENTS, SCANNER_ROLE, build_estate, doc,
                         fixed_account_ids, moto_gaps, session_for)
from s3audit.snapshot.load import load_snapshot

# boto3's own S3 Control calls (the fixture creating access points) go to <account>.127.0.0.1; the collector's do
# not (issue 11: it sends them to the endpoint's host), and the command runs without this resolver.
from .loopback_dns import sitecustomize as loopback_dns  # the file, not the interpreter hook

ROOT = Path(__file__).resolve().parents[2]
EXTRA_SCPS = 22      # more than one page of ListPolicies (moto: 20)
EXTRA_UNITS = 21     # more than one page of ListOrganizationalUnitsForParent (moto: 20)
SCANNER_POLICY = (ROOT / "policies" / "scanner-policy.json").read_text()
TEMPORARY_KEY = re.compile(r"\bASIA[A-Z0-9]{16}\b")


def _post(url: str, data: bytes = b"") -> None:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10).read()  # no proxy


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # one line per request otherwise
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    url = f"http://{host}:{port}"
    _post(f"{url}/moto-api/reset")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_PROXY", "127.0.0.1")
        mp.setattr(socket, "getaddrinfo", loopback_dns._loopback_getaddrinfo)
        fixed_account_ids(mp)
        moto_gaps(mp)
        build_estate(endpoint_url=url, aws_managed=False)
        mgmt = boto3.Session(region_name="us-east-1", **CREDENTIALS)
        org = mgmt.client("organizations", endpoint_url=url)
        root = org.list_roots()["Roots"][0]["Id"]
        sandbox = next(u["Id"] for u in org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
                       if u["Name"] == "sandbox")
        for i in range(EXTRA_SCPS):
            policy = org.create_policy(Name=f"guard-{i:02d}", Description="", Type="SERVICE_CONTROL_POLICY",
                                       Content=json.dumps(doc({"Effect": "Deny", "Action": "s3:PutBucketTagging",
                                                               "Resource": f"arn:aws:s3:::guarded-{i}"})))
            org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=sandbox)
        for i in range(EXTRA_UNITS):
            org.create_organizational_unit(ParentId=sandbox, Name=f"team-{i:02d}")
        yield url
    _post(f"{url}/moto-api/reset")
    moto.stop()


def _env(tmp_path: Path, **credentials: str) -> dict:
    # No name resolution for <account>.127.0.0.1 here (the fixture needs it for boto3's own S3 Control calls):
    # the collector must send S3 Control calls to the endpoint's own host.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_PROXY": "127.0.0.1",
           "PYTHONPATH": str(ROOT),
           "AWS_CONFIG_FILE": str(tmp_path / "no-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    env["AWS_ACCESS_KEY_ID"] = credentials.get("key", CREDENTIALS["aws_access_key_id"])
    env["AWS_SECRET_ACCESS_KEY"] = credentials.get("secret", CREDENTIALS["aws_secret_access_key"])
    return env


def _command(url: str, output: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "s3audit", "collect", "-o", str(output), "--endpoint-url", url, *args]


def _buckets(document: dict, account_id: str) -> dict:
    account = next(a for a in document["accounts"] if a["id"] == account_id)
    return {b["Name"]: b for b in account["s3"]["buckets"]}


def test_the_command_line_against_a_server(server, tmp_path):
    output = tmp_path / "estate.json.gz"
    done = subprocess.run(_command(server, output, "--organization", "--role-name", SCANNER_ROLE, "--workers", "4"),
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""                    # no terminal: no progress
    model = load_snapshot(str(output))                                # validates; gzip because of the name
    document = json.loads(gzip.decompress(output.read_bytes()))

    assert [a.id for a in model.accounts] == [MANAGEMENT, PAYMENTS, ANALYTICS]
    org = document["organization"]
    assert len(org["policies"]) == 2 + 2 + EXTRA_SCPS                 # both pages of ListPolicies
    assert len(org["units"]) == 3 + EXTRA_UNITS                       # both pages of ListOrganizationalUnitsForParent
    # "not configured" codes from HTTP answers: absent; nothing failed
    bare = _buckets(document, MANAGEMENT)["mgmt-bare"]
    assert not {"Policy", "Encryption", "Tags", "Lifecycle", "ObjectLock", "Replication", "Website",
                "PublicAccessBlock", "OwnershipControls", "Errors"} & set(bare)
    assert all("errors" not in a for a in document["accounts"]) and "errors" not in org
    assert _buckets(document, MANAGEMENT)["mgmt-replica-eu"]["Region"] == "eu-west-1"
    assert _buckets(document, MANAGEMENT)["mgmt-reports"]["Tags"] == {"data-class": "internal", "owner": "finance"}
    aps = {a["Name"] for a in next(a for a in document["accounts"] if a["id"] == MANAGEMENT)["s3"]["access_points"]}
    assert aps == {"reports-ap", "reports-vpc"}
    # no credentials anywhere: neither the ones given nor the temporary ones of the assumed roles
    text = json.dumps(document) + done.stdout + done.stderr
    assert CREDENTIALS["aws_secret_access_key"] not in text and CREDENTIALS["aws_access_key_id"] not in text
    assert not TEMPORARY_KEY.search(text)


def test_a_killed_run_keeps_the_previous_snapshot_and_resumes(server, tmp_path):
    # Enough buckets in the second account that the kill lands while it is being read.
    analytics = session_for(ANALYTICS, server).client("s3", endpoint_url=server)
    for i in range(40):
        analytics.create_bucket(Bucket=f"analytics-bulk-{i:02d}")
    output = tmp_path / "estate.json"
    journal = Path(str(output) + ".partial")
    previous = b'{"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z", "accounts": []}\n'
    output.write_bytes(previous)
    arns = [f"arn:aws:iam::{PAYMENTS}:role/{SCANNER_ROLE}", f"arn:aws:iam::{ANALYTICS}:role/{SCANNER_ROLE}"]
    command = _command(server, output, "--role-arn", *arns, "--workers", "1")

    run = subprocess.Popen(command, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        # Kill once the first account's line is whole: seeing its id is not enough, as the line may still be
        # on its way to the file (the collector's write of it can be read half done, and so can be a kill
        # inside that write, which --resume tolerates: test_resume_drops_a_torn_last_line).
        if journal.exists() and _whole_account_line(journal.read_text(), PAYMENTS):
            run.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    assert run.wait(timeout=30) == -signal.SIGKILL, "the run finished before it could be killed"
    assert output.read_bytes() == previous                                   # the good file is untouched
    assert json.loads(journal.read_text().splitlines()[-1])["account"]["id"] == PAYMENTS

    done = subprocess.run([*command, "--resume"], env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not journal.exists()
    model = load_snapshot(str(output))
    assert [a.id for a in model.accounts] == [PAYMENTS, ANALYTICS]
    assert len(model.account(ANALYTICS).buckets) == 2 + 40


def _whole_account_line(text: str, account: str) -> bool:
    for line in text.split("\n")[:-1]:  # the part after the last newline may be a line still being written
        if f'"id": "{account}"' in line:
            try:
                return json.loads(line)["account"]["id"] == account
            except (ValueError, KeyError):
                return False
    return False


# moto authorizes some calls under names AWS does not use: the S3 bucket sub-resources its ACTION_MAP lacks
# (encryption, ownershipControls, policyStatus, replication, object-lock, publicAccessBlock) as s3:ListBucket,
# S3 Control's GetPublicAccessBlock as s3:GetPublicAccessBlock (AWS: s3:GetAccountPublicAccessBlock, which the
# shipped policy grants) and, from moto 5.2.6, some calls under their API operation names rather than their IAM
# actions (ListBuckets: AWS checks s3:ListAllMyBuckets; GetBucketEncryption: s3:GetEncryptionConfiguration;
# GetBucketLifecycleConfiguration: s3:GetLifecycleConfiguration; GetBucketReplication:
# s3:GetReplicationConfiguration; GetObjectLockConfiguration: s3:GetBucketObjectLockConfiguration). Granting moto's
# names too lets the test check everything moto maps as AWS does.
MOTO_ACTION_NAMES = doc({"Effect": "Allow", "Action": [
    "s3:ListBucket", "s3:GetPublicAccessBlock", "s3:ListBuckets", "s3:GetBucketEncryption",
    "s3:GetBucketLifecycleConfiguration", "s3:GetBucketReplication", "s3:GetObjectLockConfiguration"],
    "Resource": "*"})


def _skip_lambda_signatures(monkeypatch) -> None:
    """moto 5.2.6 computes a different SigV4 signature than botocore for Lambda's REST paths and answers every
    Lambda call SignatureDoesNotMatch, whoever calls; skipping the signature check for Lambda alone (the
    action is still authorized against the caller's policies) lets the test check Lambda's reads as AWS does."""
    from moto.iam.access_control import IAMRequest
    check = IAMRequest.check_signature
    monkeypatch.setattr(IAMRequest, "check_signature",
                        lambda self: None if self._service == "lambda" else check(self))


def test_the_scanner_policy_suffices_when_iam_is_enforced(server, tmp_path, monkeypatch):
    """moto enforces IAM identity policies once authentication is switched on: the scanner, with the shipped
    policy (plus moto's own action names and one explicit deny), reads everything but the denied bucket policy."""
    _skip_lambda_signatures(monkeypatch)
    mgmt_iam = boto3.Session(region_name="us-east-1", **CREDENTIALS).client("iam", endpoint_url=server)
    scanner_policy = mgmt_iam.create_policy(PolicyName="s3audit-scanner", PolicyDocument=SCANNER_POLICY)
    mgmt_iam.create_user(UserName="scanner")
    mgmt_iam.attach_user_policy(UserName="scanner", PolicyArn=scanner_policy["Policy"]["Arn"])
    mgmt_iam.put_user_policy(UserName="scanner", PolicyName="moto", PolicyDocument=json.dumps(MOTO_ACTION_NAMES))
    mgmt_iam.put_user_policy(UserName="scanner", PolicyName="not-this-one", PolicyDocument=json.dumps(doc(
        {"Effect": "Deny", "Action": "s3:GetBucketPolicy", "Resource": "arn:aws:s3:::mgmt-reports"})))
    key = mgmt_iam.create_access_key(UserName="scanner")["AccessKey"]
    for account in (PAYMENTS, ANALYTICS):
        member_iam = session_for(account, server).client("iam", endpoint_url=server)
        arn = member_iam.create_policy(PolicyName="s3audit-scanner", PolicyDocument=SCANNER_POLICY)["Policy"]["Arn"]
        member_iam.attach_role_policy(RoleName=SCANNER_ROLE, PolicyArn=arn)
        member_iam.put_role_policy(RoleName=SCANNER_ROLE, PolicyName="moto", PolicyDocument=json.dumps(MOTO_ACTION_NAMES))

    output = tmp_path / "enforced.json"
    _post(f"{server}/moto-api/reset-auth", b"0")       # from now on moto checks IAM
    try:
        done = subprocess.run(_command(server, output, "--organization", "--role-name", SCANNER_ROLE),
                              env=_env(tmp_path, key=key["AccessKeyId"], secret=key["SecretAccessKey"]),
                              capture_output=True, text=True, timeout=120)
    finally:
        _post(f"{server}/moto-api/reset-auth", b"inf")
    assert done.returncode == 0, done.stderr
    document = json.loads(output.read_text())
    assert [a["id"] for a in document["accounts"]] == [MANAGEMENT, PAYMENTS, ANALYTICS]
    failures = {(a["id"], k): v for a in document["accounts"] for k, v in (a.get("errors") or {}).items()}
    failures |= {(b["Name"], k): v for a in document["accounts"] for b in a["s3"]["buckets"]
                 for k, v in (b.get("Errors") or {}).items()}
    failures |= {(k.get("KeyId"), op): v for a in document["accounts"] for k in a["kms"]["keys"]
                 for op, v in (k.get("Errors") or {}).items()}
    assert [len(a["kms"]["keys"]) for a in document["accounts"]] == [0, 1, 0]
    assert [len(a["ec2"]["vpc_endpoints"]) for a in document["accounts"]] == [1, 0, 0]
    assert failures == {("mgmt-reports", "GetBucketPolicy"): "AccessDenied"}
    assert key["SecretAccessKey"] not in output.read_text() + done.stderr


def test_accounts_collected_on_a_dask_cluster_are_the_local_run_s_even_when_a_worker_dies(server, tmp_path):
    """`collect --organization --scheduler`: the member accounts are tasks on two `dask worker` processes (with
    the credentials of their own environment), the caller's account is read here; a worker killed while reading
    an account loses nothing and duplicates nothing: the scheduler reruns the account on a worker."""
    pytest.importorskip("distributed")
    from ..shards.dask_cluster import dask_cluster

    local, remote = tmp_path / "local.json", tmp_path / "dask.json"
    marker = tmp_path / "killed-once"
    args = ("--organization", "--role-name", SCANNER_ROLE)
    done = subprocess.run(_command(server, local, *args), env=_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    with dask_cluster(2, env={**_env(tmp_path), "S3AUDIT_KILL_ACCOUNT": f"{PAYMENTS}:{marker}"}) as address:
        done = subprocess.run([*_command(server, remote, *args), "--scheduler", address], env=_env(tmp_path),
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert marker.exists(), "no worker was killed"
    one, two = json.loads(local.read_text()), json.loads(remote.read_text())
    assert [a["id"] for a in two["accounts"]] == [a["id"] for a in one["accounts"]] == [MANAGEMENT, PAYMENTS, ANALYTICS]
    for snapshot in (one, two):  # when the scanner role was last used is all that may differ
        for account in snapshot["accounts"]:
            for role in account["iam"].get("RoleDetailList", ()):
                role.pop("RoleLastUsed", None)
    assert two["accounts"] == one["accounts"] and two["organization"] == one["organization"]
    assert not Path(str(remote) + ".partial").exists()
