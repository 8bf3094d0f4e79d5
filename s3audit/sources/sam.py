"""The parts of the AWS SAM transform (``Transform: AWS::Serverless-2016-10-31``) that decide S3 access.

SAM is a CloudFormation macro: at deploy time it rewrites ``AWS::Serverless::*`` resources into plain
CloudFormation resources. A SAM function or state machine without ``Role`` gets an IAM role that SAM generates
from its ``Policies``; that role is an access path like any other, so this module does what the transform does
for it, on the template as written (before intrinsics are resolved, as SAM does): it adds the generated
``AWS::IAM::Role`` (and, for connectors to S3 buckets, ``AWS::IAM::ManagedPolicy``) resources to the template,
which the CloudFormation reader then maps and resolves like hand-written ones.

The behaviour followed is the transform's, as documented and as its code (aws-sam-translator) does it:

* generated role, logical id ``<function>Role``, CloudFormation-generated name
  (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources-function.html);
  trust ``lambda.amazonaws.com`` (or the function's ``AssumeRolePolicyDocument``); managed policies
  ``service-role/AWSLambdaBasicExecutionRole`` (``AWSLambdaBasicDurableExecutionRolePolicy`` with
  ``DurableConfig``), ``AWSXrayWriteOnlyAccess`` with ``Tracing``, ``service-role/AWSLambdaVPCAccessExecutionRole``
  with ``VpcConfig``; ``RolePath``, ``PermissionsBoundary``, ``Tags`` (plus ``lambda:createdBy: SAM``)
  (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html);
* ``Policies`` in every documented form: an AWS managed policy name (mapped to its ARN by the transform's own
  table), a managed policy ARN or intrinsic, a list, a policy document (``Statement``), a policy template
  (``S3CrudPolicy: {BucketName: ...}``), each possibly under ``Fn::If``. Documents and templates become inline
  policies ``<function>RolePolicy<index>``; templates expand to their statements from the transform's
  ``policy_templates.json`` (shipped as ``data/sam.json.gz``, built by ``data/build_sam.py``)
  (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-templates.html);
* a policy template s3audit does not know (a newer SAM may) and a policy name that is neither an AWS managed
  policy nor an ARN (the transform looks it up among the account's policies at deploy time) are unknown, never
  "no permission";
* ``Globals.Function`` merged into every function: scalars replaced by the function's, maps merged, lists
  concatenated; ``Role`` and ``Policies`` are not allowed there
  (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html);
* destinations that write to S3: ``EventInvokeConfig`` ``Type: S3Bucket`` and a stream event's
  ``DestinationConfig.OnFailure`` ``Type: S3`` add ``s3:PutObject`` on ``<bucket>/*`` and ``s3:ListBucket``;
* ``AWS::Serverless::StateMachine``: the same for ``Policies`` (trust ``states.amazonaws.com``, no default policy);
* ``AWS::Serverless::Connector`` and the ``Connectors`` attribute from a function or state machine to an
  S3 bucket: a managed policy with the connector profile's ``Read``/``Write`` statements on the source's role
  (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-connector.html).

Left out on purpose, because none of them can allow an S3, IAM or STS action: the statements SAM adds for
dead-letter queues and SQS/SNS/EventBridge/Lambda destinations, for MQ/MSK/Kafka/DocumentDB event sources
(Secrets Manager, KMS, EC2, RDS, Glue), connectors to other destinations, and the roles of API and
state-machine event sources (``states:StartExecution``, ``lambda:InvokeFunction``). An ``S3`` event on a function
references a bucket but grants nothing: SAM adds the bucket's notification and a Lambda permission for S3.
``AWS::Serverless::Application`` (a nested application) is not read: it is reported as such (``unread``).
"""
from __future__ import annotations

import copy
import gzip
import json
from functools import lru_cache
from typing import Any

from ..errors import InputError, Place
from .cloudformation.template import SAM_TRANSFORM, transform_names
from .symbolic import atom, concat
from .values import Loc, PDict, PList, Unknown

_PARTITION = "aws"  # the CloudFormation reader resolves AWS::Partition to `aws` too

# Globals properties SAM accepts for Function and StateMachine; anything else is a transform error.
_GLOBAL_FUNCTION = frozenset((
    "Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize", "Timeout", "VpcConfig",
    "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn", "AutoPublishAlias",
    "AutoPublishAliasAllProperties", "Layers", "DeploymentPreference", "RolePath", "PermissionsBoundary",
    "ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument",
    "EventInvokeConfig", "FileSystemConfigs", "CodeSigningConfigArn", "Architectures", "SnapStart",
    "EphemeralStorage", "FunctionUrlConfig", "RuntimeManagementConfig", "LoggingConfig", "RecursiveLoop",
    "SourceKMSKeyArn", "TenancyConfig", "DurableConfig", "CapacityProviderConfig", "FunctionScalingConfig",
    "PublishToLatestPublished", "VersionDeletionPolicy"))
_GLOBAL_STATE_MACHINE = frozenset(("PropagateTags",))

# Event sources whose mapping SAM gives an AWS managed policy on the generated role.
_EVENT_MANAGED = {"SQS": "service-role/AWSLambdaSQSQueueExecutionRole",
                  "Kinesis": "service-role/AWSLambdaKinesisExecutionRole",
                  "DynamoDB": "service-role/AWSLambdaDynamoDBExecutionRole",
                  "MSK": "service-role/AWSLambdaMSKExecutionRole"}
_PULL_EVENTS = ("SQS", "Kinesis", "DynamoDB", "MSK", "MQ", "SelfManagedKafka", "DocumentDB")

# The connector profiles (aws-sam-translator profiles.json) that give a source role access to an S3 bucket;
# every other destination's profile names only its own service's actions.
_S3_CONNECTOR = {
    "Read": ["s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectLegalHold", "s3:GetObjectRetention",
             "s3:GetObjectTorrent", "s3:GetObjectVersion", "s3:GetObjectVersionAcl",
             "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTorrent", "s3:ListBucket",
             "s3:ListBucketMultipartUploads", "s3:ListBucketVersions", "s3:ListMultipartUploadParts"],
    "Write": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject",
              "s3:PutObjectLegalHold", "s3:PutObjectRetention", "s3:RestoreObject"],
}
# The properties SAM lets a template refer to (`!Ref MyFunction.Alias`), by resource type (the transform's
# `referable_properties`; Alias and Version exist with `AutoPublishAlias` only).
_REFERABLE = {"AWS::Serverless::Function": ("Alias", "Version", "DestinationTopic", "DestinationQueue"),
              "AWS::Serverless::Api": ("Stage", "Deployment", "DomainName", "UsagePlan", "UsagePlanKey", "ApiKey"),
              "AWS::Serverless::HttpApi": ("Stage", "DomainName")}
_CONNECTOR_SOURCES = {"AWS::Serverless::Function": "function", "AWS::Lambda::Function": "function",
                      "AWS::Serverless::StateMachine": "state machine",
                      "AWS::StepFunctions::StateMachine": "state machine"}


@lru_cache(maxsize=1)
def sam_data() -> dict:
    """Policy templates and the AWS managed policy name -> ARN map of the transform (see data/build_sam.py)."""
    from ..packaged import read_bytes
    return json.loads(gzip.decompress(read_bytes("sources", "data", "sam.json.gz")))


def _intrinsic(v: Any) -> bool:
    if isinstance(v, dict) and len(v) == 1:
        (k,) = v
        return k in ("Ref", "Condition") or k.startswith("Fn::")
    return False


def _if(v: Any) -> bool:
    return _intrinsic(v) and "Fn::If" in v


def _novalue(v: Any) -> bool:
    return isinstance(v, dict) and len(v) == 1 and v.get("Ref") == "AWS::NoValue"


def _pos(v: Any, default: Loc) -> Loc:
    return getattr(v, "pos", None) or default


class _Expander:
    def __init__(self, t, b):
        self.t, self.b = t, b
        self.file = t.file

    def error(self, message: str, at: Loc) -> InputError:
        return InputError(message, Place(at.file, at.line, at.column))

    # -- entry ------------------------------------------------------------------------------------------
    def run(self) -> None:
        t = self.t
        sam = any(name == SAM_TRANSFORM for name, _ in transform_names(t.doc, t.file))
        serverless = [lg for lg, r in t.resources.items() if str(r["Type"]).startswith("AWS::Serverless::")]
        if serverless and not sam:
            at = t.loc_of(serverless[0])
            raise self.error(f"`{t.resources[serverless[0]]['Type']}` needs `Transform: {SAM_TRANSFORM}`", at)
        if not sam:
            return
        globals_ = self._globals()
        generated: dict[str, PDict] = {}
        for logical, res in list(t.resources.items()):
            rtype = res["Type"]
            if rtype == "AWS::Serverless::Function":
                self._function(logical, res, globals_.get("Function"), generated)
            elif rtype == "AWS::Serverless::StateMachine":
                self._state_machine(logical, res, globals_.get("StateMachine"), generated)
            elif rtype == "AWS::Serverless::Application":
                self.b.unread(logical, "a nested application: its template, and what its resources grant, is "
                                       "not part of this input", t.loc_of(logical))
            self._referable(logical, rtype, res)
        for logical, res in list(t.resources.items()):
            if res["Type"] == "AWS::Serverless::Connector":
                self._connector(logical, res.get("Properties"), None, res, generated)
            connectors = res.get("Connectors")
            if isinstance(connectors, dict):
                for name, c in connectors.items():
                    props = c.get("Properties") if isinstance(c, dict) else None
                    if not isinstance(props, dict):
                        raise self.error(f"connector `{name}` of `{logical}` needs `Properties`",
                                         connectors.key_pos.get(name, t.loc_of(logical)))
                    source = PDict({"Id": logical, **(props.get("SourceReference") or {})})
                    self._connector(logical + name, props, source, c, generated,
                                    at=connectors.key_pos.get(name, t.loc_of(logical)))
        for logical, (res, at) in generated.items():
            if logical in t.resources:
                raise self.error(f"SAM generates `{logical}`, which the template already defines", t.loc_of(logical))
            t.resources[logical] = res
            t.resources.key_pos[logical] = at

    def _globals(self) -> dict:
        g = self.t.doc.get("Globals") or {}
        if not isinstance(g, dict):
            raise self.error("`Globals` must be a mapping", self.t.doc.key_pos.get("Globals", Loc(self.file, 1, 1)))
        for section, allowed in (("Function", _GLOBAL_FUNCTION), ("StateMachine", _GLOBAL_STATE_MACHINE)):
            props = g.get(section)
            if props is None:
                continue
            if not isinstance(props, dict):
                raise self.error(f"`Globals.{section}` must be a mapping", g.key_pos.get(section))
            for key in props:
                if key not in allowed:
                    raise self.error(f"`{key}` is not a supported property of `Globals.{section}`",
                                     props.key_pos.get(key) or g.key_pos.get(section))
        return g

    # -- Globals -----------------------------------------------------------------------------------------
    @staticmethod
    def _merge(global_value: Any, local_value: Any) -> Any:
        """SAM's merge of a Globals value with the resource's: maps merged key by key, lists concatenated
        (Globals first), anything else (or different kinds) the resource's value."""
        def kind(v):
            if isinstance(v, dict) and not _intrinsic(v):
                return "map"
            return "list" if isinstance(v, list) else "primitive"
        if kind(global_value) != kind(local_value) or kind(local_value) == "primitive":
            return local_value
        if kind(local_value) == "list":
            return PList(list(global_value) + list(local_value), pos=getattr(local_value, "pos", None))
        out = PDict(global_value, pos=getattr(local_value, "pos", None))
        out.key_pos.update(getattr(global_value, "key_pos", {}))
        for k, v in local_value.items():
            out[k] = _Expander._merge(global_value[k], v) if k in global_value else v
            if k in getattr(local_value, "key_pos", {}):
                out.key_pos[k] = local_value.key_pos[k]
        return out

    def _properties(self, logical: str, res: PDict, global_props: Any) -> PDict:
        props = res.get("Properties") or PDict(pos=self.t.loc_of(logical))
        if not isinstance(props, dict):
            raise self.error(f"the properties of `{logical}` must be a mapping", self.t.loc_of(logical))
        if global_props:
            props = self._merge(global_props, props)
        return props

    # -- Policies -------------------------------------------------------------------------------------------
    def _policy_kind(self, p: Any, at: Loc) -> str:
        if isinstance(p, str):
            return "managed"
        if _if(p):
            items = p["Fn::If"]
            if not isinstance(items, list) or len(items) != 3:
                raise self.error("`Fn::If` takes a condition and two values", at)
            a, b = self._policy_kind(items[1], at), self._policy_kind(items[2], at)
            if a == b or _novalue(items[2]):
                return a
            if _novalue(items[1]):
                return b
            raise self.error("different policy types within the same `Fn::If` are not supported by SAM", at)
        if _intrinsic(p):
            return "managed"
        if isinstance(p, dict) and "Statement" in p:
            return "statement"
        if isinstance(p, dict) and len(p) == 1:
            return "template" if next(iter(p)) in sam_data()["policy_templates"] else "unknown-template"
        return "invalid"

    def _managed_arn(self, name: str) -> Any:
        """The transform's mapping of a `Policies` string: its own table of AWS managed policy names, an ARN as
        it is, else a name it looks up among the account's policies at deploy time (unknown here)."""
        arn = sam_data()["managed_policies"].get(name)
        if arn:
            return arn
        if name.startswith("arn:"):
            return name
        return Unknown(f"the SAM transform resolves policy name `{name}` at deploy time (it is not an AWS "
                       "managed policy name s3audit knows)")

    def _template(self, p: dict, at: Loc) -> Any:
        """A policy template (``{Name: {Param: value}}``) -> its policy document, parameters substituted."""
        if _novalue(p):
            return p
        (name, values), = p.items()
        spec = sam_data()["policy_templates"][name]
        if not isinstance(values, dict):
            raise self.error(f"policy template `{name}` needs its parameter values as a mapping", at)
        missing = [x for x in spec["Parameters"] if x not in values]
        if missing:
            raise self.error(f"policy template `{name}` needs "
                             + ", ".join(f"`{m}`" for m in missing), at)

        def fill(node: Any) -> Any:
            if isinstance(node, dict):
                if len(node) == 1 and isinstance(node.get("Ref"), str) and node["Ref"] in spec["Parameters"]:
                    return values[node["Ref"]]
                return {k: fill(v) for k, v in node.items()}
            if isinstance(node, list):
                return [fill(v) for v in node]
            return node
        return _located(fill(copy.deepcopy(spec["Definition"])), at)

    def _policies(self, raw: Any, role: str, key_at: Loc, managed: list, inline: list) -> None:
        """SAM's handling of a `Policies` value: managed ARNs into ``managed``, documents into ``inline``."""
        if raw is None or raw == [] or raw == "":
            return
        items = raw if isinstance(raw, list) else [raw]
        for index, p in enumerate(items):
            at = _pos(p, key_at)
            kind = self._policy_kind(p, at)
            name = f"{role}Policy{index}"
            if kind == "managed":
                if isinstance(p, str):
                    value = self._managed_arn(p)
                elif _if(p):
                    c, yes, no = p["Fn::If"]
                    value = {"Fn::If": [c, self._managed_arn(yes) if isinstance(yes, str) else yes,
                                        self._managed_arn(no) if isinstance(no, str) else no]}
                else:
                    value = p
                if isinstance(value, Unknown) or value not in managed:
                    managed.append(value)
            elif kind in ("statement", "template"):
                conv = (lambda d: d) if kind == "statement" else (lambda d: self._template(d, at))
                if _if(p):
                    c, yes, no = p["Fn::If"]
                    entry: Any = {"Fn::If": [c, *(x if _novalue(x) else _located(
                        {"PolicyName": name, "PolicyDocument": conv(x)}, at) for x in (yes, no))]}
                else:
                    entry = _located({"PolicyName": name, "PolicyDocument": conv(p)}, at)
                inline.append(entry)
            elif kind == "unknown-template":
                template = next(iter(p)) if isinstance(p, dict) else "?"
                version = sam_data()["source"].split(" (")[0]
                inline.append(_located({"PolicyName": name, "PolicyDocument": Unknown(
                    f"policy template `{template}` is not one s3audit knows ({version}); its statements are "
                    "decided by the SAM transform at deploy time")}, at))
            else:
                raise self.error(f"policy at index {index} in `Policies` is not valid", at)

    # -- generated roles ---------------------------------------------------------------------------------
    def _role_condition(self, logical: str, res: PDict, props: PDict) -> tuple[bool, Any]:
        """Whether SAM generates the role, and its Condition (SAM's handling of `Role` under `Fn::If`)."""
        role = props.get("Role")
        cond = res.get("Condition")
        if role is None or _novalue(role):
            return True, cond
        if _if(role):
            items = role["Fn::If"]
            if not isinstance(items, list) or len(items) != 3:
                raise self.error(f"malformed `Role` of `{logical}`", _pos(role, self.t.loc_of(logical)))
            c, yes, no = items
            if _novalue(yes) and _novalue(no):
                return True, cond
            if _novalue(yes):
                return True, c
            if _novalue(no):
                negated = f"NOT{c}"
                conditions = self.t.conditions
                if negated not in conditions:
                    if not isinstance(conditions, PDict):
                        conditions = self.t.conditions = PDict(conditions)
                    conditions[negated] = {"Fn::Not": [{"Condition": c}]}
                return True, negated
        return False, None

    def _role(self, logical: str, res: PDict, props: PDict, trust: Any, managed: list, inline: list,
              tags: list, generated: dict, condition: Any) -> None:
        fn_at = self.t.loc_of(logical)
        at = props.key_pos.get("Policies", fn_at) if isinstance(props, PDict) else fn_at
        role = PDict(pos=at)
        role.update({"AssumeRolePolicyDocument": trust, "ManagedPolicyArns": PList(managed, pos=at),
                     "Policies": PList(inline, pos=at), "Tags": tags})
        role.key_pos.update({"AssumeRolePolicyDocument": props.key_pos.get("AssumeRolePolicyDocument", fn_at),
                             "ManagedPolicyArns": at, "Policies": at, "Tags": props.key_pos.get("Tags", fn_at)})
        for key in ("RolePath", "PermissionsBoundary"):
            if props.get(key) is not None:
                target = "Path" if key == "RolePath" else key
                role[target] = props[key]
                role.key_pos[target] = props.key_pos.get(key, fn_at)
        out = PDict({"Type": "AWS::IAM::Role", "Properties": role}, pos=at)
        if condition is not None:
            out["Condition"] = condition
        generated[logical + "Role"] = (out, at)

    @staticmethod
    def _tags(key: str, tags: Any) -> Any:
        out = [{"Key": key, "Value": "SAM"}]
        if isinstance(tags, dict) and not _intrinsic(tags):
            out += [{"Key": k, "Value": v} for k, v in tags.items()]
        return out

    def _referable(self, logical: str, rtype: str, res: PDict) -> None:
        """The references SAM resolves to resources it generates (``!Ref MyFunction.Alias``; the implicit
        ``ServerlessRestApi``): known to exist, their values only after deploy.
        https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources.html"""
        props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
        names = list(_REFERABLE.get(rtype, ()))
        global_fn = self.t.doc.get("Globals")
        global_fn = global_fn.get("Function") if isinstance(global_fn, dict) else None
        alias = props.get("AutoPublishAlias")
        if alias is None and isinstance(global_fn, dict):
            alias = global_fn.get("AutoPublishAlias")
        if rtype == "AWS::Serverless::Function" and alias is None:
            names = [n for n in names if n not in ("Alias", "Version")]
        for prop in names:
            if prop == "Alias" and isinstance(alias, str):
                # an alias's ARN is its function's with the alias name after it (Ref of AWS::Lambda::Alias:
                # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-alias.html)
                self.t.extra_refs[f"{logical}.Alias"] = concat([self.t.getatt(logical, "Arn"), ":", alias])
                continue
            self.t.extra_refs[f"{logical}.{prop}"] = atom(
                f"ref:{logical}.{prop}", f"`{logical}.{prop}`, which the SAM transform generates, is known only "
                                         "after deploy")
        if rtype == "AWS::Serverless::Function":
            events = props.get("Events")
            for event in events.values() if isinstance(events, dict) else ():
                etype = event.get("Type") if isinstance(event, dict) else None
                ep = event.get("Properties") if isinstance(event, dict) else None
                ep = ep if isinstance(ep, dict) else {}
                if etype == "Api" and "RestApiId" not in ep:
                    self.t.extra_refs.setdefault("ServerlessRestApi", atom(
                        "ref:ServerlessRestApi", "the API the SAM transform generates is known only after deploy"))
                elif etype == "HttpApi" and "ApiId" not in ep:
                    self.t.extra_refs.setdefault("ServerlessHttpApi", atom(
                        "ref:ServerlessHttpApi", "the API the SAM transform generates is known only after deploy"))

    def _function(self, logical: str, res: PDict, global_props: Any, generated: dict) -> None:
        props = self._properties(logical, res, global_props)
        make, condition = self._role_condition(logical, res, props)
        if not make:
            return  # the function runs as the role it names; SAM adds nothing to that role
        role = logical + "Role"
        fn_at = self.t.loc_of(logical)
        key_at = props.key_pos.get("Policies", fn_at)
        trust = props.get("AssumeRolePolicyDocument")
        if trust is None:
            trust = {"Version": "2012-10-17", "Statement": [
                {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}]}
        basic = ("service-role/AWSLambdaBasicDurableExecutionRolePolicy" if props.get("DurableConfig")
                 else "service-role/AWSLambdaBasicExecutionRole")
        managed: list = [self._aws_managed(basic)]
        tracing = props.get("Tracing")
        if tracing and self.t.resolve_at(tracing, logical) != "Disabled":
            managed.append(self._aws_managed("AWSXrayWriteOnlyAccess"))
        if props.get("VpcConfig"):
            managed.append(self._aws_managed("service-role/AWSLambdaVPCAccessExecutionRole"))
        inline: list = []
        self._invoke_destinations(logical, props, inline)
        self._policies(props.get("Policies"), role, key_at, managed, inline)
        self._events(logical, props, managed, inline)
        self._role(logical, res, props, trust, managed, inline, self._tags("lambda:createdBy", props.get("Tags")),
                   generated, condition)

    def _aws_managed(self, name: str) -> str:
        return f"arn:{_PARTITION}:iam::aws:policy/{name}"

    def _s3_destination(self, policy_name: str, arn: Any, at: Loc) -> PDict:
        return _located({"PolicyName": policy_name, "PolicyDocument": {"Statement": [
            {"Action": "s3:PutObject", "Effect": "Allow", "Resource": {"Fn::Join": ["/", [arn, "*"]]}},
            {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": arn}]}}, at)

    def _invoke_destinations(self, logical: str, props: PDict, inline: list) -> None:
        config = props.get("EventInvokeConfig")
        dests = config.get("DestinationConfig") if isinstance(config, dict) else None
        if not isinstance(dests, dict):
            return
        for which in ("OnSuccess", "OnFailure"):
            d = dests.get(which)
            if isinstance(d, dict) and d.get("Type") == "S3Bucket":
                at = dests.key_pos.get(which) if isinstance(dests, PDict) and which in dests.key_pos else \
                    props.key_pos.get("EventInvokeConfig", self.t.loc_of(logical))
                if d.get("Destination") is None:
                    raise self.error(f"`{which}` of `{logical}` needs a `Destination` for `Type: S3Bucket`", at)
                inline.append(self._s3_destination(f"{logical}EventInvokeConfig{which}S3Policy", d["Destination"], at))

    def _events(self, logical: str, props: PDict, managed: list, inline: list) -> None:
        events = props.get("Events")
        if not isinstance(events, dict):
            return
        for name, event in sorted(events.items()):
            if not isinstance(event, dict):
                continue
            etype = event.get("Type")
            if not isinstance(etype, str) or etype not in _PULL_EVENTS:
                continue  # an S3 event adds the bucket's notification and a Lambda permission, no role access
            if etype in _EVENT_MANAGED:
                arn = self._aws_managed(_EVENT_MANAGED[etype])
                if arn not in managed:
                    managed.append(arn)
            ep = event.get("Properties")
            dest = ep.get("DestinationConfig") if isinstance(ep, dict) else None
            fail = dest.get("OnFailure") if isinstance(dest, dict) else None
            if isinstance(fail, dict) and fail.get("Type") == "S3":
                at = dest.key_pos.get("OnFailure") if isinstance(dest, PDict) and "OnFailure" in dest.key_pos else \
                    events.key_pos.get(name, self.t.loc_of(logical))
                inline.append(self._s3_destination(f"{logical}{name}S3Policy", fail.get("Destination"), at))

    def _state_machine(self, logical: str, res: PDict, global_props: Any, generated: dict) -> None:
        props = self._properties(logical, res, global_props)
        if props.get("Role") is not None and props.get("Policies"):
            raise self.error(f"specify either `Role` or `Policies` of `{logical}`, not both",
                             props.key_pos.get("Role", self.t.loc_of(logical)))
        if props.get("Role") is not None:
            return
        role = logical + "Role"
        policies = props.get("Policies")
        policies = list(policies) if isinstance(policies, list) else ([policies] if policies else [])
        tracing = props.get("Tracing")
        if isinstance(tracing, dict) and tracing.get("Enabled") is True:
            policies.append("AWSXrayWriteOnlyAccess")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["states.amazonaws.com"]}}]}
        managed: list = []
        inline: list = []
        self._policies(PList(policies, pos=getattr(props.get("Policies"), "pos", None)), role,
                       props.key_pos.get("Policies", self.t.loc_of(logical)), managed, inline)
        self._role(logical, res, props, trust, managed, inline, self._tags("stateMachine:createdBy", props.get("Tags")),
                   generated, res.get("Condition"))

    # -- connectors ------------------------------------------------------------------------------------------
    def _connector(self, logical: str, props: Any, source: Any, res: PDict, generated: dict,
                   at: Loc | None = None) -> None:
        at = at or self.t.loc_of(logical)
        if not isinstance(props, dict):
            raise self.error(f"connector `{logical}` needs `Properties`", at)
        source = source if source is not None else props.get("Source")
        dests = props.get("Destination")
        dests = dests if isinstance(dests, list) else [dests]
        permissions = props.get("Permissions")
        for index, dest in enumerate(dests):
            if not self._is_bucket(dest):
                continue  # connector profiles to other destinations allow only that service's actions
            if not isinstance(permissions, list) or not permissions or any(
                    not isinstance(p, str) or p not in _S3_CONNECTOR for p in permissions):
                raise self.error(f"connector `{logical}` to an S3 bucket takes `Permissions` `Read` and/or `Write`",
                                 _pos(permissions, at))
            role = self._source_role(source)
            arn = (PDict({"Fn::GetAtt": [dest["Id"], "Arn"]}) if isinstance(dest, dict) and "Id" in dest
                   else dest.get("Arn"))
            if role is None or arn is None:
                self.b.unplaced(logical, f"the role or the bucket of connector `{logical}` is not known")
                continue
            resource = [arn, {"Fn::Sub": ["${DestinationArn}/*", {"DestinationArn": arn}]}]
            # one statement per access category, in the profile's order (Read, Write)
            doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(_S3_CONNECTOR[c]),
                                                           "Resource": resource}
                                                          for c in _S3_CONNECTOR if c in permissions]}
            name = f"{logical}PolicyDestination{index}" if isinstance(props.get("Destination"), list) else f"{logical}Policy"
            policy = PDict({"PolicyDocument": _located(doc, at), "Roles": [role]}, pos=at)
            policy.key_pos.update({"PolicyDocument": at, "Roles": at})
            out = PDict({"Type": "AWS::IAM::ManagedPolicy", "Properties": policy}, pos=at)
            if res.get("Condition") is not None:
                out["Condition"] = res["Condition"]
            generated[name] = (out, at)

    def _is_bucket(self, dest: Any) -> bool:
        if not isinstance(dest, dict):
            return False
        if "Id" in dest:
            target = self.t.resources.get(dest["Id"]) if isinstance(dest["Id"], str) else None
            return isinstance(target, dict) and target.get("Type") == "AWS::S3::Bucket"
        return dest.get("Type") == "AWS::S3::Bucket"

    def _source_role(self, source: Any) -> Any:
        """The role name of a connector's source (its `RoleName`, or the role of the function or state machine
        its `Id` names), raw; None when it cannot be known."""
        if not isinstance(source, dict):
            return None
        if "RoleName" in source:
            return source["RoleName"]
        sid = source.get("Id")
        res = self.t.resources.get(sid) if isinstance(sid, str) else None
        if not isinstance(res, dict) or res.get("Type") not in _CONNECTOR_SOURCES:
            return None
        props = res.get("Properties") or {}
        role = props.get("RoleArn") if "StepFunctions" in res["Type"] else props.get("Role")
        if role is None:
            return PDict({"Ref": sid + "Role"}) if res["Type"].startswith("AWS::Serverless::") else None
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            target = role["Fn::GetAtt"]
            target = target.split(".", 1)[0] if isinstance(target, str) else target[0]
            return PDict({"Ref": target})
        if isinstance(role, str) and ":role/" in role:
            return role.rsplit("/", 1)[-1]
        return None


def _located(value: Any, at: Loc) -> Any:
    """Plain dicts/lists as PDict/PList at ``at`` (generated text has no position of its own)."""
    if isinstance(value, dict) and not isinstance(value, PDict):
        out = PDict({k: _located(v, at) for k, v in value.items()}, pos=at)
        return out
    if isinstance(value, list) and not isinstance(value, PList):
        return PList((_located(v, at) for v in value), pos=at)
    return value


def expand(t, b) -> None:
    """Add to ``t.resources`` what the SAM transform generates that decides S3 access (see the module doc)."""
    _Expander(t, b).run()
