"""What the access graph's nodes and edges are called: the names every module that builds or reads the
graph shares (``build.py`` describes what each node and edge carries)."""
from __future__ import annotations

# Node kinds: principals ...
USER, GROUP, ROLE, ROOT, SERVICE, PROVIDER, SESSION = "user", "group", "role", "root", "service", "provider", "session"
ANONYMOUS_KIND, AUTHENTICATED_KIND = "anonymous", "authenticated"
PRINCIPAL_KINDS = frozenset({USER, GROUP, ROLE, ROOT, SERVICE, PROVIDER, SESSION, ANONYMOUS_KIND, AUTHENTICATED_KIND})
# ... and data.
BUCKET, ACCESS_POINT = "bucket", "access-point"
DATA_KINDS = frozenset({BUCKET, ACCESS_POINT})

# Edge kinds. The principal stage makes the first three (principal -> principal), the data stage the last
# (principal -> bucket or access point).
MEMBER_OF, CAN_ASSUME, CAN_ACT_AS, CAN_ACCESS = "member-of", "can-assume", "can-act-as", "can-access"

# Nodes that stand for callers no policy names one by one.
ANONYMOUS = "anonymous"
AUTHENTICATED = "authenticated"
# The engine decides for "any authenticated AWS principal" as the root of an account that is in no
# snapshot and no organization: its own IAM is unknown (so assumed to allow), and only grants to
# everyone reach it.
AUTHENTICATED_PROXY = "arn:aws:iam::000000000000:root"
