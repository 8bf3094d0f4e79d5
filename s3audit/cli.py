"""The command line: argument parsing and dispatch only.

Each sub-command's work lives in ``s3audit.commands.<name>.run(args) -> int``, imported only when that
command runs, so ``s3audit --help`` stays instant and never imports boto3. Any ``S3AuditError`` becomes
one message on stderr and exit status 2; anything else that escapes a command is a bug in s3audit, never
findings: one line and exit status 3 (the traceback with ``--debug`` or ``S3AUDIT_DEBUG=1``).
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from typing import Callable

from . import __version__
from .commands._inputs import add_iac_options
from .errors import OutputError, S3AuditError

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse exits with status 2 on usage errors already; keep its message but without the noise."""

    def error(self, message: str) -> None:  # pragma: no cover - argparse path
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


class _Version(argparse.Action):
    """``--version``: s3audit's version, then the shipped AWS data and its date. Written when asked, so that
    no other run reads the data files."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from .iam import actions, managed
        data, catalogue = managed.about(), actions.about()
        sources = "; ".join(f"{s['name']} {s['version'][:12]} of {s['date']}" for s in data["sources"])
        sys.stdout.write(f"s3audit {__version__}\n"
                         f"AWS managed policies: {data['policies']} documents as of {data['date']} ({sources})\n"
                         f"IAM actions: {catalogue['source']}"
                         f"{' as of ' + catalogue['date'] if catalogue['date'] else ' (date not recorded)'}\n")
        parser.exit(0)


def _explain(p: argparse.ArgumentParser) -> None:
    p.add_argument("snapshot", nargs="?", help="snapshot file (.json or .json.gz); with IaC inputs, the live estate "
                   "they change")
    p.add_argument("--principal", help="principal ARN, or 'anonymous' for the unauthenticated caller")
    p.add_argument("--action", help="S3 action, for example s3:GetObject")
    p.add_argument("--resource", help="resource ARN, for example arn:aws:s3:::bucket/key")
    p.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                   help="request context value; repeat for several keys or values")
    p.add_argument("--requests", metavar="FILE.jsonl",
                   help="decide many requests, one JSON object per line ('-' for stdin)")
    p.add_argument("--format", choices=("text", "json"), default=None,
                   help="output format (default: text; json lines with --requests)")
    add_iac_options(p, "the live estate's snapshot: decide on it with the change applied")


def _paths(p: argparse.ArgumentParser) -> None:
    p.add_argument("snapshot", nargs="?", help="snapshot file (.json or .json.gz); with IaC inputs, the live estate "
                   "they change")
    p.add_argument("--to", metavar="BUCKET", help="list every principal that can reach this bucket")
    p.add_argument("--access", choices=("list", "read", "write", "permissions", "any"), default="any",
                   help="the access the path must end in (default: any)")
    p.add_argument("--from", dest="from_", metavar="PRINCIPAL",
                   help="start principals: a principal ARN, 'anonymous', 'external' (outside the organization, "
                        "or outside the snapshot's accounts without one) or a glob pattern such as "
                        "'arn:aws:iam::111111111111:role/*'; without --to, list the buckets they can reach")
    p.add_argument("--max-hops", type=int, metavar="N", help="longest path to report, the access hop included")
    p.add_argument("--all", action="store_true", dest="all_routes",
                   help="every distinct simple route of each principal, shortest first (default: its best path)")
    p.add_argument("--limit", type=_positive_int, metavar="K",
                   help="with --all, at most K routes per principal (per principal and bucket without --to; "
                        "default: 10)")
    p.add_argument("--cut", action="store_true",
                   help="with --to: the smallest set of grants (policy statements, ACL grants, group memberships, "
                        "instance profile associations) whose removal leaves no route from the start principals, "
                        "proved by rebuilding the estate without them, and what else the removal takes away")
    p.add_argument("--format", choices=("text", "json", "dot", "mermaid"), default="text",
                   help="output format (default: text; --cut: text or json)")
    add_iac_options(p, "the live estate's snapshot: who could reach the data if the change lands")
    _scale_options(p)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found `{text}`") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, found `{text}`")
    return value


def _aws_options(p, workers: bool = True) -> None:
    """Where and how to collect from AWS: the same options, spelt alike, for `collect` and `scan` (whose
    ``--workers`` is the analysis's: its collection keeps collect's default concurrency)."""
    p.add_argument("--aws-profile", metavar="NAME", help="AWS profile for the starting credentials")
    p.add_argument("--region", metavar="R", help="home region for STS, IAM, Organizations and listing buckets "
                   "(default: the profile's region, else us-east-1)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--role-name", metavar="NAME",
                     help="role to assume in each account of --accounts or --organization")
    how.add_argument("--role-arn", metavar="ARN", nargs="+", action="extend", default=[],
                     help="roles to assume, one per account to collect")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--accounts", metavar="ID,...", help="comma-separated account ids to collect")
    which.add_argument("--organization", action="store_true",
                       help="collect every active account of the organization (from the management account "
                            "or a delegated administrator)")
    p.add_argument("--endpoint-url", metavar="URL",
                   help="send every AWS call to this endpoint (an S3-compatible server: moto, LocalStack)")
    p.add_argument("--regions", metavar="R,...", help="read compute (EC2, Lambda, Glue, ...) only in these regions "
                   "(default: every region enabled in each account)")
    if workers:
        p.add_argument("--workers", type=_positive_int, default=8, metavar="N",
                       help="concurrent API calls (default: 8)")


def _collect(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, metavar="SNAPSHOT",
                   help="snapshot file to write (.json, or .json.gz to compress); written atomically")
    _aws_options(p)
    # the option's first name, kept working; `scan` needs --profile for the audit profile
    p.add_argument("--profile", dest="aws_profile", metavar="NAME", help=argparse.SUPPRESS)
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from SNAPSHOT.partial, skipping accounts already collected")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="collect the accounts as tasks on a Dask cluster's workers, each assuming the role in its "
                        "account with the worker's credentials (pip install 's3audit[cluster]'); the journal and "
                        "--resume work as without it")


def _demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--snapshot", help="use this snapshot instead of the bundled demo estate")


def _rules(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="parse and check rule files without running them",
                               description="Parse and check rule files (and what they import) without running "
                                           "them; exit status 2 if any has an error.")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a rule file (.s3r) or a directory of them")
    check.add_argument("--root", metavar="DIR",
                       help="the rules tree that imports must stay inside (default: the directory given, or "
                            "the nearest enclosing `rules` directory of a file)")
    test = actions.add_parser("test", help="run the rules' test cases (NAME.tests.yaml beside NAME.s3r)",
                              description="Run the test cases of rule files: each case is a snapshot (or a "
                                          "fragment, or a fixture) and the findings a rule must and must not "
                                          "produce. Exit status 1 if a case fails, 2 for bad input.")
    test.add_argument("paths", nargs="+", metavar="PATH",
                      help="a rule file, a tests file or a directory of them")
    test.add_argument("--root", metavar="DIR", help="the rules tree that imports must stay inside")
    test.add_argument("-v", "--verbose", action="store_true", help="list every case, not only the failed ones")
    listing = actions.add_parser("list", help="print the catalogue of rules: id, severity, controls, title",
                                 description="Print the catalogue of rules from their own metadata: the built-in "
                                             "packs, or the rule files given.")
    listing.add_argument("paths", nargs="*", metavar="PATH", help="rule files or directories (default: built-in)")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    doc = actions.add_parser("doc", help="print the catalogue of rules as Markdown",
                             description="Print a Markdown catalogue of the rules (id, severity, controls, title, "
                                         "rationale, remediation), generated from the rules themselves.")
    doc.add_argument("paths", nargs="*", metavar="PATH", help="rule files or directories (default: built-in)")
    doc.add_argument("-o", "--output", metavar="FILE", help="write the catalogue to FILE instead of printing it")


# name -> (help, argument builder). The module s3audit.commands.<name> holds run(args).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "collect": ("read IAM, S3 and the organization from AWS into a snapshot (read-only)", _collect),
    "demo": ("tour the bundled demo estate", _demo),
    "explain": ("decide whether a principal can perform an S3 action, and why", _explain),
    "paths": ("list who can reach a bucket, or what a principal can reach, by any path", _paths),
    "rules": ("work on rule files: check, test, list and document them", _rules),
}


# ---- the three faces: check (CI gate), scan + history (nightly), report (auditors); diff between runs ----
_SEVERITIES = ("info", "low", "medium", "high", "critical", "never")


def _audit_options(p: argparse.ArgumentParser, fail_on_help: str | None = None) -> None:
    p.add_argument("--profile", metavar="PROFILE",
                   help="audit profile: a YAML file or a built-in name (default, fsbp, cis, pci, gdpr, governance, "
                        "hygiene); default: default")
    p.add_argument("--rules", action="append", default=[], metavar="PATH",
                   help="extra rule file or directory, run beside the built-in packs (repeatable)")
    p.add_argument("--fail-on", choices=_SEVERITIES, metavar="SEVERITY",
                   help=fail_on_help or "fail (exit 1) when an open finding is at or above this severity: info, low, "
                        "medium, high, critical or never (default: the profile's, else high); waived findings never "
                        "count")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date waivers' expiry is judged against (default: today)")


def _output_options(p: argparse.ArgumentParser, default: str = "text") -> None:
    p.add_argument("--format", action="append", metavar="FORMAT",
                   help="text, json, sarif, junit, markdown or html; repeat (or comma-separate) for several "
                        f"(default: {default})")
    p.add_argument("-o", "--output", action="append", metavar="[FORMAT=]PATH",
                   help="write a format to a file: -o out.sarif (format from --format or the file's ending) or "
                        "-o sarif=out.sarif; repeatable; without -o the format goes to standard output")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the text output (default: auto, only on a terminal and without NO_COLOR)")


def _check(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="*", metavar="SNAPSHOT|IAC",
                   help="a snapshot, or Terraform/CloudFormation files and directories (classified by content; "
                        "a file of no kind is an error, unless --skip-unrecognized)")
    p.add_argument("--skip-unrecognized", action="store_true",
                   help="skip input files that are neither a snapshot nor IaC, with a note (the pre-commit hook "
                        "passes every staged JSON and YAML file)")
    add_iac_options(p, "the live estate's snapshot: overlay the change on it and report only what it introduces "
                       "(and what it fixes)")
    p.add_argument("--baseline", metavar="FINDINGS.json",
                   help="report only findings whose fingerprints this earlier findings file does not have")
    p.add_argument("--suggest", action="store_true",
                   help="attach to each open finding the change that fixes it (a statement or grant to remove or "
                        "narrow, a statement or setting to add), as a JSON Patch of the snapshot and, for IaC, the "
                        "place to edit; each change proved by running the engine and the rule on the changed estate, "
                        "with the access it also changes")
    _audit_options(p)
    _output_options(p)
    _scale_options(p)  # for a snapshot; a check of IaC (pre-merge) always runs in one process


def _diff(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", metavar="OLD", help="a snapshot or a findings file")
    p.add_argument("new", metavar="NEW", help="a snapshot or a findings file")
    _audit_options(p)
    _output_options(p)


def _scan(p: argparse.ArgumentParser) -> None:
    p.add_argument("--history", required=True, metavar="DIR",
                   help="history directory: each run writes a dated folder and updates DIR/index.json")
    p.add_argument("--snapshot", metavar="FILE", help="check this snapshot instead of collecting one from AWS")
    p.add_argument("--report-format", action="append", metavar="FORMAT",
                   help="reports to write into the run's folder (default: json, text, markdown, html, sarif)")
    _aws_options(p.add_argument_group("collecting from AWS (without --snapshot)"), workers=False)
    _audit_options(p)
    _output_options(p)
    _scale_options(p, full=True)


def _scale_options(p: argparse.ArgumentParser, full: bool = False) -> None:
    """``--workers``, ``--scheduler`` (and scan's ``--full``): see commands/_scale.py."""
    p.add_argument("--workers", type=_positive_int, metavar="N",
                   help="analyse on N local processes (default: every core for an estate of 2,000 buckets and "
                        "access points or more, else one process); the output is the same whatever N")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="analyse on a Dask distributed cluster, for example tcp://10.0.0.5:8786 (pip install "
                        "'s3audit[cluster]'); its workers must run this version of s3audit and read the snapshot "
                        "at the same path, or give it as an s3:// URL")
    if full:
        p.add_argument("--full", action="store_true",
                       help="recompute every bucket, instead of reusing the last run's results for those whose "
                            "inputs did not change")


def _history(p: argparse.ArgumentParser) -> None:
    p.add_argument("history", metavar="DIR", help="a history directory written by `s3audit scan`")
    p.add_argument("--days", type=int, default=14, metavar="N", help="how many of the latest days to show (default: 14)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _report(p: argparse.ArgumentParser) -> None:
    p.add_argument("snapshot", metavar="SNAPSHOT", help="the snapshot to audit")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="HTML file to write (default: standard output); a name ending in .pdf prints the page to "
                        "PDF with a headless Chromium")
    p.add_argument("--title", metavar="TEXT", help="the report's title (default: s3audit)")
    _audit_options(p, fail_on_help="the severity the report's verdict is judged at: info, low, medium, high, "
                                   "critical or never (default: the profile's, else high). Given, the command "
                                   "fails (exit 1) when an open finding is at or above it; without it, the report "
                                   "is written and the exit status is 0 whatever it finds")
    _scale_options(p)


COMMANDS.update({
    "check": ("check a snapshot or an IaC change against the rules; exit 1 at or above the threshold", _check),
    "diff": ("compare two snapshots or findings files: new, resolved and unchanged findings, access changes", _diff),
    "scan": ("nightly: check the estate, keep a dated history, alert only on what is new", _scan),
    "history": ("summarise a scan history: findings per day, severity, rule and account", _history),
    "report": ("write one self-contained HTML (or PDF) audit report", _report),
})


def _debug_option(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: a sub-command's parser must not reset what was given before the command's name
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="print the traceback of an internal error (also S3AUDIT_DEBUG=1)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="s3audit", description="Policy-as-code compliance linter and auditor for S3 data access.")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and the date of the AWS data "
                        "s3audit ships, and exit")
    _debug_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_text, build) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        build(p)
        _debug_option(p)
    return parser


class _Terminated(BaseException):
    """SIGTERM, raised where the program is so that files being written are cleaned up on the way out."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise _Terminated()


class _Stdout:
    """Standard output as the commands see it: writing to a closed, full or vanished standard output is an
    OutputError (one line, exit 2), and text that cannot be encoded is escaped rather than crashing."""

    def __init__(self, stream):
        self._stream = stream

    def _fail(self, exc: BaseException | None) -> OutputError:
        if self._stream is None or isinstance(exc, ValueError):
            why = "it is closed"
        elif isinstance(exc, BrokenPipeError):
            why = "the reader closed it before everything was written"
        else:
            why = (getattr(exc, "strerror", None) or str(exc)).rstrip(".").lower()
        return OutputError(f"cannot write to standard output: {why}")

    def write(self, text: str) -> int:
        if self._stream is None:
            raise self._fail(None)
        try:
            return self._stream.write(text)
        except UnicodeEncodeError:
            escaped = text.encode(getattr(self._stream, "encoding", None) or "utf-8", "backslashreplace")
            return self._stream.write(escaped.decode(getattr(self._stream, "encoding", None) or "utf-8"))
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None

    def write_utf8(self, raw: bytes) -> None:
        """Write text already encoded as UTF-8: straight to the byte stream beneath when that is what the text
        layer would write (a night's JSON on standard output is hundreds of megabytes, and decoding it only to
        encode it again costs a copy of each), else decoded and written as text (escaped as ``write`` does)."""
        buffer = getattr(self._stream, "buffer", None)
        if buffer is None or not _writes_utf8(self._stream):
            self.write(raw.decode("utf-8"))
            return
        self.flush()  # what the text layer holds goes first
        try:
            buffer.write(raw)
            buffer.flush()
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None

    def isatty(self) -> bool:
        try:
            return self._stream is not None and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _internal_error(exc: BaseException, debug: bool) -> int:
    if debug:
        import traceback
        traceback.print_exception(exc, file=sys.stderr)
    what = _one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    print(f"s3audit: internal error ({what}); this is a bug in s3audit, not a finding"
          + ("" if debug else "; run with --debug or S3AUDIT_DEBUG=1 for the traceback"), file=sys.stderr)
    return EXIT_INTERNAL


def _writes_utf8(stream) -> bool:
    """Whether the text stream writes text as its UTF-8 bytes, unchanged (so that those bytes can go beneath
    it): the process's own standard output (whose line ends s3audit never changes) when it encodes UTF-8 and
    writes a line end as a lone line feed (not on Windows). Valid text is written the same under any error
    handler."""
    import codecs
    try:
        return stream is sys.__stdout__ and os.linesep == "\n" and codecs.lookup(stream.encoding).name == "utf-8"
    except (AttributeError, LookupError, TypeError):
        return False


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:  # a name or message that is not valid text (a lone surrogate) is shown escaped, never raw
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False)) or os.environ.get("S3AUDIT_DEBUG", "").strip() not in ("", "0")
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    real_stdout = sys.stdout
    sys.stdout = _Stdout(real_stdout)
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        module = importlib.import_module(f"s3audit.commands.{args.command.replace('-', '_')}")
        status = module.run(args)
        sys.stdout.flush()
        return status
    except S3AuditError as exc:
        print(f"s3audit: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("s3audit: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("s3audit: terminated", file=sys.stderr)
        return 143
    except Exception as exc:
        return _internal_error(exc, debug)
    finally:
        sys.stdout = real_stdout
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        _quiet_broken_stdout(real_stdout)


def run_as_program() -> None:
    """The ``s3audit`` command and ``python -m s3audit``: ``main`` on the process's arguments, then exit with its
    status. The process ends right after, so the objects still alive (modules, the rule program, the snapshot,
    the engine's caches) are first moved out of the cyclic garbage collector's reach (``gc.freeze``): the
    interpreter's shutdown would otherwise walk every one of them once more, a seventh of the CPU of a
    pre-merge check. What reference counting frees as the interpreter clears its modules is still released;
    frozen objects held only by reference cycles are not finalised, which changes nothing: the process ends.
    For the same reason a command that paused the collector leaves it paused (``gcpause``)."""
    from .gcpause import keep_paused_until_exit
    keep_paused_until_exit()
    status = main()
    import gc
    gc.freeze()
    raise SystemExit(status)


def _quiet_broken_stdout(stream) -> None:
    """After standard output failed, let the interpreter's own flush at exit find nothing to write."""
    if stream is None:
        return
    try:
        stream.flush()
    except (OSError, ValueError):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
