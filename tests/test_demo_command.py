"""`s3audit demo`: the newcomer's first command tours decisions, the planted path and the findings."""
from s3audit.cli import main


def test_demo_tours_decisions_paths_and_findings(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    # telling decisions, each with its answer
    assert out.count("   -> ") == 8
    assert "-> DENY" in out and "-> ALLOW" in out and "-> CONDITIONAL" in out
    assert "IgnorePublicAcls is on" in out
    # the planted external chain to cardholder data
    assert "arn:aws:iam::999999999999:root -> payments-cardholder-data" in out
    assert "role/partner-integration" in out and "role/payments-reader" in out
    # the rule packs' verdict, led by the critical findings
    assert "CRITICAL PCI-7.2.1" in out


def test_demo_never_cuts_an_arn(capsys):
    """Every ARN the tour prints is whole: the findings' messages are wrapped between words (issue 11)."""
    import re

    from s3audit.snapshot.load import load_snapshot
    from s3audit.commands.demo import demo_snapshot_path
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    snapshot = load_snapshot(demo_snapshot_path())
    known = {p.arn for a in snapshot.accounts for p in (*a.roles, *a.users, *a.groups)} | {
        b.arn for b in snapshot.buckets} | {f"arn:aws:iam::{a}:root" for a in ("999999999999", "888888888888",
                                                                               *(x.id for x in snapshot.accounts))}
    printed = {a.rstrip(":") for a in re.findall(r"arn:aws:(?:iam|s3)::[^\s,;)\]]*", out)}
    cut = {arn for arn in printed if not any(arn == k or arn.startswith(k + "/") for k in known)}
    assert not cut, cut
    assert "arn:aws:iam::999999999999:root -> arn:aws:iam::333333333333:role/partner-integration" in out


def test_demo_on_a_bad_snapshot_is_a_clean_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["demo", "--snapshot", str(bad)]) == 2
    assert "missing required key" in capsys.readouterr().err
