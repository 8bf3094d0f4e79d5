"""Names in a request that nothing knows: typos are errors, with a suggestion.

A question about a principal, action or bucket that does not exist must not be answered as if it did. What
the snapshot can vouch for is checked:

- a user, role or group of an account whose IAM the snapshot holds in full (no collection error) must be in
  it; a principal of an account outside the snapshot stays an open question, answered with an assumption;
- an action must be one an AWS service documents (the Service Authorization Reference, ``actions.py``);
- a bucket that is not in the snapshot but is spelled almost like one that is, is taken for a typo (a bucket
  unlike any other may belong to an account outside the snapshot, and is answered with an assumption);
- a context key that requests for the action never carry (``s3:prefix`` on ``s3:GetObject``) is ignored by the
  engine, and said so (``ignored_context``) rather than dropped in silence.

Each check returns the sentence of the problem, or None.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from ..suggest import did_you_mean, suggest
from .actions import universe

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

# A bucket name this close to a known one (difflib's ratio) is taken for a typo of it.
BUCKET_TYPO_CUTOFF = 0.8


def principal_problem(engine: "Engine", principal: str) -> str | None:
    caller = engine.caller(principal)
    if caller.kind == "unknown" and not caller.account:
        return caller.note or f"`{principal}` is not a principal"
    account = engine.index.accounts.get(caller.account or "")
    if account is None or not account.iam_known:
        return None  # outside the snapshot, or its IAM only partly known: answered with an assumption
    if caller.kind in ("user", "role", "group") and caller.entity is None:
        name = (caller.arn or caller.text).split(":", 5)[-1]
        options = {x.arn.split(":", 5)[-1]: x.arn for x in (*account.users, *account.roles, *account.groups)}
        best = suggest(name, options)
        hint = ""
        if best is not None:
            meant = options[best]
            if caller.session_arn and best.startswith("role/"):  # keep the session's name
                head, _, rest = caller.session_arn.partition(":assumed-role/")
                meant = f"{head}:assumed-role/{best[len('role/'):]}/{rest.partition('/')[2]}"
            hint = f"; did you mean `{meant}`?"
        return (f"{caller.kind} `{caller.session_arn or caller.arn}` is not in account {account.id}, whose IAM "
                f"the snapshot holds in full{hint}")
    if caller.kind == "unknown":
        return caller.note
    return None


def action_problem(action: str) -> str | None:
    u = universe()
    action = action.strip()  # as the engine reads it
    if u.known(action):
        return None
    if any(c in action for c in "*?"):
        return f"`{action}` is a pattern; a request names one action, such as s3:GetObject"
    service, _, name = action.partition(":")
    if service.lower() not in u.services():
        fixed = suggest(service.lower(), u.services(), prefixes=False)
        meant = u.get(f"{fixed}:{name}") if fixed else None
        hint = f"; did you mean `{meant.name}`?" if meant else (f"; did you mean `{fixed}`?" if fixed else "")
        return f"no AWS service has the action prefix `{service}`{hint}"
    names = [u.get(a).name for a in u.service_actions(service)]
    return f"`{action}` is not an action AWS documents for {service.lower()}{did_you_mean(action, names, prefixes=False)}"


def resource_problem(engine: "Engine", resource: str) -> str | None:
    target = engine.target(resource)
    if target.other is not None or target.note is None:
        return None
    if target.access_point is None and target.bucket is None and target.bucket_name is not None:
        name = target.bucket_name
        hint = did_you_mean(name, (b.name for b in engine.snapshot.buckets), cutoff=BUCKET_TYPO_CUTOFF,
                            prefixes=False)
        return f"bucket `{name}` is not in the snapshot{hint}" if hint else None
    if target.access_point is None and ":accesspoint/" in resource:
        account = engine.index.accounts.get(target.owner or "")
        if account is not None and account.s3_known:
            name = resource.split(":accesspoint/", 1)[1].split("/", 1)[0]
            hint = did_you_mean(name, [ap.name for ap in account.access_points], prefixes=False)
            return f"access point `{name}` is not in account {account.id}, whose S3 the snapshot holds{hint}"
    return None


def ignored_context(engine: "Engine", action: str, context: Mapping[str, Any]) -> tuple[str, ...]:
    """Notes for the context keys that requests for ``action`` never carry (the engine treats them as absent,
    whatever the request says)."""
    if not context:
        return ()
    never = engine.keys_never_carried(action)
    if not never:
        return ()
    shown = universe().get(action)
    name = shown.name if shown is not None else action
    return tuple(f"ignored: {name} requests never carry {key}" for key in context if key.lower() in never)
