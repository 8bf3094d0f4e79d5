"""Terraform's IAM resource types: roles, users, groups, managed policies, inline policies, attachments and
group memberships; computed names and ARNs, mapping to the account's IAM (``GetAccountAuthorizationDetails``
shapes), and what destroying one takes away."""
from __future__ import annotations

from ...arns import iam_arn
from ...locations import Sel
from ...values import Unknown, with_symbols
from ..registry import Gone, Instance, Mapper, arguments, computes, maps, removes
from ..resource import Res, blocks, fill, placeholder, string, strings

# The IAM types that have a name (given, or generated at apply time) and an ARN made from it.
NAMED_TYPES = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group", "aws_iam_policy": "policy"}


@computes(*NAMED_TYPES)
def _named_computed(obj: dict, at: Instance) -> str | None:
    why = None
    name = with_symbols(obj.get("name"))
    if isinstance(name, str) and isinstance(obj.get("name"), Unknown):
        # made at apply time from fresh values (random_pet...): the symbolic name stands for it everywhere
        why = f"the name is made at apply time ({obj['name'].reason})"
        obj["name"] = name
    elif not isinstance(name, str) or name == "":
        why = (f"the name is unknown ({name.reason})" if isinstance(name, Unknown)
               else "the name is generated at apply time")
        name = obj["name"] = placeholder(at.address)
    path = obj.get("path") if isinstance(obj.get("path"), str) else "/"
    arn = iam_arn(at.account_id, NAMED_TYPES[at.rtype], path, name)
    fill(obj, "arn", arn)
    fill(obj, "id", arn if at.rtype == "aws_iam_policy" else name)
    return why


_TAGS = ("map", ("string",))
_TAGGED = {"tags": _TAGS, "tags_all": _TAGS}
arguments("aws_iam_role", schema={
    "name": "string", "path": "string", "assume_role_policy": "string", "permissions_boundary": "string",
    "managed_policy_arns": ("list", ("string",)), **_TAGGED, "inline_policy": {"name": "string", "policy": "string"}})
arguments("aws_iam_user", schema={"name": "string", "path": "string", "permissions_boundary": "string", **_TAGGED})
arguments("aws_iam_group", schema={"name": "string", "path": "string"})
arguments("aws_iam_policy", schema={"name": "string", "path": "string", "policy": "string", **_TAGGED})
arguments("aws_iam_role_policy", schema={"name": "string", "role": "string", "policy": "string"})
arguments("aws_iam_user_policy", schema={"name": "string", "user": "string", "policy": "string"})
arguments("aws_iam_group_policy", schema={"name": "string", "group": "string", "policy": "string"})
arguments("aws_iam_role_policy_attachment", schema={"role": "string", "policy_arn": "string"})
arguments("aws_iam_user_policy_attachment", schema={"user": "string", "policy_arn": "string"})
arguments("aws_iam_group_policy_attachment", schema={"group": "string", "policy_arn": "string"})
arguments("aws_iam_policy_attachment", schema={
    "policy_arn": "string", "roles": ("list", ("string",)), "users": ("list", ("string",)),
    "groups": ("list", ("string",))})
arguments("aws_iam_group_membership", schema={"group": "string", "users": ("list", ("string",))})
arguments("aws_iam_user_group_membership", schema={"user": "string", "groups": ("list", ("string",))})


def _arn(v: dict) -> str | None:
    arn = v.get("arn")
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def _path(r: Res) -> str:
    p = r.values.get("path")
    return p if isinstance(p, str) and p else "/"


@maps("aws_iam_role", stage=0)
def aws_iam_role(m: Mapper, r: Res) -> None:
    v = r.values
    name = v["name"]
    m.b.role(name, _path(r), r.loc, _arn(v))
    m.b.trust_policy(name, v.get("assume_role_policy"), r.at("assume_role_policy"))
    inline = blocks(v.get("inline_policy"))
    if isinstance(inline, Unknown):
        m.b.account_errors[f"iam:Role/{name}/RolePolicyList"] = f"Unknown: {inline.reason}"
    else:
        for p in inline:
            pname = p.get("name")
            if isinstance(pname, str) and pname:
                m.b.inline_policy("role", name, pname, p.get("policy"), getattr(p, "pos", None) or r.at("inline_policy"))
    m.b.attach_all("role", name, v.get("managed_policy_arns"), r.at("managed_policy_arns"))
    m.b.boundary("role", name, v.get("permissions_boundary"), r.at("permissions_boundary"))
    m.b.tags("role", name, v.get("tags_all") if v.get("tags_all") is not None else v.get("tags"))


def _entity(m: Mapper, r: Res, attr: str, kind: str) -> str | None:
    name = m.name(r, attr, kind)
    if name is None:
        return None
    if name.startswith("arn:aws:iam::"):
        name = name.rsplit("/", 1)[-1]
    m.b.mention(kind, name)  # perhaps managed elsewhere
    return name


# The policy resources of one entity kind: aws_iam_{role,user,group}_policy[_attachment], named by the kind.
_INLINE = ("aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")
_ATTACHMENTS = ("aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment")


def _kind(rtype: str) -> str:
    """``role``, ``user`` or ``group``: the entity kind of a policy or attachment resource type."""
    return rtype[len("aws_iam_"):].split("_", 1)[0]


@maps(*_INLINE)
def aws_iam_entity_policy(m: Mapper, r: Res) -> None:
    kind = _kind(r.type)
    entity = _entity(m, r, kind, kind)
    if entity is None:
        return
    pname = r.values.get("name")
    if not isinstance(pname, str) or not pname:
        pname = placeholder(r.address)
    m.b.inline_policy(kind, entity, pname, r.values.get("policy"), r.at("policy"))
    m.b.locate(m.b._entity_path(kind, entity) + (m.b._ENTITY[kind][3], Sel("PolicyName", pname)), r.loc)


@maps(*_ATTACHMENTS)
def aws_iam_entity_policy_attachment(m: Mapper, r: Res) -> None:
    kind = _kind(r.type)
    entity = _entity(m, r, kind, kind)
    arn = r.values.get("policy_arn")
    if entity is None:
        return
    m.b.attach_all(kind, entity, [arn], r.at("policy_arn"))


@maps("aws_iam_policy_attachment")
def aws_iam_policy_attachment(m: Mapper, r: Res) -> None:
    arn = r.values.get("policy_arn")
    for attr, kind in (("roles", "role"), ("users", "user"), ("groups", "group")):
        names = r.values.get(attr)
        if isinstance(names, Unknown):
            m.b.unplaced(r.address, f"the {attr} of `{r.address}` are not known ({names.reason})")
            continue
        for n in names or []:
            if isinstance(n, Unknown):
                m.b.unplaced(r.address, f"the {attr} of `{r.address}` are not known ({n.reason})")
                continue
            if not isinstance(n, str) or not n:
                continue  # null or empty: names no entity
            m.b.mention(kind, n)
            m.b.attach_all(kind, n, [arn], r.at("policy_arn"))


@maps("aws_iam_policy", stage=0)
def aws_iam_policy(m: Mapper, r: Res) -> None:
    v = r.values
    m.b.managed_policy(v["arn"], v["name"], _path(r), v.get("policy"), r.at("policy"))
    m.b.locate(m.b._account() + ("iam", "Policies", Sel("Arn", v["arn"])), r.loc)


@maps("aws_iam_user", stage=0)
def aws_iam_user(m: Mapper, r: Res) -> None:
    v = r.values
    m.b.user(v["name"], _path(r), r.loc, _arn(v))
    m.b.password(v["name"], False)  # unless an aws_iam_user_login_profile gives it one (compute.py)
    m.b.boundary("user", v["name"], v.get("permissions_boundary"), r.at("permissions_boundary"))
    m.b.tags("user", v["name"], v.get("tags_all") if v.get("tags_all") is not None else v.get("tags"))


@maps("aws_iam_group", stage=0)
def aws_iam_group(m: Mapper, r: Res) -> None:
    v = r.values
    m.b.group(v["name"], _path(r), r.loc, _arn(v))


@maps("aws_iam_group_membership")
def aws_iam_group_membership(m: Mapper, r: Res) -> None:
    _memberships(m, r, "group", "users", lambda group, user: (user, group))


@maps("aws_iam_user_group_membership")
def aws_iam_user_group_membership(m: Mapper, r: Res) -> None:
    _memberships(m, r, "user", "groups", lambda user, group: (user, group))


def _memberships(m: Mapper, r: Res, kind: str, members_key: str, pair) -> None:
    """One entity (a group or a user) and a list of the other side: each pair becomes a membership."""
    entity = _entity(m, r, kind, kind)
    members = r.values.get(members_key)
    if entity is None:
        return
    if isinstance(members, Unknown):
        m.b.unplaced(r.address, f"the {members_key} of `{r.address}` are not known ({members.reason})")
        return
    for member in members or []:
        if isinstance(member, str):
            user, group = pair(entity, member)
            m.b.add_to_group(user, group, r.loc)


# --- what destroying one takes away -----------------------------------------------------------------------

def _entity_name(v: object) -> str | None:
    """A role/user/group given by name, or by ARN where the provider accepts one."""
    v = string(v)
    return v.rsplit("/", 1)[-1] if v and v.startswith("arn:") else v


@removes("aws_iam_role", "aws_iam_user", "aws_iam_group")
def _entity_removed(v: dict, gone: Gone) -> list:
    return gone("entity", string(v.get("name")), entity=gone.rtype[len("aws_iam_"):])


@removes(*_INLINE)
def _inline_removed(v: dict, gone: Gone) -> list:
    kind = _kind(gone.rtype)
    pname = string(v.get("name"))
    if pname is None and isinstance(v.get("id"), str) and ":" in v["id"]:
        pname = v["id"].split(":", 1)[1]  # the provider's id is "<entity>:<policy name>"
    return gone("inline-policy", _entity_name(v.get(kind)), entity=kind, detail=pname) if pname else []


@removes(*_ATTACHMENTS)
def _attachment_removed(v: dict, gone: Gone) -> list:
    kind = _kind(gone.rtype)
    arn = string(v.get("policy_arn"))
    return gone("attachment", _entity_name(v.get(kind)), entity=kind, detail=arn) if arn else []


@removes("aws_iam_policy_attachment")
def _policy_attachment_removed(v: dict, gone: Gone) -> list:
    arn = string(v.get("policy_arn"))
    if not arn:
        return []
    return [r for attr, kind in (("roles", "role"), ("users", "user"), ("groups", "group"))
            for n in strings(v.get(attr)) for r in gone("attachment", n, entity=kind, detail=arn)]


@removes("aws_iam_policy")
def _policy_removed(v: dict, gone: Gone) -> list:
    return gone("managed-policy", string(v.get("arn")))


@removes("aws_iam_group_membership")
def _group_membership_removed(v: dict, gone: Gone) -> list:
    group = string(v.get("group"))
    return [r for u in strings(v.get("users")) for r in gone("membership", u, detail=group)] if group else []


@removes("aws_iam_user_group_membership")
def _user_groups_removed(v: dict, gone: Gone) -> list:
    user = string(v.get("user"))
    return [r for g in strings(v.get("groups")) for r in gone("membership", user, detail=g)]
