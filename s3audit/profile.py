"""Audit profiles: which rules apply to what, with which parameters, when the run fails, and waivers.

A profile is a YAML file (``policies/*.yaml``) validated on load against ``schemas/profile.schema.json``;
every error names the file, line and column of the value at fault. Applying a profile to findings is pure:

1. rule selection (``packs``, ``rules.include``/``rules.exclude``) — rules from ``--rules`` files and
   ``rule_files`` always apply;
2. ``severity_overrides`` (rule id or glob -> severity);
3. ``scope``: ``accounts`` (the subject's account), ``buckets`` and ``tags`` (only for subjects that are
   a bucket, an object or an access point: a finding about a principal is in scope when its account is);
   a bucket whose tags could not be read stays in scope, since nothing proves it is out;
4. waivers: a waiver names a rule (id or glob), a resource (glob over the subject, or over a bucket's name
   or an account id), a reason, an owner and an expiry date (valid through that day). A matched finding
   becomes ``waived`` and stays in the report; an expired waiver waives nothing and is reported; a waiver
   that matches nothing is reported as stale.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable, Mapping

from . import packaged
from .errors import Place, ProfileError, pointer_join
from .findings import Finding, Severity, Status
from .iam.wildcard import glob
from .subjects import SubjectIndex
from .suggest import suggest


def _matches(value: str, pattern: str) -> bool:
    """A profile's glob (rule ids, accounts, buckets, tag values, waivers): `*` any run, `?` one character."""
    return glob(pattern).match(value)


PROFILE_NAMES = ("default", "fsbp", "cis", "pci", "gdpr", "governance", "hygiene")
NEVER = "never"  # fail_on value: no finding fails the run


@dataclass(frozen=True)
class Waiver:
    rule: str
    resource: str
    reason: str
    owner: str
    expires: _dt.date
    place: Place

    def matches(self, finding: Finding, short_names: Iterable[str] = ()) -> bool:
        if not _matches(finding.rule, self.rule):
            return False
        return any(_matches(name, self.resource) for name in (finding.subject, *short_names) if name)

    def expired(self, today: _dt.date) -> bool:
        return today > self.expires

    def to_json(self) -> dict:
        return {"rule": self.rule, "resource": self.resource, "reason": self.reason, "owner": self.owner,
                "expires": self.expires.isoformat(), "file": self.place.file, "line": self.place.line}


@dataclass(frozen=True)
class WaiverOutcome:
    """What became of one waiver in a run: ``active`` (waived something), ``expired`` or ``stale``."""

    waiver: Waiver
    status: str
    matched: tuple[str, ...] = ()  # fingerprints of the findings it matched (waived, or would have)

    def to_json(self) -> dict:
        out = self.waiver.to_json()
        out.update({"status": self.status, "matched": list(self.matched)})
        return out


@dataclass(frozen=True)
class Scope:
    accounts: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.accounts or self.buckets or self.tags)


@dataclass(frozen=True)
class Profile:
    name: str
    file: str | None = None
    description: str = ""
    packs: tuple[str, ...] | None = None  # None: every built-in pack
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rule_files: tuple[str, ...] = ()  # resolved against the profile's directory
    scope: Scope = Scope()
    params: Mapping[str, Any] = field(default_factory=dict)
    severity_overrides: tuple[tuple[str, Severity], ...] = ()
    fail_on: str | None = None  # a severity label, "never", or None (the caller's default)
    waivers: tuple[Waiver, ...] = ()
    sensitive: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # tag -> value globs (reports)
    assume: frozenset[str] = frozenset()  # conditions reports treat as met (``assume: {tls: true}``: "tls")
    places: Mapping[str, Place] = field(default_factory=dict, compare=False)  # pointer -> place, for errors

    def place(self, pointer: str) -> Place:
        return self.places.get(pointer) or Place(self.file)

    # ---- 1. rule selection ----
    def selects(self, rule_id: str, pack: str, builtin: bool) -> bool:
        if not builtin:
            return True
        if self.packs is not None and pack not in self.packs:
            return False
        if self.include and not any(_matches(rule_id, p) for p in self.include):
            return False
        return not any(_matches(rule_id, p) for p in self.exclude)

    def check_rule_files(self) -> None:
        """Every rule file the profile names is there (an error at the profile's line, not the rule file's)."""
        for i, path in enumerate(self.rule_files):
            if not os.path.isfile(path):
                raise ProfileError(f"rule file `{path}` does not exist", self.place(f"/rule_files/{i}"))

    def check_packs(self, known: Iterable[str]) -> None:
        """Every pack the profile names must exist; a typo would silently check nothing."""
        known = sorted(set(known))
        for i, pack in enumerate(self.packs or ()):
            if pack not in known:
                hint = suggest(pack, known)
                more = f"; did you mean `{hint}`?" if hint else f" (known packs: {', '.join(known) or 'none'})"
                raise ProfileError(f"unknown rule pack `{pack}`{more}", self.place(f"/packs/{i}"))

    # ---- 2. severity ----
    def severity_of(self, rule_id: str, default: Severity | None) -> Severity | None:
        """The severity the profile gives the rule's findings: ``default`` when it overrides none."""
        for pattern, sev in self.severity_overrides:  # the first matching entry wins
            if _matches(rule_id, pattern):
                return sev
        return default

    # ---- 3. scope ----
    def in_scope(self, finding: Finding, subjects: SubjectIndex) -> bool:
        s = self.scope
        if s.empty:
            return True
        subject = subjects.resolve(finding.subject)
        if s.accounts and subject.account is not None and not any(
                _matches(subject.account, p) for p in s.accounts):
            return False
        if subject.kind not in ("bucket", "access-point"):
            return True
        if s.buckets and not (subject.bucket and any(_matches(subject.bucket, p) for p in s.buckets)):
            return False
        if s.tags and subject.tags_known:
            for key, patterns in s.tags.items():
                value = subject.tags.get(key)
                if value is None or not any(_matches(value, p) for p in patterns):
                    return False
        return True

    def threshold(self, override: str | None = None, default: str = "high") -> Severity | None:
        """The severity at or above which open findings fail the run; None means never."""
        label = override or self.fail_on or default
        return None if label == NEVER else Severity.parse(label)


def apply_waivers(findings: Iterable[Finding], waivers: Iterable[Waiver], today: _dt.date,
                  subjects: SubjectIndex | None = None) -> tuple[list[Finding], list[WaiverOutcome]]:
    """Mark findings matched by an active waiver ``waived``; say what became of every waiver."""
    waivers = list(waivers)
    if not waivers:
        return list(findings), []
    matched: list[list[str]] = [[] for _ in waivers]
    # the waivers that name each rule (an estate's hundreds of thousands of findings are of a few hundred rules,
    # and a waiver names one rule or a few): a finding of a rule no waiver names is kept as it is
    naming: dict[str, list[int]] = {}
    out: list[Finding] = []
    for f in findings:
        candidates = naming.get(f.rule)
        if candidates is None:
            candidates = naming[f.rule] = [i for i, w in enumerate(waivers) if _matches(f.rule, w.rule)]
        if not candidates:
            out.append(f)
            continue
        short = _short_names(f, subjects)
        hit = None
        for i in candidates:
            w = waivers[i]
            if w.matches(f, short):
                matched[i].append(f.fingerprint)
                if hit is None and not w.expired(today):
                    hit = w
        if hit is not None and f.status is not Status.WAIVED:
            f = replace(f, status=Status.WAIVED, waiver=hit.to_json())
        out.append(f)
    outcomes = []
    for w, fps in zip(waivers, matched):
        status = "expired" if w.expired(today) else ("active" if fps else "stale")
        outcomes.append(WaiverOutcome(w, status, tuple(fps)))
    return out, outcomes


def _short_names(f: Finding, subjects: SubjectIndex | None) -> tuple[str, ...]:
    if subjects is None:
        return ()
    s = subjects.resolve(f.subject)
    return tuple(x for x in (s.bucket if s.kind == "bucket" else None, s.account if s.kind == "account" else None)
                 if x)


# ---- loading ----

@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(packaged.read_text("schemas", "profile.schema.json"))


def builtin_profiles_dir() -> str:
    return packaged.path("profiles")


def resolve_profile_path(spec: str) -> str:
    """A path to a profile file, or the name of a built-in profile (``default``, ``pci`` ...)."""
    if os.path.exists(spec) or os.sep in spec or "/" in spec or spec.endswith((".yaml", ".yml")):
        return spec
    path = os.path.join(builtin_profiles_dir(), f"{spec}.yaml")
    if os.path.exists(path):
        return path
    names = sorted(n[:-5] for n in os.listdir(builtin_profiles_dir()) if n.endswith(".yaml"))
    hint = suggest(spec, names)
    more = f"; did you mean `{hint}`?" if hint else f" (built-in profiles: {', '.join(names)})"
    raise ProfileError(f"no profile file or built-in profile named `{spec}`{more}")


def load_profile(spec: str) -> Profile:
    """Read, validate and build the profile at ``spec`` (a path or a built-in name)."""
    from .fileio import read_text
    path = resolve_profile_path(spec)
    return parse_profile(read_text(path), path)


def parse_profile(text: str, file: str) -> Profile:
    data, places = _shipped_parse(text, file) or load_yaml_with_places(text, file)
    if data is None:
        raise ProfileError("the profile is empty (expected a mapping with at least `profile`)", Place(file, 1, 1))
    _validate_once(text, data, places, file)

    def where(pointer: str) -> Place:
        return places.get(pointer) or Place(file)

    waivers = []
    for i, w in enumerate(data.get("waivers") or []):
        ptr = f"/waivers/{i}/expires"
        waivers.append(Waiver(w["rule"], w["resource"], w["reason"], w["owner"],
                              _parse_date(w["expires"], where(ptr)), where(f"/waivers/{i}")))
    rule_files = _rule_files(data.get("rule_files") or (), file, where)
    scope = data.get("scope") or {}
    tags = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in (scope.get("tags") or {}).items()}
    base = os.path.dirname(file)
    rules = data.get("rules") or {}
    return Profile(
        name=data["profile"], file=file, description=data.get("description", ""),
        packs=tuple(data["packs"]) if "packs" in data else None,
        include=tuple(rules.get("include") or ()), exclude=tuple(rules.get("exclude") or ()),
        rule_files=rule_files,
        scope=Scope(tuple(scope.get("accounts") or ()), tuple(scope.get("buckets") or ()), tags),
        params=dict(data.get("params") or {}),
        severity_overrides=tuple((k, Severity.parse(v)) for k, v in (data.get("severity_overrides") or {}).items()),
        fail_on=data.get("fail_on"), waivers=tuple(waivers),
        sensitive={k: tuple(v) for k, v in (data.get("sensitive") or {}).items()},
        assume=frozenset(k for k, v in (data.get("assume") or {}).items() if v is True), places=places)


def _rule_files(names, file: str, where) -> tuple[str, ...]:
    """The profile's ``rule_files``, resolved against its folder. A profile may come with the repository being
    checked, so it can name only rule files (``.s3r``, also after following links) inside its own folder or
    the built-in packs: never any other file, whose content an error message would otherwise quote."""
    from .lang.load import RULE_SUFFIX
    base = os.path.dirname(file)
    roots = [os.path.realpath(base or "."), os.path.realpath(packaged.path("rules"))]
    out = []
    for i, name in enumerate(names):
        path = os.path.join(base, name)
        real = os.path.realpath(path)
        if not name.endswith(RULE_SUFFIX):
            raise ProfileError(f"`{name}` is not a rule file (rule files end in `{RULE_SUFFIX}`)",
                               where(f"/rule_files/{i}"))
        if not real.endswith(RULE_SUFFIX):
            raise ProfileError(f"`{name}` links to a file that is not a rule file", where(f"/rule_files/{i}"))
        if not any(os.path.commonpath([real, root]) == root for root in roots):
            raise ProfileError(f"rule file `{name}` is outside the profile's folder and the built-in packs",
                               where(f"/rule_files/{i}"))
        out.append(path)
    return tuple(out)


def _parse_date(text: str, place: Place) -> _dt.date:
    try:
        if len(text) != 10:
            raise ValueError
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ProfileError(f"waiver expiry `{text}` is not a date (expected YYYY-MM-DD, for example 2027-01-31)",
                           place) from None


def _validate_once(text: str, data: Any, places: Mapping[str, Place], file: str) -> None:
    """``_validate``, skipped when this exact text passed against this schema before (jsonschema's import
    alone is a tenth of a pre-merge check); only successes are remembered, so errors are always reported."""
    from . import __version__
    from .cache import key, known_valid, remember_valid
    digest = key(__version__, json.dumps(schema(), sort_keys=True), text)
    if known_valid("profile", digest):
        return
    _validate(data, places, file)
    remember_valid("profile", digest)


def _validate(data: Any, places: Mapping[str, Place], file: str) -> None:
    import jsonschema
    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(data))
    if not errors:
        return

    def order(e):
        p = places.get(pointer_join("", *e.absolute_path))
        return (p.line or 0, p.column or 0) if p else (0, 0)

    first = min(errors, key=order)
    pointer = pointer_join("", *first.absolute_path)
    message, key_pointer = _describe(first, pointer)
    raise ProfileError(message, places.get(key_pointer or pointer) or Place(file))


def _where(pointer: str) -> str:
    return f"`{pointer[1:]}`" if pointer else "the top level"


def _describe(e, pointer: str) -> tuple[str, str | None]:
    """One sentence for a schema error, and (for unknown keys) the pointer of the key itself."""
    v = e.validator
    if v == "additionalProperties" and isinstance(e.instance, dict):
        allowed = sorted(e.schema.get("properties", {}))
        extra = [k for k in e.instance if k not in allowed]
        if extra and allowed:
            hint = suggest(extra[0], allowed)
            more = f"; did you mean `{hint}`?" if hint else f" (expected {', '.join(allowed)})"
            return f"unknown key `{extra[0]}` at {_where(pointer)}{more}", pointer_join(pointer, extra[0]) + "#key"
        if extra:
            return f"unexpected value for `{extra[0]}`", pointer_join(pointer, extra[0])
    if v == "required":
        missing = [k for k in e.validator_value if k not in e.instance]
        what = "a waiver" if pointer.startswith("/waivers/") else _where(pointer)
        return f"{what} is missing `{missing[0]}`", None
    if v == "type":
        expected = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "a whole number",
                    "number": "a number", "boolean": "true or false"}
        want = e.validator_value if isinstance(e.validator_value, str) else e.validator_value[0]
        return f"expected {expected.get(want, want)} at {_where(pointer)}, found {_kind(e.instance)}", None
    if v == "enum":
        return (f"`{e.instance}` is not allowed at {_where(pointer)} "
                f"(expected one of {', '.join(map(str, e.validator_value))})"), None
    if v == "minLength":
        return f"{_where(pointer)} must not be empty", None
    if v == "uniqueItems":
        return f"{_where(pointer)} lists the same value twice", None
    if v in ("anyOf", "oneOf"):
        return f"expected a string or a list of strings at {_where(pointer)}, found {_kind(e.instance)}", None
    if v == "minItems":
        return f"{_where(pointer)} must not be an empty list", None
    return f"invalid value at {_where(pointer)}: {e.message}", None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return f"the number `{value}`"
    if isinstance(value, str):
        return f"the string `{value}`"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _shipped_parse(text: str, file: str) -> tuple[Any, dict[str, Place]] | None:
    """``load_yaml_with_places(text, file)`` without PyYAML when ``text`` is a built-in profile's: its values and
    places as ``profiles/build_parsed.py`` recorded them from that very text (matched by digest); else None."""
    import copy
    import hashlib
    entry = _shipped_parses().get(hashlib.sha256(text.encode("utf-8")).hexdigest())
    if entry is None:
        return None
    places = {p: Place(file, line, column) for p, (line, column) in entry["places"].items()}
    return copy.deepcopy(entry["data"]), places  # a copy: the caller's to keep


@lru_cache(maxsize=1)
def _shipped_parses() -> dict[str, dict]:
    """The built-in profiles' parsed forms by the SHA-256 of their text (an empty index when the file is missing)."""
    try:
        shipped = json.loads(packaged.read_text("profiles", "parsed.json"))
    except (OSError, ValueError):
        return {}
    return {entry["sha256"]: entry for entry in shipped.values()}


# ---- YAML with positions ----

def load_yaml_with_places(text: str, file: str) -> tuple[Any, dict[str, Place]]:
    """Parse YAML into plain values and a map JSON pointer -> Place of each value (``pointer#key`` for a
    mapping key). Timestamps stay the text they were written as (the profile parses dates itself, so a
    bad date is reported at its line rather than lost in a YAML error); duplicate keys are errors."""
    import yaml

    from .yamlio import compose
    node = compose(text, file, ProfileError)  # bounded: no alias bomb, no value that contains itself
    places: dict[str, Place] = {}
    if node is None:
        return None, places
    constructor = yaml.constructor.SafeConstructor()

    def build(n, pointer: str) -> Any:
        places[pointer] = Place(file, n.start_mark.line + 1, n.start_mark.column + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[str, Any] = {}
            for k, v in n.value:
                if not isinstance(k, yaml.ScalarNode):
                    raise ProfileError("a mapping key must be a plain value",
                                       Place(file, k.start_mark.line + 1, k.start_mark.column + 1))
                key = k.value
                if key in out:
                    raise ProfileError(f"key `{key}` appears twice in this mapping",
                                       Place(file, k.start_mark.line + 1, k.start_mark.column + 1))
                child = pointer_join(pointer, key)
                places[child + "#key"] = Place(file, k.start_mark.line + 1, k.start_mark.column + 1)
                out[key] = build(v, child)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(v, pointer_join(pointer, i)) for i, v in enumerate(n.value)]
        if n.tag == "tag:yaml.org,2002:timestamp":
            return n.value
        try:
            return constructor.construct_object(n, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            from .schemas.validate import short
            raise ProfileError(f"invalid value `{short(n.value)}`: {getattr(exc, 'problem', None) or exc}",
                               places[pointer]) from None

    return build(node, ""), places
