"""`explain --requests` output frozen byte for byte on the demo estate.

The bulk path is memoised at every level (plans, profiles, rendered JSON, repeated lines) and decides in
an order of its own; none of that may change a byte of what it writes. These digests were taken from the
code before that work (main at 845f183, plus the fix that keeps `true` and `1` apart as context values,
which changes only lines of the varied file that mix them), over 2,000 requests of each kind:

- the benchmark's requests (bench/explain_bench.py's generator at its fixed seed);
- the varied file of bench/explain_check.py (every principal kind, access point and IAM resources, cased and
  padded actions, list/number/null/non-ASCII context values, extra fields, CRLF, blank and repeated lines).

Since then, one intended change: each residual condition carries `"explanation"` (its words) and, for a
bucket's own TLS-only deny, `"met_by_construction": "tls"` (issue 16, item 4); and the demo estate gained a role
(analytics' bi-developer, issue 13), which the generators draw requests for, so both files differ from there on.

Then issue 14 (the KMS key and VPC endpoints in every decision): the demo gains a token vault and a
warehouse (requests on them were "bucket not in the snapshot"), its keys' and endpoints' sections (JSON
pointers into later buckets shift), and S3 decisions on SSE-KMS buckets carry a `kms` reason (the key
policy statement or grant that lets the caller use the key) or are denied for want of the key (anonymous
callers, accounts the key does not admit), and through a VPC endpoint a `vpc-endpoint` reason; a condition
on `aws:SourceVpce` says what the endpoint admits; a principal of an account outside the organization has an
`aws:PrincipalOrgID` that is not the organization's, so an RCP requiring it denies outright. Over the same
requests on the new demo (main's engine against this one): of the benchmark's 2,000 lines 73 differ (21
conditional → deny for want of the key, 14 conditional and 12 allow gaining the key's reason, 19 denials now
by the RCP, 7 conditions naming the endpoint), of the varied file's 2,128 lines 56.

When a change to the engine is meant to change its answers or their wording, check the new output and
update the digests (`python3 bench/explain_check.py OLD_TREE NEW_TREE` compares two trees in full).

Issue 11 changed them once, on purpose: a context key that the action's requests never carry is named among
the assumptions (`ignored: s3:GetObjectTagging requests never carry s3:prefix`; 199 of the 2,000 bench lines and
347 of the varied file's), and the varied file no longer holds the names `explain` now refuses as typos
(unknown principals of accounts whose IAM the snapshot holds, actions no service documents, a missing access
point). Against main at the time (with issue 16's explanations), every other byte of both files' JSON and text
output was unchanged.

Issue 14 and issue 11 together (merged): against issue 14's tree before the merge, over the merged tree's request
files, only issue 11's `ignored:` assumptions differ (195 of the 2,000 bench lines, 325 of the varied file's
2,120).

Issue 13 and issue 14 together (esc-13 merged with trial2: scale-15, kms-14, iac-cfn): the demo holds both the
compute escalation (bi-developer) and the keys and endpoints, so the request files are drawn from the union.
Over them, trial2's code (d8c9997) and the merged code give byte-identical output on the merged demo (2,000
bench lines, 2,116 varied); esc-13's code (1c964ec) differs on 79 bench lines and 73 varied ones, all issue 14's
(the key's `kms` reasons, denials for want of the key, the payments RCP's `aws:PrincipalOrgID` denials,
conditions naming the analytics warehouse's endpoint).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

from s3audit.cli import main
from s3audit.snapshot.load import load_snapshot

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "s3audit" / "demo" / "estate.json"

DIGESTS = {
    "bench": "6f67df6e5feb97264064f115b5d6f979f45119e22b646f071fb9ca64455e75e4",
    "varied": "54faf517ac29082d5b67ec23be085e97c72496dbe4256e40d1df09629ab93e6c",
}


def _bench_module(name: str):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


@pytest.fixture(scope="module")
def request_files(tmp_path_factory) -> dict[str, Path]:
    bench, check = _bench_module("explain_bench"), _bench_module("explain_check")
    snapshot = load_snapshot(str(DEMO))
    folder = tmp_path_factory.mktemp("requests")
    files = {"bench": folder / "bench.jsonl", "varied": folder / "varied.jsonl"}
    files["bench"].write_text("".join(json.dumps(x) + "\n" for x in bench.generate(snapshot, 2000)))
    files["varied"].write_bytes(check.varied(snapshot, 2000).encode("utf-8"))
    return files


@pytest.mark.parametrize("kind", sorted(DIGESTS))
def test_bulk_output_is_byte_identical(request_files, kind):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["explain", str(DEMO), "--requests", str(request_files[kind])])
    assert code == 0
    assert hashlib.sha256(out.getvalue().encode("utf-8")).hexdigest() == DIGESTS[kind]
