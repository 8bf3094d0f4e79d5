"""The test's /etc/hosts for S3 Control: resolve ``<account id>.127.0.0.1`` to 127.0.0.1.

With an endpoint override, botocore sends S3 Control calls to ``{AccountId}.{endpoint host}`` (the service's
endpoint rules say so), which no resolver knows for a loopback address. The server tests' fixture, which makes
access points with boto3, resolves them through this; s3audit's collector itself sends S3 Control calls to the
endpoint's own host, and its command runs without it.
"""
import re
import socket

_getaddrinfo = socket.getaddrinfo
_ACCOUNT_HOST = re.compile(r"\d{12}\.(127\.0\.0\.1)")


def _loopback_getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str):
        match = _ACCOUNT_HOST.fullmatch(host)
        if match:
            host = match.group(1)
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_getaddrinfo
