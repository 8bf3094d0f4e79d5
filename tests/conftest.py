import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def snapshot_md_example() -> dict:
    """The example snapshot printed in docs/snapshot-format.md (the contract's own example)."""
    text = (ROOT / "docs" / "snapshot-format.md").read_text()
    return json.loads(re.search(r"^## Example\n.*?```json\n(.*?)```", text, re.S | re.M).group(1))


# --- generated cases are the same from run to run --------------------------------------------------------------
# A CI run must fail for the change it tests, not for a case a new random seed happened upon, so hypothesis draws
# the same cases every run (and keeps no example database in the checkout). To explore new cases, locally or on a
# schedule, run with S3AUDIT_FUZZ_EXPLORE=1; a failure there prints the case's reproduction blob.
from hypothesis import settings as _hypothesis_settings

_hypothesis_settings.register_profile("s3audit-ci", derandomize=True, database=None, print_blob=True)
_hypothesis_settings.register_profile("s3audit-explore", database=None, print_blob=True)
_hypothesis_settings.load_profile("s3audit-explore" if os.environ.get("S3AUDIT_FUZZ_EXPLORE") else "s3audit-ci")


# --- the suite stands alone ------------------------------------------------------------------------------------
# A fresh clone on a machine with nothing beside it must pass, so no test may read a file outside the repository
# (a sibling checkout, a path on the developer's machine, the user's own cache). An audit hook sees every file the
# test process opens; anything outside the repository, the interpreter's own installation, the temporary folder
# and the operating system's read-only areas fails the run at the end, naming the file and the test that read it.
import os
import sys
import sysconfig
import tempfile

_ALLOWED = tuple(sorted({str(p) + os.sep for p in (
    ROOT, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.exec_prefix).resolve(),
    *(Path(v).resolve() for v in sysconfig.get_paths().values()), Path(tempfile.gettempdir()).resolve())} |
    {"/dev/", "/proc/", "/sys/", "/etc/", "/usr/", "/lib/", "/lib64/", "/bin/", "/opt/", "/run/"}))
_outside: dict[str, str] = {}
_current_test = ["(collection)"]


def _audit(event: str, args: tuple) -> None:
    if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
    if "r" not in mode and "+" not in mode:
        return
    path = os.fsdecode(args[0])
    full = os.path.abspath(path)
    if not full.startswith(_ALLOWED) and full not in _outside:
        _outside[full] = _current_test[0]


sys.addaudithook(_audit)
# s3audit's cache lives in the user's home by default; the suite keeps its own, so it neither reads a developer's
# cache nor leaves entries behind.
os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="s3audit-test-cache-"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _current_test[0] = item.nodeid


def pytest_sessionfinish(session, exitstatus):
    if _outside:
        lines = "\n".join(f"  {path}  (read by {test})" for path, test in sorted(_outside.items()))
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"\ntests read files outside the repository:\n{lines}", red=True)
        session.exitstatus = 1


def outside_reads() -> dict[str, str]:
    """What the suite has read outside the repository so far (for the test that asserts it stays empty)."""
    return dict(_outside)
