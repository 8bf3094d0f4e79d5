"""CloudFormation and SAM templates by the hundred: how many s3audit reads, refuses or crashes on, what share of its
findings is unknown, and how long it takes (run from the repository root).

    python bench/cfn_corpus.py PATH...              # templates, or folders searched for them
    python bench/cfn_corpus.py --own                # the generated corpus of our own (bench/cfn_corpus_gen.py)
    python bench/cfn_corpus.py --checkov 20 PATH... # also time Checkov and s3audit, fresh processes, on 20 of them

A file is taken as a template when it is YAML or JSON with a top-level ``Resources`` section and either
``AWSTemplateFormatVersion``, a ``Transform`` or an ``AWS::`` resource type (a public repository also holds
package.json, CI files, state machine definitions ...). Each template goes through ``s3audit check
--cloudformation`` in this process (CPU time per template, ``time.process_time``), with a 60 s CPU limit.
Outcomes: *read* (exit 0 or 1), *refused* (exit 2: each message is printed, to be judged: a refusal of a template
CloudFormation accepts is a defect), *crash* (exit 3, an exception, or a hang). For read templates: findings,
the share of them that are unknown, and the templates with an input not read (INPUT-not-read: a macro, an
include, a nested application, a loop over a list only a deployment knows).

With ``--checkov N``, N of the read templates (evenly spaced through the sorted list) are checked by both tools as
a pre-merge hook runs them (fresh process, installed package; bench/premerge_bench.py's virtual environments),
alternating, 3 runs each after a warm-up; the median over templates of s3audit's wall time / Checkov's is printed.
``BENCH_S3AUDIT="python -m s3audit"`` runs this checkout instead of the installed copy (the shared virtual
environment is then left alone).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from cpu_limit import CpuLimitExceeded, cpu_limit  # noqa: E402

LIMIT_S = 60
_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_TEMPLATE_HINT = re.compile(r"AWSTemplateFormatVersion|\bTransform\b|[\"']?Type[\"']?\s*:\s*[\"']?AWS::")


def templates(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        files = [p] if os.path.isfile(p) else [
            os.path.join(d, f) for d, dirs, fs in os.walk(p) for f in fs
            if f.endswith(_SUFFIXES) and not any((part.startswith(".") and part != ".") or part == "node_modules"
                                                 for part in os.path.relpath(d, p).split(os.sep))]
        for f in sorted(files):
            try:
                with open(f, encoding="utf-8") as fh:
                    text = fh.read(2_000_000)
            except (OSError, UnicodeDecodeError):
                continue
            if _TEMPLATE_HINT.search(text) and _has_resources(f, text):
                out.append(f)
    return out


def _has_resources(path: str, text: str) -> bool:
    """A top-level ``Resources`` key (JSON: of the document's object; YAML: at the start of a line)."""
    if path.endswith(".json") or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            return '"Resources"' in text  # invalid JSON that looks like a template: let s3audit judge it
        return isinstance(doc, dict) and "Resources" in doc
    return re.search(r"^[\"']?Resources[\"']?\s*:", text, re.M) is not None


def check_one(path: str, out: str) -> dict:
    from s3audit.cli import main
    err = io.StringIO()
    started = time.process_time()
    try:
        with cpu_limit(LIMIT_S), contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["check", "--cloudformation", path, "--format", "json", "-o", out])
    except CpuLimitExceeded:
        return {"path": path, "outcome": "crash", "detail": f"over {LIMIT_S} s CPU", "cpu": LIMIT_S}
    except BaseException as exc:  # noqa: BLE001  (a crash is what this survey counts)
        return {"path": path, "outcome": "crash", "detail": f"{type(exc).__name__}: {str(exc)[:120]}",
                "cpu": time.process_time() - started}
    cpu = time.process_time() - started
    message = err.getvalue().strip()
    if code == 2:
        return {"path": path, "outcome": "refused", "detail": message.splitlines()[0] if message else "", "cpu": cpu}
    if code not in (0, 1) or "Traceback" in message:
        return {"path": path, "outcome": "crash", "detail": (message.splitlines() or ["?"])[-1][:160], "cpu": cpu}
    with open(out, encoding="utf-8") as fh:
        findings = json.load(fh)["findings"]
    out = {"path": path, "outcome": "read", "cpu": cpu, "findings": len(findings),
           "unknown": sum(1 for f in findings if f["status"] == "unknown"),
           "unread": sum(1 for f in findings if f["rule"] == "INPUT-not-read")}
    with open(path, encoding="utf-8") as fh:
        out["tls_denies"] = fh.read().count(_TLS_SID)
    if out["tls_denies"]:
        denying = _buckets_with_tls_deny(path)
        out["tls_attached"] = len(denying)
        out["tls_false"] = sum(1 for f in findings if f["rule"] in ("FSBP-S3.5", "CIS-2.1.1")
                               and f["subject"] in denying)
    return out


# The generated corpus gives every TLS-only deny this Sid. A deny the snapshot does not hold on its bucket was
# not attached; a bucket holding one that is still reported open to plain HTTP is a false finding.
_TLS_SID = "DenyInsecureTransport"


def _buckets_with_tls_deny(path: str) -> set[str]:
    from s3audit.sources.iac import load_iac
    snap, _ = load_iac(cloudformation=[path])
    return {f"arn:aws:s3:::{b['Name']}" for a in snap["accounts"] for b in a["s3"]["buckets"]
            if isinstance(b.get("Policy"), dict)
            and any(st.get("Sid") == _TLS_SID for st in b["Policy"].get("Statement", []))}


def survey(files: list[str]) -> list[dict]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            results.append(check_one(f, os.path.join(tmp, "findings.json")))
    return results


def report(results: list[dict], label: str) -> None:
    read = [r for r in results if r["outcome"] == "read"]
    refused = [r for r in results if r["outcome"] == "refused"]
    crashed = [r for r in results if r["outcome"] == "crash"]
    findings = sum(r["findings"] for r in read)
    unknown = sum(r["unknown"] for r in read)
    cpus = sorted(r["cpu"] for r in results)
    print(f"{label}: {len(results)} templates: {len(read)} read, {len(refused)} refused, {len(crashed)} crashed")
    print(f"  findings {findings}, unknown {unknown} ({100 * unknown / max(findings, 1):.1f}%); "
          f"{sum(1 for r in read if r['unread'])} templates with an input not read "
          f"({sum(r['unread'] for r in read)} INPUT-not-read findings)")
    denies = sum(r.get("tls_denies", 0) for r in read)
    if denies:
        print(f"  {denies} TLS-only denies ({_TLS_SID}), {sum(r.get('tls_attached', 0) for r in read)} attached "
              f"to their bucket; FSBP-S3.5/CIS-2.1.1 findings on those buckets: "
              f"{sum(r.get('tls_false', 0) for r in read)}")
    if cpus:
        print(f"  CPU per template: median {statistics.median(cpus) * 1000:.0f} ms, "
              f"max {cpus[-1] * 1000:.0f} ms, total {sum(cpus):.1f} s")
    for r in refused + crashed:
        print(f"  {r['outcome']}: {r['path']}: {r['detail']}")


def versus_checkov(files: list[str], n: int) -> None:
    from checkov_agreement import checkov_env, ensure_checkov
    from premerge_bench import run_once, s3audit_venv
    sample = [files[round(i * (len(files) - 1) / max(n - 1, 1))] for i in range(min(n, len(files)))]
    checkov = ensure_checkov()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if os.environ.get("BENCH_S3AUDIT"):  # e.g. "python -m s3audit": this checkout, not the installed copy
        ours_cmd = os.environ["BENCH_S3AUDIT"].split()
        env["PYTHONPATH"] = ROOT
    else:
        ours_cmd = [s3audit_venv()]
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in sample:
            cmds = {"s3audit": ([*ours_cmd, "check", "--cloudformation", f, "--format", "json",
                                 "-o", os.path.join(tmp, "f.json")], env),
                    "checkov": ([checkov, "-f", f, "--framework", "cloudformation", "-o", "json", "--compact",
                                 "--quiet", "--skip-download"], checkov_env())}
            walls: dict[str, list[float]] = {k: [] for k in cmds}
            for k, (cmd, e) in cmds.items():
                run_once(cmd, e)  # warm-up
            for _ in range(3):
                for k, (cmd, e) in cmds.items():
                    walls[k].append(run_once(cmd, e)[0])
            ours_s, theirs_s = statistics.median(walls["s3audit"]), statistics.median(walls["checkov"])
            ratios.append(ours_s / theirs_s)
            print(f"  {os.path.relpath(f)}: s3audit {ours_s:.2f} s, checkov {theirs_s:.2f} s "
                  f"(1/{theirs_s / ours_s:.1f})")
    r = statistics.median(ratios)
    print(f"median ratio s3audit/Checkov over {len(ratios)} templates: {r:.3f} (1/{1 / r:.1f}); "
          f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    args = sys.argv[1:]
    n_checkov = 0
    if "--checkov" in args:
        i = args.index("--checkov")
        n_checkov = int(args[i + 1])
        del args[i:i + 2]
    own = "--own" in args
    args = [a for a in args if a != "--own"]
    with tempfile.TemporaryDirectory() as corpus:
        if own:
            from cfn_corpus_gen import write_corpus
            write_corpus(corpus)
            args.append(corpus)
        files = templates(args)
        load = os.getloadavg()[0]
        results = survey(files)
        report(results, "generated corpus (bench/cfn_corpus_gen.py)" if own and len(args) == 1 else ", ".join(args))
        print(f"  load average {load:.1f} before, {os.getloadavg()[0]:.1f} after; {os.cpu_count()} CPUs")
        if n_checkov:
            versus_checkov([r["path"] for r in results if r["outcome"] == "read"], n_checkov)


if __name__ == "__main__":
    main()
