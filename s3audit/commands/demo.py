"""`s3audit demo`: a guided tour of the bundled demo estate, so a newcomer sees what s3audit is for."""
from __future__ import annotations

import textwrap
from importlib import resources

from ..iam.engine import Engine, Request
from ..snapshot.load import load_snapshot

# (what the question shows, principal, action, resource, context)
TOUR = [
    ("A reader role of the payments account reads cardholder data — only over TLS",
     "arn:aws:iam::222222222222:role/payments-reader", "s3:GetObject",
     "arn:aws:s3:::payments-cardholder-data/2026/11/settlement.csv", {}),
    ("The same request over plain HTTP is denied by the bucket's TLS-only statement",
     "arn:aws:iam::222222222222:role/payments-reader", "s3:GetObject",
     "arn:aws:s3:::payments-cardholder-data/2026/11/settlement.csv", {"aws:SecureTransport": "false"}),
    ("Anyone on the internet reads the public website bucket",
     "anonymous", "s3:GetObject", "arn:aws:s3:::sandbox-marketing-site/index.html", {}),
    ("A public ACL grant neutralised by Block Public Access (IgnorePublicAcls)",
     "anonymous", "s3:ListBucket", "arn:aws:s3:::sandbox-legacy-uploads", {}),
    ("A vendor account outside the organization reads the shared bucket (its own IAM is unknown: assumed)",
     "arn:aws:iam::888888888888:root", "s3:GetObject", "arn:aws:s3:::analytics-vendor-exchange/exports/daily.csv",
     {}),
    ("A developer cannot read EU personal data directly (see `s3audit paths` for the PassRole route)",
     "arn:aws:iam::333333333333:role/data-developer", "s3:GetObject",
     "arn:aws:s3:::analytics-eu-customers/customers.parquet", {}),
    ("A bucket whose policy could not be read: s3audit says access may be possible, and why",
     "arn:aws:iam::999999999999:root", "s3:GetObject", "arn:aws:s3:::analytics-ml-features/features.parquet", {}),
    ("A typo in an identity policy (`s3:GetObjects`) leaves the BI role without the access it was built for",
     "arn:aws:iam::333333333333:role/bi-reader", "s3:GetObject",
     "arn:aws:s3:::analytics-dashboards/q3.json", {}),
]


def demo_snapshot_path() -> str:
    return str(resources.files("s3audit.demo").joinpath("estate.json"))


def run(args) -> int:
    path = args.snapshot or demo_snapshot_path()
    snapshot = load_snapshot(path)
    engine = Engine(snapshot)
    engine.compile_all()
    n_roles = sum(len(a.roles) for a in snapshot.accounts)
    n_users = sum(len(a.users) for a in snapshot.accounts)
    print(f"s3audit demo — {len(snapshot.accounts)} accounts, {n_users} users, {n_roles} roles, "
          f"{len(snapshot.buckets)} buckets (snapshot taken {snapshot.taken_at})")
    print(f"snapshot: {path}\n")
    for i, (title, principal, action, resource, context) in enumerate(TOUR, 1):
        d = engine.decide(Request(principal, action, resource, context))
        print(f"{i}. {title}")
        ctx = "".join(f" --context {k}={v}" for k, v in context.items())
        print(f"   $ s3audit explain SNAPSHOT --principal {principal} --action {action} --resource {resource}{ctx}")
        print(f"   -> {d.decision.upper()}")
        for r in d.reasons[:3]:
            stmt = f" [{r.statement}]" if r.statement else ""
            note = f": {r.note}" if r.note else ""
            print(f"      {r.effect:<12} {r.source}{stmt}{note}")
        for c in d.conditions[:2]:
            keys = ", ".join(x.get("key", "?") for x in c.conditions)
            verb = "if allowed by" if c.effect == "Allow" else "unless denied by"
            print(f"      depends on {keys} ({verb} {c.source} [{c.statement}])")
        for a in d.assumptions[:2]:
            print(f"      assumes: {a}")
        print()
    _tour_paths(snapshot, engine)
    _tour_findings(snapshot, engine)
    print("Try it yourself: s3audit explain --help, s3audit paths --help, s3audit check --help")
    return 0


def _tour_paths(snapshot, engine) -> None:
    """The question the regulator asks: can anything outside the organization reach cardholder data?"""
    from ..graph.build import build_graph
    from ..graph.paths import paths_to, render_text, select_principals

    graph = build_graph(snapshot, engine)
    found = paths_to(graph, "payments-cardholder-data", "read", select_principals(graph, "external"))
    print("9. Who outside the organization can read cardholder data, by any path?")
    print("   $ s3audit paths SNAPSHOT --to payments-cardholder-data --from external --access read")
    for line in render_text(graph, found).splitlines():
        if line.strip() and not line.lstrip().startswith(("because:", "actions:")):
            print(f"   {line}")
    print()


def _tour_findings(snapshot, engine) -> None:
    from collections import Counter

    from ..lang.evaluate import load_program, run_rules

    result = run_rules(load_program(), snapshot, engine=engine)
    counts = Counter(f.severity.label for f in result.findings if f.status.value != "waived")
    order = ("critical", "high", "medium", "low", "info")
    print(f"10. The built-in rule packs ({len(result.rules)} rules) on this estate:")
    print("   $ s3audit check SNAPSHOT")
    print("   " + ", ".join(f"{counts[s]} {s}" for s in order if counts[s]) + f" — {len(result.findings)} findings")
    for f in sorted(result.findings, key=lambda f: -f.severity)[:3]:
        # wrapped between words, never cut: an ARN is one word, shown whole
        print(textwrap.fill(f"{f.severity.label.upper():<8} {f.rule}: {f.message}", width=118,
                            initial_indent="   ", subsequent_indent="            ", break_long_words=False,
                            break_on_hyphens=False))
    print()
