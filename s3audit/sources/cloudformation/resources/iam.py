"""CloudFormation's IAM resource types: roles, users, groups, managed policies, policies and group additions
(mapping to the account's IAM, names, and the ARNs ``Fn::GetAtt`` knows before deploy)."""
from __future__ import annotations

from typing import Any

from ...arns import iam_arn
from ...locations import Sel
from ...values import PDict, Unknown
from ..registry import NAME_PROPERTY, PROPERTIES, REF_ATTRIBUTE, Mapper, Named, attributes, maps, tag_map
from ..shapes import STR, TAGS, ListOf, Obj

NAME_PROPERTY.update({"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
                      "AWS::IAM::ManagedPolicy": "ManagedPolicyName"})
REF_ATTRIBUTE["AWS::IAM::ManagedPolicy"] = "PolicyArn"  # Ref of a managed policy is its ARN

# The properties read, in the shapes of the IAM resource references
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_IAM.html); policy documents are
# the builder's (an object or JSON text).
_POLICIES = ListOf(Obj({"PolicyName": STR}, required=("PolicyName", "PolicyDocument")))
_ENTITY = {"Path": STR, "Policies": _POLICIES, "ManagedPolicyArns": ListOf(STR), "PermissionsBoundary": STR,
           "Tags": TAGS}
PROPERTIES["AWS::IAM::Role"] = Obj({"RoleName": STR, **_ENTITY}, required=("AssumeRolePolicyDocument",))
PROPERTIES["AWS::IAM::User"] = Obj({"UserName": STR, "Groups": ListOf(STR), **_ENTITY})
PROPERTIES["AWS::IAM::Group"] = Obj({"GroupName": STR, **_ENTITY})
_ATTACHED_TO = {"Roles": ListOf(STR), "Users": ListOf(STR), "Groups": ListOf(STR)}
PROPERTIES["AWS::IAM::ManagedPolicy"] = Obj({"ManagedPolicyName": STR, "Path": STR, **_ATTACHED_TO},
                                            required=("PolicyDocument",))
PROPERTIES["AWS::IAM::Policy"] = Obj({"PolicyName": STR, **_ATTACHED_TO}, required=("PolicyName", "PolicyDocument"))
PROPERTIES["AWS::IAM::UserToGroupAddition"] = Obj({"GroupName": STR, "Users": ListOf(STR)},
                                                  required=("GroupName", "Users"))


@attributes("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
def _entity_attribute(t: Any, r: Named, attr: str) -> Any:
    return iam_arn(t.account_id, r.rtype.rsplit("::", 1)[1].lower(), r.path, r.name) if attr == "Arn" else None


@attributes("AWS::IAM::ManagedPolicy")
def _managed_policy_attribute(t: Any, r: Named, attr: str) -> Any:
    return iam_arn(t.account_id, "policy", r.path, r.name) if attr == "PolicyArn" else None


def _entity_common(m: Mapper, kind: str, name: str, logical: str, p: PDict) -> None:
    """What roles, users and groups share: inline policies, managed policies, and (not groups) boundary and tags."""
    b = m.b
    label = kind.title()
    policies = p.get("Policies")
    if isinstance(policies, Unknown):
        b.account_errors[f"iam:{label}/{name}/{b._ENTITY[kind][3]}"] = f"Unknown: {policies.reason}"
    else:
        for i, pol in enumerate(policies or []):
            if isinstance(pol, Unknown):  # an undecided `Fn::If` around a policy: it may be there
                b.account_errors[f"iam:{label}/{name}/{b._ENTITY[kind][3]}"] = f"Unknown: {pol.reason}"
                continue
            pname = pol.get("PolicyName")
            if not isinstance(pname, str):  # named at deploy time: the document still grants what it says
                pname = f"<{logical}.Policies[{i}]>"
            b.inline_policy(kind, name, pname, pol.get("PolicyDocument"),
                            getattr(pol, "pos", None) or m.at(logical, p, "Policies"))
    b.attach_all(kind, name, p.get("ManagedPolicyArns"), m.at(logical, p, "ManagedPolicyArns"))
    if kind != "group":
        b.boundary(kind, name, p.get("PermissionsBoundary"), m.at(logical, p, "PermissionsBoundary"))
        tags = p.get("Tags")
        if tags is not None:
            b.tags(kind, name, tag_map(tags))


def _path(p: PDict) -> str:
    return p["Path"] if isinstance(p.get("Path"), str) else "/"


@maps("AWS::IAM::Role", stage=1)
def iam_role(m: Mapper, logical: str, p: PDict) -> None:
    name = m.t.name(logical)
    m.b.role(name, _path(p), m.t.loc_of(logical))
    m.b.trust_policy(name, p.get("AssumeRolePolicyDocument"), m.at(logical, p, "AssumeRolePolicyDocument"))
    _entity_common(m, "role", name, logical, p)


@maps("AWS::IAM::User", stage=1)
def iam_user(m: Mapper, logical: str, p: PDict) -> None:
    name = m.t.name(logical)
    m.b.user(name, _path(p), m.t.loc_of(logical))
    _entity_common(m, "user", name, logical, p)
    if not isinstance(p.get("LoginProfile"), Unknown):  # undecided (an `Fn::If`): whether it has one is unknown
        m.b.password(name, p.get("LoginProfile") is not None)
    groups = p.get("Groups")
    if isinstance(groups, Unknown):
        m.b.account_errors[f"iam:User/{name}/GroupList"] = f"Unknown: {groups.reason}"
    else:
        for g in groups or []:
            if isinstance(g, str):
                m.b.add_to_group(name, g, m.at(logical, p, "Groups"))
            else:
                m.b.account_errors[f"iam:User/{name}/GroupList"] = f"Unknown: {g.reason}"


@maps("AWS::IAM::Group", stage=1)
def iam_group(m: Mapper, logical: str, p: PDict) -> None:
    name = m.t.name(logical)
    m.b.group(name, _path(p), m.t.loc_of(logical))
    _entity_common(m, "group", name, logical, p)


@maps("AWS::IAM::ManagedPolicy", stage=2)
def iam_managed_policy(m: Mapper, logical: str, p: PDict) -> None:
    arn = m.t.getatt(logical, "PolicyArn")
    name = m.t.name(logical)
    m.b.managed_policy(arn, name, _path(p), p.get("PolicyDocument"), m.at(logical, p, "PolicyDocument"))
    m.b.locate(m.b._account() + ("iam", "Policies", Sel("Arn", arn)), m.t.loc_of(logical))
    _attach_to(m, logical, p, lambda kind, entity: m.b.attach(kind, entity, arn, m.t.loc_of(logical)))


@maps("AWS::IAM::Policy")
def iam_policy(m: Mapper, logical: str, p: PDict) -> None:
    pname = p.get("PolicyName")
    if not isinstance(pname, str):
        pname = f"<{logical}>"
    doc = p.get("PolicyDocument")
    at = m.at(logical, p, "PolicyDocument")
    _attach_to(m, logical, p, lambda kind, entity: m.b.inline_policy(kind, entity, pname, doc, at))


def _attach_to(m: Mapper, logical: str, p: PDict, attach) -> None:
    for prop, kind in (("Roles", "role"), ("Users", "user"), ("Groups", "group")):
        names = p.get(prop)
        if isinstance(names, Unknown):
            m.b.unplaced(logical, f"the {prop.lower()} of `{logical}` are not known ({names.reason})")
            continue
        for n in names or []:
            if isinstance(n, Unknown) or not isinstance(n, str):
                m.b.unplaced(logical, f"the {prop.lower()} of `{logical}` are not known")
                continue
            if n.startswith("arn:aws:iam::"):
                n = n.rsplit("/", 1)[-1]
            m.b.mention(kind, n)
            attach(kind, n)


@maps("AWS::IAM::UserToGroupAddition")
def iam_user_to_group_addition(m: Mapper, logical: str, p: PDict) -> None:
    group = m.named(logical, p, "GroupName", "group")
    users = p.get("Users")
    if group is None:
        return
    m.b.mention("group", group)
    if isinstance(users, Unknown):
        m.b.unplaced(logical, f"the users of `{logical}` are not known ({users.reason})")
        return
    for u in users or []:
        if isinstance(u, str):
            m.b.add_to_group(u, group, m.t.loc_of(logical))
        else:
            m.b.unplaced(logical, f"a user `{logical}` adds to `{group}` is not known ({u.reason})")
