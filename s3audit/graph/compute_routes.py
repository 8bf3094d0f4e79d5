"""``can-act-as`` edges through compute that already runs as a role: changing what it runs, or running one's
own code on it, needs no ``iam:PassRole`` (docs/snapshot-format.md, "Compute", says what the snapshot holds).

Each route is a set of requests on the compute resource itself, all decided by the engine (so SCPs, RCPs,
boundaries, explicit denies and residual conditions apply), and the edge leads to the role the resource runs
as, naming the route (``technique``), its actions and the resource (``resource``). The routes, with the public
catalogues they come from (Rhino Security Labs, "AWS IAM Privilege Escalation - Methods and Mitigation",
https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/; Bishop Fox, iam-vulnerable,
https://github.com/BishopFox/iam-vulnerable) and the AWS pages that say what each action does:

- ``lambda-update-code``: ``lambda:UpdateFunctionCode``; ``lambda-update-configuration``:
  ``lambda:UpdateFunctionConfiguration`` (a layer or a wrapper script runs first)
  (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html,
  https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html);
- ``glue-update-dev-endpoint``: ``glue:UpdateDevEndpoint`` adds an SSH key
  (https://docs.aws.amazon.com/glue/latest/webapi/API_UpdateDevEndpoint.html);
- ``cloudformation-update-stack``: ``cloudformation:UpdateStack``, or ``CreateChangeSet`` + ``ExecuteChangeSet``,
  on a stack with a service role: "If you don't specify a value, CloudFormation uses the role that was
  previously associated with the stack", and "uses this role even if the users don't have permission to pass
  it" (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html);
- ``codebuild-start-build``: ``codebuild:StartBuild`` (or ``StartBuildBatch``) with ``buildspecOverride``
  (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html);
- ``sagemaker-presigned-url``: ``sagemaker:CreatePresignedNotebookInstanceUrl`` opens the notebook's Jupyter
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreatePresignedNotebookInstanceUrl.html);
- ``ssm-send-command`` and ``ssm-start-session`` on an instance SSM manages (a command runs on the
  instance, with its instance profile's credentials; SendCommand is authorized on the instance and on the
  document, https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html,
  https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-restrict-access-quickstart.html);
- ``ec2-instance-connect``: ``ec2-instance-connect:SendSSHPublicKey``, then SSH; whether the network lets the
  caller reach the instance is not modelled, so the edge is conditional
  (https://docs.aws.amazon.com/ec2-instance-connect/latest/APIReference/API_SendSSHPublicKey.html);
- ``ec2-user-data``: ``ec2:ModifyInstanceAttribute`` (user data), ``StopInstances``, ``StartInstances``: the new
  user data runs at the next start (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html);
- ``ecs-run-task``: ``ecs:RunTask`` (or ``StartTask``) of an existing task definition, with a container
  override of its command; no ``iam:PassRole`` unless the task role is overridden
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html);
- ``ecs-execute-command``: ``ecs:ExecuteCommand`` into a service's task, with ``ecs:UpdateService`` first when
  the service does not have ECS Exec turned on
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html);
- ``states-update-state-machine``: ``states:UpdateStateMachine`` + ``states:StartExecution``: the new definition
  calls AWS APIs as the state machine's role
  (https://docs.aws.amazon.com/step-functions/latest/apireference/API_UpdateStateMachine.html).

Where the snapshot does not say which such resources an account has (a section not collected, a listing that
failed), a principal that can act on one of that kind gets a *conditional* edge to every role the kind's service
can assume, naming the assumption; likewise where a resource's role could not be read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..iam.decision import ALLOW, CONDITIONAL, Decision, Residual
from ..snapshot import compute as ck
from ..snapshot.model import UNKNOWN, Compute, Snapshot
from .edges import EdgeFacts, combine_all
from .kinds import CAN_ASSUME

if TYPE_CHECKING:
    from .escalation import _Escalations

_WITNESS = "s3audit-witness"
# SSM documents that run a shell on Linux or Windows instances (either runs the caller's code).
_SHELL_DOCUMENTS = ("AWS-RunShellScript", "AWS-RunPowerShellScript")
# Instance states in which nothing runs any more.
_GONE = frozenset({"terminated", "shutting-down"})


@dataclass(frozen=True)
class Route:
    technique: str
    kind: str
    alternatives: tuple[tuple[str, ...], ...]  # each: actions that together run code as the resource's role
    gate: Callable[[Compute], "tuple[bool, str | None]"] = lambda c: (True, None)
    # (action, compute) -> extra resources that the same request is authorized on (an SSM document)
    also_on: Callable[[str, Compute], tuple[str, ...]] = lambda action, c: ()
    note: str | None = None  # what the route needs that the snapshot cannot show: the edge is conditional


def _managed(c: Compute) -> tuple[bool, str | None]:
    """SSM reaches an instance whose agent registered; a node SSM lost contact with may come back."""
    managed = c.facts.get("managed")
    if managed is UNKNOWN:
        return True, f"SSM may manage {c.name}: {c.facts.get('managed_note')}"
    if not managed:
        return False, None
    ping = c.facts.get("ping")
    if ping and ping != "Online":
        return True, f"SSM last heard from {c.name}'s agent with PingStatus {ping}"
    return True, None


def _ssm_documents(action: str, c: Compute) -> tuple[str, ...]:
    if action != "ssm:SendCommand":
        return ()
    region = c.region if isinstance(c.region, str) else "us-east-1"
    return tuple(f"arn:aws:ssm:{region}::document/{d}" for d in _SHELL_DOCUMENTS)


def _exec_alternatives(c: Compute) -> tuple[tuple[str, ...], ...]:
    return (("ecs:ExecuteCommand",),) if c.facts.get("exec_enabled") else (("ecs:UpdateService", "ecs:ExecuteCommand"),)


ROUTES: tuple[Route, ...] = (
    Route("lambda-update-code", ck.FUNCTION, (("lambda:UpdateFunctionCode",),)),
    Route("lambda-update-configuration", ck.FUNCTION, (("lambda:UpdateFunctionConfiguration",),)),
    Route("glue-update-dev-endpoint", ck.DEV_ENDPOINT, (("glue:UpdateDevEndpoint",),)),
    Route("cloudformation-update-stack", ck.STACK,
          (("cloudformation:UpdateStack",), ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"))),
    Route("codebuild-start-build", ck.CODEBUILD_PROJECT, (("codebuild:StartBuild",), ("codebuild:StartBuildBatch",))),
    Route("sagemaker-presigned-url", ck.NOTEBOOK, (("sagemaker:CreatePresignedNotebookInstanceUrl",),)),
    Route("ssm-send-command", ck.INSTANCE, (("ssm:SendCommand",),), _managed, _ssm_documents),
    Route("ssm-start-session", ck.INSTANCE, (("ssm:StartSession",),), _managed),
    Route("ec2-instance-connect", ck.INSTANCE, (("ec2-instance-connect:SendSSHPublicKey",),),
          note="the caller can reach the instance over SSH (its network path and security groups are not "
               "modelled)"),
    Route("ec2-user-data", ck.INSTANCE, (("ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"),)),
    Route("ecs-run-task", ck.TASK_DEFINITION, (("ecs:RunTask",), ("ecs:StartTask",))),
    Route("ecs-execute-command", ck.ECS_SERVICE, (("ecs:UpdateService", "ecs:ExecuteCommand"),)),
    Route("states-update-state-machine", ck.STATE_MACHINE, (("states:UpdateStateMachine", "states:StartExecution"),)),
)
ROUTE_ACTIONS = frozenset(a.lower() for r in ROUTES for alt in r.alternatives for a in alt)
SERVICE_OF = {k.kind: k.service for k in ck.KINDS}
LABEL_OF = {k.kind: k.label for k in ck.KINDS}


def _resource_of(action: str, c: Compute) -> str:
    """What an action on compute ``c`` is authorized on: the resource itself, except for ECS Exec (a task of
    the service's cluster)."""
    if action == "ecs:ExecuteCommand":
        region = c.region if isinstance(c.region, str) else "us-east-1"
        return f"arn:aws:ecs:{region}:{c.account}:task/{c.facts.get('cluster_name', 'default')}/{_WITNESS}"
    return c.arn


def _in_region(arn: str, region: str) -> str:
    parts = arn.split(":", 4)
    return ":".join(parts[:3] + [region] + parts[4:]) if len(parts) == 5 and parts[3] else arn


def _best(decided: list[tuple[Decision, str]]) -> tuple[Decision, str]:
    """The first allowed of alternative requests, else the first possible, else the first."""
    return next((x for x in decided if x[0].decision == ALLOW), None) or \
        next((x for x in decided if x[0].possible), decided[0])


def _witness(kind: str, account: str) -> Compute:
    """A resource of ``kind`` in ``account`` that the snapshot does not list (the name is chosen here)."""
    k = ck.BY_KIND[kind]
    item = {"InstanceId": _WITNESS, "FunctionName": _WITNESS, "EndpointName": _WITNESS, "Name": _WITNESS,
            "NotebookInstanceName": _WITNESS, "name": _WITNESS, "StackName": _WITNESS, "family": _WITNESS,
            "revision": 1, "taskDefinitionArn": f"arn:aws:ecs:us-east-1:{account}:task-definition/{_WITNESS}:1",
            "serviceName": _WITNESS, "stateMachineArn": f"arn:aws:states:us-east-1:{account}:stateMachine:{_WITNESS}"}
    return Compute(kind, k.arn(item, "us-east-1", account), _WITNESS, account, "us-east-1", UNKNOWN, "",
                   {"managed": UNKNOWN, "managed_note": "", "cluster_name": "default", "exec_enabled": False})


class ComputeRoutes:
    """Adds the edges of ``ROUTES`` (see the module docstring) through an ``_Escalations``' helpers."""

    def __init__(self, esc: "_Escalations", snapshot: Snapshot):
        self.esc = esc
        self.p = esc.p
        self.g = esc.g
        self.snapshot = snapshot
        self._service_roles: dict[str, dict[str, list[str]]] = {}  # service -> account -> its roles
        self.best: dict[tuple[str, str, str], tuple[EdgeFacts, dict]] = {}

    def add_edges(self) -> None:
        for account in self.snapshot.accounts:
            for c in account.compute:
                for route in ROUTES:
                    if route.kind == c.kind:
                        self.known(route, c)
            for kind, why in account.compute_unknown.items():
                for route in ROUTES:
                    if route.kind == kind:
                        self.unlisted(route, account.id, why)
        for (n, role, technique), (facts, extra) in self.best.items():
            self.esc.add(n, role, technique, facts, **extra)

    # -- targets --
    def service_roles(self, account: str, service: str) -> list[str]:
        """The roles of ``account`` that ``service`` can assume (a can-assume edge from the service)."""
        by_account = self._service_roles.get(service)
        if by_account is None:
            # the service's edges, by account, once: not every role of the estate for each account
            assume = f"{CAN_ASSUME}:sts:AssumeRole"
            roles = self.p.roles
            by_account = self._service_roles[service] = {}
            for r, keys in (self.g[service].items() if service in self.g else ()):
                if assume in keys and r in roles:
                    by_account.setdefault(roles[r].account, []).append(r)
            for listed in by_account.values():
                listed.sort()
        return by_account.get(account, [])

    def targets(self, c: Compute) -> list[tuple[str, str | None]]:
        """(role, note) pairs: the role ``c`` runs as, or every role its service can assume when that is
        unknown (with why)."""
        if c.role is UNKNOWN:
            note = f"which role {LABEL_OF[c.kind]} {c.name} runs as is not known; it may be this one"
            return [(r, note) for r in self.service_roles(c.account, SERVICE_OF[c.kind])]
        if c.role is None or c.role not in self.g:
            return []
        return [(c.role, None)]

    # -- routes on listed compute --
    def known(self, route: Route, c: Compute) -> None:
        if c.kind == ck.INSTANCE and c.facts.get("state") in _GONE:
            return
        ok, gate_note = route.gate(c)
        if not ok:
            return
        targets = self.targets(c)
        if not targets:
            return
        alternatives = _exec_alternatives(c) if route.technique == "ecs-execute-command" else route.alternatives
        firsts = {alt[0] for alt in alternatives}
        callers: set[str] = set()
        for a in firsts:
            callers.update(self.p.query(a.lower(), c.account, _resource_of(a, c)))
        for n in sorted(callers):
            if n in self.esc.admins or self.g.nodes[n].get("account") != c.account:
                continue
            facts = self.decide(n, alternatives, c)
            if facts is None:
                continue
            region_note = (f"the region {LABEL_OF[c.kind]} {c.name} is created in is not known"
                           if c.region is UNKNOWN else None)
            notes = [x for x in (gate_note, route.note, region_note) if x]
            for role, target_note in targets:
                if role == n:
                    continue
                self.keep(n, role, route.technique, facts, notes + ([target_note] if target_note else []),
                          resource=c.arn)

    def decide(self, n: str, alternatives, c: Compute) -> EdgeFacts | None:
        """The best alternative (all allowed, else the first possible) as edge facts, or None."""
        best = None
        for actions in alternatives:
            facts = combine_all(r for a in actions for r in self.requests(n, a, c))
            if facts is None:
                continue
            if facts.decision == ALLOW:
                return facts
            best = best or facts
        return best

    def requests(self, n: str, action: str, c: Compute) -> list[tuple[str, Decision, str, None]]:
        """The decided requests one action on ``c`` takes: on the resource (in the best region it may be in,
        when its region is not known) and, for SendCommand, on the best of the shell documents."""
        decided = [(self.esc.decide(n, action, r), r) for r in self.resources(n, action, c)]
        d, resource = _best(decided)
        out = [(action, d, resource, None)]
        docs = _ssm_documents(action, c)
        if docs:
            d, doc = _best([(self.esc.decide(n, action, doc), doc) for doc in docs])
            out.append((action, d, doc, None))
        return out

    def resources(self, n: str, action: str, c: Compute) -> list[str]:
        """What an action on ``c`` is decided on: its resource; when the region it is in is not known (an IaC
        input without one), that resource in each region the caller's own statements for the action name."""
        resource = _resource_of(action, c)
        if c.region is not UNKNOWN:
            return [resource]
        regions = ["us-east-1"]
        found = self.esc.engine.identity_policies(n)
        for p in found[0] if found is not None else ():
            for s in p.statements:
                if s.effect == "Allow" and s.resources and s.actions.matches(action):
                    for pat in s.resources:
                        parts = pat.text.split(":")
                        if len(parts) > 3 and parts[3] and "*" not in parts[3] and "?" not in parts[3]:
                            regions.append(parts[3])
        return [_in_region(resource, r) for r in dict.fromkeys(regions)]

    # -- routes on compute the snapshot does not list --
    def unlisted(self, route: Route, account: str, why: str) -> None:
        roles = self.service_roles(account, SERVICE_OF[route.kind])
        if not roles:
            return
        witness = _witness(route.kind, account)
        note = f"{why}; a {LABEL_OF[route.kind]} there may run as this role"
        callers: set[str] = set()
        for alt in route.alternatives:
            idx = self.p.index.get((alt[0].lower(), account))
            if idx is not None:
                callers.update(idx.principals())
        for n in sorted(callers):
            if n in self.esc.admins or self.g.nodes[n].get("account") != account:
                continue
            facts = self.anywhere(n, route.alternatives)
            if facts is None:
                continue
            noted = _with_notes(facts, [note])  # one copy for every role (edge facts are not changed once kept)
            for role in roles:
                if role != n:
                    self.keep(n, role, route.technique, noted, [], resource=witness.arn)

    def anywhere(self, n: str, alternatives) -> EdgeFacts | None:
        best = None
        for actions in alternatives:
            decided = []
            for a in actions:
                hit = self.esc.anywhere(n, a)
                if hit is None:
                    break
                decided.append((a, hit[0], hit[1], None))
            else:
                facts = combine_all(decided)
                if facts is not None and (best is None or (facts.decision == ALLOW and best.decision != ALLOW)):
                    best = facts
        return best

    # -- one edge per (caller, role, route): the best resource --
    def keep(self, n: str, role: str, technique: str, facts: EdgeFacts, notes: list[str], **extra) -> None:
        if notes:
            facts = _with_notes(facts, notes)
        key = (n, role, technique)
        old = self.best.get(key)
        if old is None or (old[0].decision != ALLOW and facts.decision == ALLOW):
            self.best[key] = (facts, extra)


def _with_notes(facts: EdgeFacts, notes: list[str]) -> EdgeFacts:
    """A copy of ``facts`` made conditional on what the snapshot cannot show."""
    out = EdgeFacts(CONDITIONAL, set(facts.actions), list(facts.reasons), list(facts.conditions),
                    list(facts.assumptions), list(facts.requests))
    for note in notes:
        out.conditions.append(Residual("Allow", "the compute it acts through", "-", ({"note": note},)))
    return out

