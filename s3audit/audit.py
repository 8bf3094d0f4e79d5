"""One audit: run the rules over a snapshot, apply the profile, place findings on file lines.

The stages, in order (each a plain function, no I/O besides reading rule files):

1. ``run_rules``: the rule evaluator (``s3audit.lang.evaluate``) over the snapshot, with the profile's
   parameters and any extra rule files;
2. ``apply_profile``: rule selection, severity overrides, scope, waivers (``s3audit.profile``);
3. ``locate``: a finding without a file position gets one from the snapshot's ``locations`` (IaC inputs):
   its own pointer, else the first element of its evidence that the change declares (so a path finding
   lands on the trust policy or grant that opens it), else its subject's declaration, else what the
   caller's fallback says (the resource a plan destroys), else (overlay) a position the change records
   inside the finding's object;
4. for a change overlaid on the live estate, ``introduced_and_fixed`` keeps only what the change adds,
   and lists what it fixes; ``apply_baseline`` leaves out findings a baseline already has.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import json
import operator
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

from .errors import InputError, Place, ProfileError, RuleError, S3AuditError, pointer_join
from .findings import Finding, Location, Status
from .profile import Profile, WaiverOutcome, apply_waivers
from .report.model import RuleInfo
from .snapshot.model import Snapshot
from .subjects import SubjectIndex
from .unread import INPUTS_PACK, RULE as UNREAD_RULE, unread_findings


@dataclass
class RuleRun:
    findings: list[Finding]
    rules: list[RuleInfo]
    packs: list[tuple[str, str]]
    data_classes: Mapping[str, frozenset] = field(default_factory=dict)  # pack -> `data-class` values


# (snapshot, extra rule files, params, engine, graph) -> RuleRun
Evaluator = Callable[..., RuleRun]


_programs: dict[tuple, Any] = {}


def compiled_rules(rule_files: Iterable[str], params: Mapping[str, Any] | None):
    """The built-in packs plus ``rule_files``, checked and compiled with ``params``: once per process (an
    overlay runs the same rules on two snapshots, suggestions run them again on changed estates, a worker runs
    them on every shard)."""
    try:
        from .lang import evaluate as ev
    except ImportError:  # pragma: no cover - only in a build without the evaluator
        raise InputError("the rule evaluator (s3audit.lang.evaluate) is not part of this build") from None
    rule_files = list(rule_files)
    paths = [ev.builtin_rules_dir(), *rule_files] if rule_files else None
    # a rule file's identity is its content's: a file rewritten in place is read again
    key = (tuple((p, _version(p)) for p in paths or ()), json.dumps(params or {}, sort_keys=True, default=str))
    program = _programs.get(key)
    if program is None:
        program = _programs[key] = ev.load_program(paths, dict(params) if params else None)
    return program


def rule_run(program, result) -> RuleRun:
    """A run's findings with the program's rules described as the reports show them."""
    from .lang.evaluate import builtin_rules_dir
    builtin = builtin_rules_dir()
    rules = [RuleInfo.from_meta(m, builtin=_under(m.file, builtin)) for m in result.rules]
    return RuleRun(list(result.findings), rules, list(result.packs), dict(result.data_classes))


def lang_evaluator(snapshot: Snapshot, rule_files: list[str], params: Mapping[str, Any], *, engine=None,
                   graph=None) -> RuleRun:
    """The rule language's evaluator: the built-in packs plus ``rule_files``."""
    from .lang import evaluate as ev
    program = compiled_rules(rule_files, params)
    return rule_run(program, ev.run_rules(program, snapshot, engine=engine, graph=graph))


def _version(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _under(path: str | None, directory: str) -> bool:
    """Whether a rule's file is a built-in pack: the evaluator shows those as ``s3audit/rules/...``."""
    if not path:
        return False
    if path.replace("\\", "/").startswith("s3audit/rules/"):
        return True
    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(directory)]) == os.path.abspath(directory)
    except ValueError:
        return False


_evaluator: Evaluator = lang_evaluator


def set_evaluator(evaluator: Evaluator | None) -> None:
    """Replace the rule evaluator (tests drive the pipeline with hand-made findings); None restores it."""
    global _evaluator
    _evaluator = evaluator or lang_evaluator


def run_rules(snapshot: Snapshot, rule_files: Iterable[str] = (), params: Mapping[str, Any] | None = None, *,
              engine=None, graph=None) -> RuleRun:
    """The rules' findings, plus one INPUT-not-read finding per input the snapshot's producer could not read."""
    return with_unread(_evaluator(snapshot, list(rule_files), dict(params or {}), engine=engine, graph=graph),
                       snapshot)


def with_unread(run: RuleRun, snapshot: Snapshot) -> RuleRun:
    """A run with one INPUT-not-read finding per input the snapshot's producer could not read."""
    unread = unread_findings(snapshot)
    if unread:
        run = RuleRun([*run.findings, *unread], [*run.rules, UNREAD_RULE], run.packs)
    return run


@dataclass
class Evaluation:
    findings: list[Finding]
    rules: list[RuleInfo]
    packs: list[tuple[str, str]]
    waivers: list[WaiverOutcome] = field(default_factory=list)
    # `data-class` tag values the profile's packs care about (their *_data_classes parameters): the
    # report's pictures of paths show the buckets of these classes (with the profile's `sensitive` added)
    data_classes: frozenset = frozenset()


def evaluate(snapshot: Snapshot, profile: Profile, *, rule_files: Iterable[str] = (), today: _dt.date,
             subjects: SubjectIndex | None = None, engine=None, graph=None) -> Evaluation:
    """Run the rules and apply the profile: the findings of one snapshot as the profile sees them."""
    profile.check_rule_files()
    try:
        run = run_rules(snapshot, [*profile.rule_files, *rule_files], profile.params, engine=engine, graph=graph)
    except RuleError as exc:
        raise _in_profile(exc, profile) from None
    return apply_profile(run, profile, snapshot, today=today, subjects=subjects)


_PARAMETER = re.compile(r"the profile sets `([^`]*)`|parameter `([^`]*)` is declared as .* but the profile gives")


def _in_profile(error: RuleError, profile: Profile) -> S3AuditError:
    """A parameter value the rules refuse is the profile's error: placed at its line there."""
    said = [(d.message, d.hint) for d in getattr(error, "diagnostics", ())] or [(error.message, None)]
    for message, hint in said:
        m = _PARAMETER.match(message)
        if m:
            name = m.group(1) or m.group(2)
            pointer = pointer_join("/params", name) + ("#key" if m.group(1) else "")
            more = f"; {hint}" if hint else ""
            return ProfileError(f"{message}{more}", profile.places.get(pointer) or Place(profile.file))
    return error


def apply_profile(run: RuleRun, profile: Profile, snapshot: Snapshot | None, *, today: _dt.date,
                  subjects: SubjectIndex | None = None) -> Evaluation:
    profile.check_packs(r.pack for r in run.rules if r.builtin)
    subjects = subjects or SubjectIndex(snapshot)
    # an unread input is never deselected by a choice of packs (only a waiver answers it)
    selected = [r for r in run.rules if r.pack == INPUTS_PACK or profile.selects(r.id, r.pack, r.builtin)]
    selected = [replace(r, severity=profile.severity_of(r.id, r.severity)) for r in selected]
    left_out = {r.id for r in run.rules} - {r.id for r in selected}  # rules the profile does not select
    # Each step goes over the findings only when it can change something (a night's hundreds of thousands of
    # findings, most often under a profile that selects every pack, overrides no severity and has no scope).
    # What the profile says of a rule is asked once per rule.
    findings = run.findings
    if left_out:
        findings = [f for f in findings if f.rule not in left_out]
    overrides = {rule: severity for rule in set(map(_RULE, findings))
                 if (severity := profile.severity_of(rule, None)) is not None}
    if overrides:
        findings = [_at_severity(f, overrides.get(f.rule, f.severity)) for f in findings]
    if not profile.scope.empty:
        findings = [f for f in findings if profile.in_scope(f, subjects)]
    findings, outcomes = apply_waivers(findings, profile.waivers, today, subjects)
    packs_used = {r.pack for r in selected}
    packs = [(n, v) for n, v in run.packs if n in packs_used]
    classes = frozenset(c for n, values in run.data_classes.items() if n in packs_used for c in values)
    return Evaluation(findings, selected, packs, outcomes, classes)


_RULE = operator.attrgetter("rule")


def _at_severity(f: Finding, severity) -> Finding:
    """The finding at this severity: itself when it has it already (with what it keeps beside its fields, e.g.
    its text)."""
    return f if severity == f.severity else replace(f, severity=severity)


# ---- IaC read on its own ----

def set_by_the_input(findings: Iterable[Finding], snapshot: Snapshot,
                     subjects: SubjectIndex | None = None) -> tuple[list[Finding], list[Finding]]:
    """(findings kept, findings left out) of a change read without the live estate, after ``locate``.

    Such a check judges only what the files can set. What no input sets is unknown in the snapshot (the
    account's Block Public Access, the settings of a bucket the change only names: see
    sources.builder.unknown_where_undeclared). A finding that is unknown, whose subject the change does not
    declare, and that no statement of the change leaves unknown (a flagged statement, whose reason carries its
    pointer) is about exactly that: it is left out (the caller says how many). Open findings are kept, and so
    is every finding on what the change declares: every kept finding carries a file and line."""
    subjects = subjects or SubjectIndex(snapshot)
    kept, left = [], []
    for f in findings:
        undeclared = f.status is Status.UNKNOWN and (
            f.location is None or subjects.pointer_of(f.subject) not in snapshot.locations)
        (left if undeclared and not _flagged_by_the_input(f.evidence) else kept).append(f)
    return kept, left


def _flagged_by_the_input(evidence: Any) -> bool:
    """Whether a decision in the evidence is unknown because of a statement the input holds (its reason has a
    pointer: a statement flagged in ``unknown_statements``)."""
    if isinstance(evidence, dict):
        if evidence.get("effect") == "Unknown" and evidence.get("pointer"):
            return True
        return any(_flagged_by_the_input(v) for v in evidence.values() if isinstance(v, (dict, list, tuple)))
    if isinstance(evidence, (list, tuple)):
        return any(_flagged_by_the_input(v) for v in evidence)
    return False


# ---- placing findings on file lines ----

def locate(findings: Iterable[Finding], snapshot: Snapshot, subjects: SubjectIndex | None = None, *,
           locations: Mapping[str, Mapping] | None = None,
           fallback: Callable[[Finding], Mapping | None] | None = None, inside: bool = False) -> list[Finding]:
    """Give each finding without a location the file position of what it is about (IaC inputs only).

    ``locations`` stands in for the snapshot's own map (a finding an overlay fixes is placed on the live
    snapshot, with the change's positions carried over to it); ``fallback`` places a finding nothing in
    the map explains (the destroyed resource it is about); with ``inside`` (an overlay, where every
    reported finding is one the change made or removed), the last resort is a position the change records
    inside the finding's object (a live bucket whose policy alone the change sets)."""
    locations = snapshot.locations if locations is None else locations
    if not locations and fallback is None:
        return list(findings)
    subjects = subjects or SubjectIndex(snapshot)
    changed = {p: loc for p, loc in locations.items() if not loc.get("restated")}
    out = []
    for f in findings:
        if f.location is None:
            where = _find_location(f, changed, subjects)
            if where is None and fallback is not None:
                where = fallback(f)
            if where is None and inside:
                where = _inside(changed, f.pointer or subjects.pointer_of(f.subject))
            if where is None and len(changed) < len(locations):
                where = _find_location(f, locations, subjects)  # what the input only restates (a no-op entry)
            if where is not None:
                f = replace(f, location=Location(where["file"], where.get("line"), where.get("column")))
        out.append(f)
    return out


def _exact(locations: Mapping[str, Mapping], pointer: str | None) -> Mapping | None:
    """The position of a pointer or of an enclosing object, but never of a whole account or the root."""
    if not pointer:
        return None
    p = pointer
    while p and p.count("/") > 2:
        if p in locations:
            return locations[p]
        p = p.rsplit("/", 1)[0]
    return None


def _inside(locations: Mapping[str, Mapping], pointer: str | None) -> Mapping | None:
    """The first position the change records inside an object (a bucket whose policy alone it sets)."""
    if not pointer or pointer.count("/") <= 2:
        return None
    prefix = pointer + "/"
    return next((loc for p, loc in locations.items() if p.startswith(prefix)), None)


def _find_location(f: Finding, locations: Mapping[str, Mapping], subjects: SubjectIndex) -> Mapping | None:
    if f.pointer:
        hit = _exact(locations, f.pointer)
        if hit:
            return hit
    for pointer, arn in _evidence_refs(f.evidence):
        hit = _exact(locations, pointer) if pointer else _exact(locations, subjects.pointer_of(arn))
        if hit:
            return hit
    subject = subjects.pointer_of(f.subject)
    # a finding about an account itself: where the change declares what it says of the account (its Block
    # Public Access), if it does
    return _exact(locations, subject) or (locations.get(subject) if subject and subject.count("/") == 2 else None)


def _evidence_refs(evidence: Any) -> Iterable[tuple[str | None, str | None]]:
    """(pointer, ARN) references in evidence, in order: hop by hop for a path (the pointers of what decided
    the hop, then the principal it reaches), so the first reference the change declares is what opens it."""
    if isinstance(evidence, dict):
        if isinstance(evidence.get("pointer"), str):
            yield evidence["pointer"], None
        for value in evidence.values():
            if isinstance(value, (dict, list, tuple)):
                yield from _evidence_refs(value)
        if isinstance(evidence.get("from"), str) and isinstance(evidence.get("to"), str):
            yield None, evidence["to"]
            yield None, evidence["from"]
    elif isinstance(evidence, (list, tuple)):
        for item in evidence:
            yield from _evidence_refs(item)


# ---- comparing findings ----

def introduced_and_fixed(before: Iterable[Finding], after: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
    """What ``after`` has that ``before`` did not, and what ``before`` had that is gone, by fingerprint.

    New too: a finding that was ``unknown`` before and is ``open`` now (the change made a possible problem
    certain), and one that was waived before and counts now (its waiver lapsed). A waiver neither
    introduces nor fixes anything."""
    introduced, resolved, _ = compare(before, after)
    return introduced, resolved


def new_and_unchanged(before: Mapping[str, Status], after: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
    """``after`` split, against the previous run's status of each fingerprint, into what is new (as
    ``introduced_and_fixed`` counts it) and what is not, each in ``after``'s order."""
    after = after if isinstance(after, list) else list(after)
    # decided at C speed over a night's hundreds of thousands of findings: (status before, status now) looked up
    # among the pairs that make a finding new
    is_new = list(map(_NEW_PAIRS.__contains__, zip(map(before.get, map(_FINGERPRINT, after)), map(_STATUS, after))))
    return list(itertools.compress(after, is_new)), list(itertools.compress(after, map(operator.not_, is_new)))


def _newly_counted(was: Status, now: Status) -> bool:
    if now is Status.WAIVED:
        return False
    return was is Status.WAIVED or (was is Status.UNKNOWN and now is Status.OPEN)


# (status before or None when there was no such finding, status now) of a finding that is new
_NEW_PAIRS = frozenset((was, now) for was in (None, *Status) for now in Status
                       if was is None or _newly_counted(was, now))
_FINGERPRINT, _STATUS = operator.attrgetter("fingerprint"), operator.attrgetter("status")


def compare(old: Iterable[Finding], new: Iterable[Finding]) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """(new, resolved, unchanged) between two runs, by fingerprint, as ``introduced_and_fixed`` counts them (new
    and unchanged in ``new``'s order)."""
    old, new = list(old), list(new)
    introduced, unchanged = new_and_unchanged({f.fingerprint: f.status for f in old}, new)
    now = {f.fingerprint for f in new}
    return introduced, [f for f in old if f.fingerprint not in now], unchanged


def apply_baseline(findings: Iterable[Finding], known: Mapping[str, Status] | set[str]) -> tuple[list[Finding], int]:
    """The findings a baseline (fingerprint -> status) does not already have, or has but did not count
    (waived, or unknown and now open); and how many were left out."""
    if not isinstance(known, Mapping):
        known = {fp: Status.OPEN for fp in known}
    kept, dropped = [], 0
    for f in findings:
        if f.fingerprint in known and not _newly_counted(known[f.fingerprint], f.status):
            dropped += 1
        else:
            kept.append(f)
    return kept, dropped


def counted(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status is not Status.WAIVED]
