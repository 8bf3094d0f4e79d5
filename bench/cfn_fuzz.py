"""Survey of crash sites: mutated CloudFormation templates through `s3audit check`, in this process.

Run from the repository root: ``python bench/cfn_fuzz.py [EXAMPLES] [SEED]`` (default 2,000 examples). Each
example is a template of ``fixtures/cloudformation/`` mutated by ``tests/sources/cfn_mutations.py`` (deleted keys,
swapped types, intrinsics of any arity, deep nesting, huge strings, YAML tags and aliases), written to a temporary
file and checked as the command line does. Every outcome must be exit 0 or 1 (read), or exit 2 with one line that
names the template and a line and column in it. What is not is grouped by its *site*: the exception's type and the
innermost line of s3audit it came from (a crash), or the shape of the message (an error without its place, or
with a pointer into the generated snapshot instead), or a hang (over 20 s of CPU). Prints one line per site with
its count and the first example's seed template (with ``CFN_FUZZ_SAVE=DIR``, the first example of each site is
written there, numbered in order of discovery).
"""
from __future__ import annotations

import contextlib
import io
import os
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from hypothesis import HealthCheck, given, settings, seed as hseed  # noqa: E402

from tests.sources.cfn_mutations import mutated_template  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_limit import CpuLimitExceeded, cpu_limit  # noqa: E402

LIMIT_S = 20


def check_text(text: str, fmt: str, tmp: str) -> tuple[str, str]:
    """(verdict, detail): verdict ``ok``, ``error`` (a good exit 2), ``crash``, ``hang``, ``unplaced``."""
    from s3audit.cli import main
    path = os.path.join(tmp, "template." + ("json" if fmt == "json" else "yaml"))
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
        fh.write(text)
    err, out = io.StringIO(), io.StringIO()
    try:
        with cpu_limit(LIMIT_S), contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(["check", "--cloudformation", path, "--format", "json", "-o", os.path.join(tmp, "o.json")])
    except CpuLimitExceeded:
        return "hang", ""
    except RecursionError:
        return "crash", _site(sys.exc_info())
    except Exception:
        return "crash", _site(sys.exc_info())
    message = err.getvalue().strip()
    if code in (0, 1):
        return "ok", ""
    if code == 3:
        return "crash", "exit 3: " + message.splitlines()[-1][:120] if message else "exit 3"
    return classify_error(message, path)


def classify_error(message: str, path: str) -> tuple[str, str]:
    """A good exit 2 names the template, a line and a column; a pointer into the snapshot is not a place."""
    import re
    first = message.splitlines()[0] if message else ""
    if "/accounts/" in first or ": at /" in first:
        return "unplaced", "pointer into the snapshot: " + re.sub(r"\d+", "N", first.split(": ", 2)[-1])[:90]
    if not re.match(rf"s3audit: {re.escape(path)}:\d+:\d+: ", first):
        return "unplaced", "no line:column: " + re.sub(r"`[^`]*`", "`..`", first.replace(path, "FILE"))[:100]
    if "Traceback" in message:
        return "crash", "traceback printed"
    return "error", ""


def _site(exc_info) -> str:
    etype, value, tb = exc_info
    frames = [f for f in traceback.extract_tb(tb) if "/s3audit/" in f.filename]
    where = f"{os.path.relpath(frames[-1].filename, ROOT)}:{frames[-1].lineno}" if frames else "?"
    return f"{etype.__name__} at {where}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    save = os.environ.get("CFN_FUZZ_SAVE")  # a folder to keep the first example of each site in
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, hard))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    verdicts: Counter = Counter()
    sites: Counter = Counter()
    first: dict[str, str] = {}
    started = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        @hseed(seed)
        @settings(max_examples=n, database=None, deadline=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        @given(mutated_template())
        def run(example):
            name, fmt, text = example
            try:
                verdict, detail = check_text(text, fmt, tmp)
            except MemoryError:
                verdict, detail = "crash", "MemoryError"
            verdicts[verdict] += 1
            if verdict in ("crash", "hang", "unplaced"):
                key = f"{verdict}: {detail}"
                sites[key] += 1
                if key not in first:
                    first[key] = f"{name} ({fmt})"
                    if save:
                        os.makedirs(save, exist_ok=True)
                        with open(os.path.join(save, f"{len(first):03d}.{'json' if fmt == 'json' else 'yaml'}"), "w",
                                  encoding="utf-8", errors="surrogatepass") as fh:
                            fh.write(text)
        run()
    cpu = time.process_time() - started
    print(f"{sum(verdicts.values())} examples in {cpu:.0f} s CPU: " +
          ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items())))
    print(f"{len(sites)} distinct sites")
    for i, (key, count) in enumerate(sites.most_common()):
        print(f"{count:5d}  {key}   [first: {first[key]}]")


if __name__ == "__main__":
    main()
