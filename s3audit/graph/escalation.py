"""``can-act-as`` edges: ways a principal can obtain another principal's permissions (privilege escalation).

Each technique is a set of requests that must all be allowed; the engine decides every one of them, so
SCPs, RCPs, boundaries, explicit denies and residual conditions apply, and the edge names the actions that
make it possible. The catalogue follows the public ones (Rhino Security Labs, "AWS IAM Privilege Escalation -
Methods and Mitigation", https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/;
Bishop Fox, iam-vulnerable, https://github.com/BishopFox/iam-vulnerable); tests/graph/catalogue.py holds one
estate per technique with its negative twins.

- ``pass-role:SERVICE``: ``iam:PassRole`` on a role that SERVICE may assume (its trust policy), with
  ``iam:PassedToService`` set, together with the right to create or update a compute or job resource of
  that service which then runs with the role (``PASS_ROLE_SERVICES``: Lambda, EC2 instance profiles and
  what launches instances, Glue, ECS tasks, CloudFormation, SageMaker, Data Pipeline, CodeBuild, Step
  Functions, App Runner) (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html);
- through compute that already runs as a role, with no ``iam:PassRole`` (``compute_routes.py``);
- ``credentials``: ``iam:CreateAccessKey`` on another user, ``iam:CreateLoginProfile`` on one without a console
  password, ``iam:UpdateLoginProfile`` on one with a password (the credential report says which; unknown:
  either);
- ``trust-policy``: ``iam:UpdateAssumeRolePolicy`` on a role, which lets the caller trust itself;
- ``self-grant``: ``iam:Put*Policy`` / ``iam:Attach*Policy`` on itself or a group it belongs to, or
  ``iam:CreatePolicyVersion`` on a customer managed policy attached to it, or ``iam:SetDefaultPolicyVersion``
  when another version of it grants more (``policy_versions.py``): the principal can give itself any
  permission of its account, so the edge leads to the account's root node. A permissions boundary caps what
  it gives itself: no edge when the boundary allows nothing that reaches data or another principal
  (``reach.py``), a conditional one otherwise, unless it can take the boundary away;
- ``join-group``: ``iam:AddUserToGroup`` putting itself into another group (edge to the group);
- ``modify-and-become``: changing the policies of a user or role (``Put*``/``Attach*``/``CreatePolicyVersion``
  ...) that the principal can already assume or act as: the edge leads to the account's root node.

Resources the caller creates (a Lambda function, an EC2 instance) have names it chooses: each such action
is decided on a representative ARN of the caller's account and on one ARN per Resource pattern of the
caller's own Allow statements, and the most permissive answer counts.
"""
from __future__ import annotations

import re

from ..iam.decision import ALLOW, CONDITIONAL, Decision, Request, Residual
from ..iam.engine import Engine
from ..snapshot.model import IAC_KINDS, UNKNOWN, Snapshot
from .compute_routes import ROUTE_ACTIONS, ComputeRoutes
from .edges import EdgeFacts, combine_all
from .kinds import CAN_ACT_AS, CAN_ASSUME, GROUP, MEMBER_OF, ROLE, USER
from .policy_versions import other_version_grants_more
from .principals import PrincipalGraph, root_arn
from .reach import boundary_allows_on, boundary_caps_reach

_WITNESS = "s3audit-witness"

# Service principal -> alternatives, each a tuple of actions that together run code as the passed role.
# ("profile" marks alternatives that need the role to be in an instance profile already.)
PASS_ROLE_SERVICES: dict[str, tuple[tuple[tuple[str, ...], bool], ...]] = {
    "lambda.amazonaws.com": (
        (("lambda:CreateFunction", "lambda:InvokeFunction"), False),
        (("lambda:CreateFunction", "lambda:CreateEventSourceMapping"), False),
        (("lambda:CreateFunction", "lambda:AddPermission"), False),  # invoked from anywhere the caller says
        (("lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionCode", "lambda:InvokeFunction"), False),
    ),
    "ec2.amazonaws.com": (
        (("ec2:RunInstances",), True),
        (("ec2:AssociateIamInstanceProfile",), True),
        (("ec2:ReplaceIamInstanceProfileAssociation",), True),
        (("ec2:RequestSpotInstances",), True),
        (("ec2:CreateLaunchTemplate", "autoscaling:CreateAutoScalingGroup"), True),
        (("autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup"), True),
        (("iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "ec2:RunInstances"), False),
    ),
    "glue.amazonaws.com": (
        (("glue:CreateDevEndpoint",), False),
        (("glue:CreateJob", "glue:StartJobRun"), False),
        (("glue:CreateJob", "glue:CreateTrigger"), False),
        (("glue:UpdateJob", "glue:StartJobRun"), False),
        (("glue:CreateSession", "glue:RunStatement"), False),
    ),
    "ecs-tasks.amazonaws.com": (
        (("ecs:RegisterTaskDefinition", "ecs:RunTask"), False),
        (("ecs:RegisterTaskDefinition", "ecs:StartTask"), False),
        (("ecs:RegisterTaskDefinition", "ecs:CreateService"), False),
        (("ecs:RegisterTaskDefinition", "ecs:UpdateService"), False),
    ),
    "cloudformation.amazonaws.com": (
        (("cloudformation:CreateStack",), False),
        (("cloudformation:UpdateStack",), False),
        (("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"), False),
    ),
    "sagemaker.amazonaws.com": (
        (("sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"), False),
        (("sagemaker:CreateTrainingJob",), False),
        (("sagemaker:CreateProcessingJob",), False),
        (("sagemaker:CreateHyperParameterTuningJob",), False),
    ),
    "datapipeline.amazonaws.com": (
        (("datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"),
         False),
    ),
    "codebuild.amazonaws.com": (
        (("codebuild:CreateProject", "codebuild:StartBuild"), False),
        (("codebuild:CreateProject", "codebuild:StartBuildBatch"), False),
        (("codebuild:UpdateProject", "codebuild:StartBuild"), False),
    ),
    "states.amazonaws.com": (
        (("states:CreateStateMachine", "states:StartExecution"), False),
        (("states:CreateStateMachine", "states:StartSyncExecution"), False),
        (("states:UpdateStateMachine", "states:StartExecution"), False),
    ),
    "tasks.apprunner.amazonaws.com": (
        (("apprunner:CreateService",), False),
    ),
}

# A representative ARN for what each action creates or acts on ({a}: the caller's account).
_TEMPLATES = {
    "lambda": "arn:aws:lambda:us-east-1:{a}:function:" + _WITNESS,
    "ec2": "arn:aws:ec2:us-east-1:{a}:instance/" + _WITNESS,
    "ec2:createlaunchtemplate": "arn:aws:ec2:us-east-1:{a}:launch-template/" + _WITNESS,
    "ec2-instance-connect": "arn:aws:ec2:us-east-1:{a}:instance/" + _WITNESS,
    "ssm": "arn:aws:ec2:us-east-1:{a}:instance/" + _WITNESS,
    "autoscaling": "arn:aws:autoscaling:us-east-1:{a}:autoScalingGroup:" + _WITNESS
                   + ":autoScalingGroupName/" + _WITNESS,
    "autoscaling:createlaunchconfiguration": "arn:aws:autoscaling:us-east-1:{a}:launchConfiguration:" + _WITNESS
                                             + ":launchConfigurationName/" + _WITNESS,
    "iam:createinstanceprofile": "arn:aws:iam::{a}:instance-profile/" + _WITNESS,
    "iam:addroletoinstanceprofile": "arn:aws:iam::{a}:instance-profile/" + _WITNESS,
    "glue:createdevendpoint": "arn:aws:glue:us-east-1:{a}:devEndpoint/" + _WITNESS,
    "glue:updatedevendpoint": "arn:aws:glue:us-east-1:{a}:devEndpoint/" + _WITNESS,
    "glue:createtrigger": "arn:aws:glue:us-east-1:{a}:trigger/" + _WITNESS,
    "glue:createsession": "arn:aws:glue:us-east-1:{a}:session/" + _WITNESS,
    "glue:runstatement": "arn:aws:glue:us-east-1:{a}:session/" + _WITNESS,
    "glue": "arn:aws:glue:us-east-1:{a}:job/" + _WITNESS,
    "ecs:createservice": "arn:aws:ecs:us-east-1:{a}:service/default/" + _WITNESS,
    "ecs:updateservice": "arn:aws:ecs:us-east-1:{a}:service/default/" + _WITNESS,
    "ecs:executecommand": "arn:aws:ecs:us-east-1:{a}:task/default/" + _WITNESS,
    "ecs": "arn:aws:ecs:us-east-1:{a}:task-definition/" + _WITNESS + ":1",
    "cloudformation": "arn:aws:cloudformation:us-east-1:{a}:stack/" + _WITNESS + "/1",
    "sagemaker:createnotebookinstance": "arn:aws:sagemaker:us-east-1:{a}:notebook-instance/" + _WITNESS,
    "sagemaker:createpresignednotebookinstanceurl": "arn:aws:sagemaker:us-east-1:{a}:notebook-instance/" + _WITNESS,
    "sagemaker:createtrainingjob": "arn:aws:sagemaker:us-east-1:{a}:training-job/" + _WITNESS,
    "sagemaker:createprocessingjob": "arn:aws:sagemaker:us-east-1:{a}:processing-job/" + _WITNESS,
    "sagemaker:createhyperparametertuningjob": "arn:aws:sagemaker:us-east-1:{a}:hyper-parameter-tuning-job/"
                                               + _WITNESS,
    "datapipeline": "arn:aws:datapipeline:us-east-1:{a}:pipeline/" + _WITNESS,
    "codebuild": "arn:aws:codebuild:us-east-1:{a}:project/" + _WITNESS,
    "states": "arn:aws:states:us-east-1:{a}:stateMachine:" + _WITNESS,
    "apprunner": "arn:aws:apprunner:us-east-1:{a}:service/" + _WITNESS + "/1",
}

PASS_ROLE = "iam:passrole"
CREDENTIALS = ("iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile")
USER_POLICY = ("iam:putuserpolicy", "iam:attachuserpolicy")
ROLE_POLICY = ("iam:putrolepolicy", "iam:attachrolepolicy")
GROUP_POLICY = ("iam:putgrouppolicy", "iam:attachgrouppolicy")
POLICY_VERSION = ("iam:createpolicyversion", "iam:setdefaultpolicyversion")
ADD_TO_GROUP = "iam:addusertogroup"
TRUST_REWRITE = "iam:updateassumerolepolicy"
# Taking away (or replacing) one's own permissions boundary: what it gives itself is then uncapped.
BOUNDARY_REMOVAL = {USER: ("iam:deleteuserpermissionsboundary", "iam:putuserpermissionsboundary"),
                    ROLE: ("iam:deleterolepermissionsboundary", "iam:putrolepermissionsboundary")}
# Actions on IAM and compute resources whose grants are indexed by resource (so candidates come only from grants).
INDEXED_ACTIONS = frozenset({PASS_ROLE, *CREDENTIALS, *USER_POLICY, *ROLE_POLICY, *GROUP_POLICY, *POLICY_VERSION,
                             ADD_TO_GROUP, TRUST_REWRITE, *BOUNDARY_REMOVAL[USER], *BOUNDARY_REMOVAL[ROLE],
                             *ROUTE_ACTIONS})

_CANONICAL = {
    "iam:passrole": "iam:PassRole", "iam:createaccesskey": "iam:CreateAccessKey",
    "iam:createloginprofile": "iam:CreateLoginProfile", "iam:updateloginprofile": "iam:UpdateLoginProfile",
    "iam:putuserpolicy": "iam:PutUserPolicy", "iam:attachuserpolicy": "iam:AttachUserPolicy",
    "iam:putrolepolicy": "iam:PutRolePolicy", "iam:attachrolepolicy": "iam:AttachRolePolicy",
    "iam:putgrouppolicy": "iam:PutGroupPolicy", "iam:attachgrouppolicy": "iam:AttachGroupPolicy",
    "iam:createpolicyversion": "iam:CreatePolicyVersion", "iam:setdefaultpolicyversion": "iam:SetDefaultPolicyVersion",
    "iam:addusertogroup": "iam:AddUserToGroup", "iam:updateassumerolepolicy": "iam:UpdateAssumeRolePolicy",
    "iam:deleteuserpermissionsboundary": "iam:DeleteUserPermissionsBoundary",
    "iam:putuserpermissionsboundary": "iam:PutUserPermissionsBoundary",
    "iam:deleterolepermissionsboundary": "iam:DeleteRolePermissionsBoundary",
    "iam:putrolepermissionsboundary": "iam:PutRolePermissionsBoundary",
}


def template_for(action: str, account: str) -> str:
    a = action.lower()
    t = _TEMPLATES.get(a) or _TEMPLATES.get(a.split(":", 1)[0])
    if t is None:
        return f"arn:aws:{a.split(':', 1)[0]}:us-east-1:{account}:{_WITNESS}"
    return t.format(a=account)


def fill(pattern: str, account: str) -> str | None:
    """A concrete ARN that a Resource pattern matches, choosing names where it has wildcards."""
    text = re.sub(r"\$\{[^}]*\}", _WITNESS, pattern)
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    parts[1] = "aws" if "*" in parts[1] or "?" in parts[1] else parts[1]
    if "*" in parts[3] or "?" in parts[3]:
        parts[3] = "us-east-1"
    if "*" in parts[4] or "?" in parts[4]:
        parts[4] = account
    parts[5] = parts[5].replace("*", _WITNESS).replace("?", "x")
    if "*" in parts[2] or "?" in parts[2]:
        return None
    return ":".join(parts)


class _Escalations:
    def __init__(self, p: PrincipalGraph, engine: Engine, snapshot: Snapshot):
        self.p = p
        self.engine = engine
        self.snapshot = snapshot
        self.g = p.g
        self.accounts = {a.id: a for a in snapshot.accounts}
        self._more: dict[str, bool] = {}
        self.admins: set[str] = set()  # principals that can grant themselves anything (no boundary)
        self._anywhere: dict[tuple[str, str], Decision | None] = {}
        self.managed_of: dict[str, list[str]] = {}
        for n, u in p.users.items():
            arns = list(u.attached)
            for gname in u.groups:
                gr = p.groups.get(f"arn:aws:iam::{u.account}:group/{gname}")
                if gr is not None:
                    arns.extend(gr.attached)
            self.managed_of[n] = [a for a in arns if a.split(":")[4] == u.account]
        for n, x in list(p.roles.items()) + list(p.groups.items()):
            self.managed_of[n] = [a for a in x.attached if a.split(":")[4] == x.account]

    # -- helpers --
    def caller(self, n: str) -> str:
        return self.g.nodes[n]["caller"]

    def may(self, n: str, action: str, target: str) -> bool:
        """Whether n has an indexed Allow grant for the action that could name the target."""
        return n in self.p.query(action, self.g.nodes[n]["account"], target)

    def decide(self, n: str, action: str, resource: str, context=None) -> Decision:
        return self.engine.decide_unplanned(Request(self.caller(n), _CANONICAL.get(action, action), resource, context or {}))

    def anywhere(self, n: str, action: str) -> tuple[Decision, str] | None:
        """The best (decision, resource) for an action on a resource the caller chooses (a new function,
        an instance ...)."""
        key = (n, action.lower())
        if key in self._anywhere:
            return self._anywhere[key]
        account = self.g.nodes[n]["account"]
        witnesses = [template_for(action, account)]
        found = self.engine.identity_policies(n) if self.g.nodes[n]["kind"] in (USER, ROLE, GROUP) else None
        if found is not None:
            for p in found[0]:
                for s in p.statements:
                    if s.effect == "Allow" and s.resources and not s.not_resource and s.actions.matches(action):
                        for pat in s.resources:
                            w = fill(pat.text, account)
                            if w and w not in witnesses:
                                witnesses.append(w)
        best = None
        for w in witnesses[:6]:
            d = self.engine.decide_unplanned(Request(self.caller(n), action, w))
            if d.decision == ALLOW:
                best = (d, w)
                break
            if d.possible and best is None:
                best = (d, w)
        self._anywhere[key] = best
        return best

    def version_pairs(self, n: str) -> list[tuple[str, str]]:
        """(action, policy) requests that rewrite a customer managed policy attached to ``n``: a new version
        always; making another version the default only when one grants more than the default does, or may
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html)."""
        out = []
        for m in self.managed_of.get(n, ()):
            out.append(("iam:createpolicyversion", m))
            if self.grants_more(m) is not False:
                out.append(("iam:setdefaultpolicyversion", m))
        return out

    def grants_more(self, arn: str) -> bool | None:
        """Whether another version of the policy grants more than its default: None when its versions are not
        known (a change declares only the version it writes; earlier ones may exist)."""
        if arn not in self._more:
            account = self.accounts.get(arn.split(":")[4])
            policy = account.managed_policies.get(arn) if account is not None else None
            if policy is None or (self.snapshot.source_kind in IAC_KINDS and not policy.versions[1:]):
                self._more[arn] = None
            else:
                self._more[arn] = other_version_grants_more(policy, self.engine.compile)
        return self._more[arn]

    def version_note(self, action: str, target: str, facts: EdgeFacts) -> None:
        """A default version set whose other versions are not known: the edge depends on them."""
        if action == "iam:setdefaultpolicyversion" and self.grants_more(target) is None:
            facts.decision = CONDITIONAL
            facts.conditions.append(Residual("Allow", f"the versions of {target}", "-", (
                {"note": f"another version of {target} may grant more than its default (its versions are not "
                         "in the snapshot)"},)))

    def add(self, u: str, v: str, technique: str, facts: EdgeFacts, **extra) -> None:
        self.p.add_edge(u, v, f"{CAN_ACT_AS}:{technique}", facts.attrs(CAN_ACT_AS, technique=technique, **extra))

    def try_actions(self, n: str, pairs) -> tuple[str, Decision, str] | None:
        """The first allowed (else first possible) of alternative (action, resource) requests."""
        best = None
        for action, target in pairs:
            if not self.may(n, action, target):
                continue
            d = self.decide(n, action, target)
            if d.decision == ALLOW:
                return action, d, target
            if d.possible and best is None:
                best = (action, d, target)
        return best

    # -- techniques --
    def self_grants(self) -> None:
        p = self.p
        for n in list(p.users) + list(p.roles) + list(p.groups):
            node = self.g.nodes[n]
            if n in p.users:
                u = p.users[n]
                pairs = [(a, n) for a in USER_POLICY]
                for gname in u.groups:
                    pairs += [(a, f"arn:aws:iam::{u.account}:group/{gname}") for a in GROUP_POLICY]
                entity = u
            elif n in p.roles:
                entity = p.roles[n]
                if entity.is_service_linked:
                    continue
                pairs = [(a, n) for a in ROLE_POLICY]
            else:
                entity = p.groups[n]
                pairs = [(a, n) for a in GROUP_POLICY]
            pairs += self.version_pairs(n)
            hit = self.try_actions(n, pairs)
            if hit is None:
                continue
            action, d, target = hit
            facts = EdgeFacts()
            facts.add(action, d, target)
            self.version_note(action, target, facts)
            boundary = getattr(entity, "boundary", None)
            found = self.engine.identity_policies(n) if boundary else None
            removal = BOUNDARY_REMOVAL.get(node["kind"], ())
            escape = self.try_actions(n, [(a, n) for a in removal]) if boundary else None
            if escape is not None:
                facts.add(*escape)  # it takes the boundary away first: nothing caps what it gives itself
            elif boundary and found is not None and boundary_allows_on(found[2], removal, n):
                escape = True  # once it gives itself everything, its boundary lets it take the boundary away
            elif boundary:
                if found is not None and boundary_caps_reach(found[2]):
                    continue  # whatever it gives itself, its boundary allows none of what reaches data
                facts.decision = CONDITIONAL
                facts.conditions.append(Residual("Allow", f"permissions boundary {boundary}", "-", (
                    {"note": "a policy the principal gives itself adds only what its permissions boundary allows"},)))
            if not (boundary and escape is None) and facts.decision == ALLOW:
                self.admins.add(n)
            self.add(n, root_arn(node["account"]), "self-grant", facts)

    def join_group(self) -> None:
        p = self.p
        for g, gr in p.groups.items():
            for n in sorted(p.query(ADD_TO_GROUP, gr.account, g)):
                if n not in p.users or n in self.admins or gr.name in p.users[n].groups:
                    continue
                d = self.decide(n, ADD_TO_GROUP, g)
                if d.possible:
                    facts = EdgeFacts()
                    facts.add(ADD_TO_GROUP, d, g)
                    self.add(n, g, "join-group", facts)

    def pass_role(self) -> None:
        p = self.p
        for r_arn, r in p.roles.items():
            services = [s for s in sorted(p.trust_grantees[r_arn].services) if s in PASS_ROLE_SERVICES
                        and self.g.has_edge(s, r_arn, key=f"{CAN_ASSUME}:sts:AssumeRole")]
            if not services:
                continue
            for n in sorted(p.query(PASS_ROLE, r.account, r_arn)):
                if n == r_arn or n in self.admins:
                    continue
                for svc in services:
                    d = self.decide(n, PASS_ROLE, r_arn, {"iam:PassedToService": svc})
                    if not d.possible:
                        continue
                    run = self.compute(n, svc, bool(r.instance_profiles))
                    if run is None:
                        continue
                    facts = combine_all([("iam:PassRole", d, r_arn, {"iam:PassedToService": svc}), *run])
                    if facts is not None:
                        self.add(n, r_arn, f"pass-role:{svc}", facts, service=svc)

    def compute(self, n: str, service: str, has_profile: bool):
        """The best alternative of actions that run code as a passed role, as [(action, decision, resource,
        None)], or None."""
        best = None
        for actions, needs_profile in PASS_ROLE_SERVICES[service]:
            if needs_profile and not has_profile:
                continue
            decided = []
            for a in actions:
                hit = self.anywhere(n, a)
                if hit is None:
                    break
                decided.append((a, hit[0], hit[1], None))
            else:
                if all(d.decision == ALLOW for _, d, _, _ in decided):
                    return decided
                if best is None:
                    best = decided
        return best

    def credentials(self) -> None:
        p = self.p
        for u_arn, u in p.users.items():
            found: set[str] = set()
            for a in CREDENTIALS:
                found |= set(p.query(a, u.account, u_arn))
            for n in sorted(found):
                if n == u_arn or n in self.admins:
                    continue
                hit = self.try_actions(n, [(a, u_arn) for a in self.credential_actions(u)])
                if hit:
                    facts = EdgeFacts()
                    facts.add(*hit)
                    self.add(n, u_arn, "credentials", facts)

    def credential_actions(self, u) -> list[str]:
        """The credential requests that can take over user ``u``: a new access key; a console password created
        for a user that has none, or changed for one that has one (the credential report says which; unknown:
        either) (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html,
        https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateLoginProfile.html)."""
        account = self.accounts.get(u.account)
        has = account.has_password(u.name) if account is not None else UNKNOWN
        out = ["iam:createaccesskey"]
        if has is UNKNOWN or not has:
            out.append("iam:createloginprofile")
        if has is UNKNOWN or has:
            out.append("iam:updateloginprofile")
        return out

    def trust_rewrites(self) -> None:
        p = self.p
        for r_arn, r in p.roles.items():
            if r.is_service_linked:
                continue  # AWS owns the trust policy of a service-linked role
            for n in sorted(p.query(TRUST_REWRITE, r.account, r_arn)):
                if n == r_arn or n in self.admins:
                    continue
                d = self.decide(n, TRUST_REWRITE, r_arn)
                if d.possible:
                    facts = EdgeFacts()
                    facts.add(TRUST_REWRITE, d, r_arn)
                    self.add(n, r_arn, "trust-policy", facts)

    def modify_and_become(self) -> None:
        """A principal that can reach a user or role of its account in one hop and change that principal's
        policies can give it, and so itself, any permission of the account."""
        p = self.p
        for n in list(p.users) + list(p.roles) + list(p.groups):
            if n in self.admins:
                continue
            account = self.g.nodes[n]["account"]
            for _, t, key, attrs in list(self.g.out_edges(n, keys=True, data=True)):
                if attrs["kind"] not in (CAN_ASSUME, CAN_ACT_AS, MEMBER_OF) or t == n:
                    continue
                tnode = self.g.nodes[t]
                if tnode["account"] != account or tnode["kind"] not in (USER, ROLE):
                    continue
                actions = USER_POLICY if tnode["kind"] == USER else ROLE_POLICY
                pairs = [(a, t) for a in actions] + self.version_pairs(t)
                hit = self.try_actions(n, pairs)
                if hit is None:
                    continue
                facts = EdgeFacts()
                facts.add(*hit)
                self.version_note(hit[0], hit[2], facts)
                facts.actions |= {a.lower() for a in attrs["actions"]}
                facts.requests.extend(attrs.get("requests", ()))
                facts.reasons.extend(attrs["reasons"])
                facts.conditions.extend(attrs["conditions"])
                if attrs["decision"] == CONDITIONAL:
                    facts.decision = CONDITIONAL
                self.add(n, root_arn(account), f"modify-and-become:{t}", facts, via_principal=t)


def add_edges(p: PrincipalGraph, engine: Engine, snapshot: Snapshot) -> None:
    """Add the ``can-act-as`` edges to a principal graph that has its ``member-of`` and ``can-assume`` ones."""
    e = _Escalations(p, engine, snapshot)
    e.self_grants()
    e.join_group()
    e.pass_role()
    ComputeRoutes(e, snapshot).add_edges()
    e.credentials()
    e.trust_rewrites()
    e.modify_and_become()
