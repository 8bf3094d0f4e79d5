"""The collector's reads of compute that runs as a role, region by region, and of the IAM credential report.

Every read is a List/Describe/Get (and ``iam:GenerateCredentialReport``, which only asks IAM to prepare the
report; its access level is Read). What is read and why is in docs/snapshot-format.md ("Compute"): the shapes
are AWS's, each item gains the ``Region`` it was read in. A listing that fails in a region is named in the
account's errors as ``"<service>:<Operation>@<region>"`` (the service prefix of the IAM action), so that the
kind's inventory is unknown rather than empty; a per-item read that fails goes to the item's ``Errors``.

Each reader is one task on the collector's worker pool, per region, so that a large estate is read in parallel
with its buckets; a reader never waits on another task (the pool is shared and bounded).
"""
from __future__ import annotations

import base64
import csv
import io
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .aws import Collector, _Account

# Sections are merged per account: (service key, list key) -> items of every region.
Found = dict[tuple[str, str], list]


class RegionalFailure(Exception):
    """A listing call failed in one region: its IAM action name and the error code."""

    def __init__(self, action: str, code: str):
        super().__init__(action, code)
        self.action, self.code = action, code


@dataclass(frozen=True)
class RegionalReader:
    client: str  # the boto3 client
    read: Callable[["Collector", Any, str], Found]  # (collector, client, region) -> found; raises RegionalFailure


def _listed(collector: "Collector", client: Any, action: str, method: str, key: str, **kwargs: Any) -> list:
    try:
        return collector._paginate(client, method, key, **kwargs)
    except collector._api_errors as exc:
        raise RegionalFailure(action, collector.error_code(exc)) from None


def _call(collector: "Collector", action: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except collector._api_errors as exc:
        raise RegionalFailure(action, collector.error_code(exc)) from None


def _item_call(collector: "Collector", item: dict, operation: str, fn: Callable[[], Any],
               absent: frozenset[str] = frozenset()) -> Any:
    """A per-item read: its failure is recorded in the item's ``Errors``; an ``absent`` code means none."""
    try:
        return fn()
    except collector._api_errors as exc:
        code = collector.error_code(exc)
        if code not in absent:
            item.setdefault("Errors", {})[operation] = code
            collector.progress.add(errors=1)
        return None


def _described(c: "Collector", summaries: list, operation: str, describe: Callable[[dict], dict],
               body: Callable[[dict], dict] = lambda found: found) -> list:
    """Each listed item with what its Describe call adds (``body`` picks it out of the answer); a failed call
    is named in the item's ``Errors``."""
    out = []
    for summary in summaries:
        item = dict(summary)
        found = _item_call(c, item, operation, lambda: describe(summary))
        if found:
            item.update({k: v for k, v in body(found).items() if k != "ResponseMetadata"})
        out.append(item)
    return out


def _in(region: str, items: list) -> list:
    for item in items:
        item["Region"] = region
    return items


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def read_instances(c: "Collector", ec2: Any, region: str) -> Found:
    reservations = _listed(c, ec2, "ec2:DescribeInstances", "describe_instances", "Reservations")
    return {("ec2", "instances"): _in(region, [i for r in reservations for i in r.get("Instances", [])])}


def read_managed_nodes(c: "Collector", ssm: Any, region: str) -> Found:
    listed = _listed(c, ssm, "ssm:DescribeInstanceInformation", "describe_instance_information",
                     "InstanceInformationList")
    return {("ssm", "instance_information"): _in(region, listed)}


def read_functions(c: "Collector", lam: Any, region: str) -> Found:
    functions = _in(region, _listed(c, lam, "lambda:ListFunctions", "list_functions", "Functions"))
    for f in functions:
        found = _item_call(c, f, "GetPolicy", lambda: lam.get_policy(FunctionName=f["FunctionArn"]),
                           frozenset({"ResourceNotFoundException"}))
        if found and found.get("Policy"):
            f["Policy"] = c.policy_document(found["Policy"])
    return {("lambda", "functions"): functions}


def read_dev_endpoints(c: "Collector", glue: Any, region: str) -> Found:
    return {("glue", "dev_endpoints"): _in(region, _listed(c, glue, "glue:GetDevEndpoints", "get_dev_endpoints",
                                                           "DevEndpoints"))}


def read_glue_jobs(c: "Collector", glue: Any, region: str) -> Found:
    return {("glue", "jobs"): _in(region, _listed(c, glue, "glue:GetJobs", "get_jobs", "Jobs"))}


def read_notebooks(c: "Collector", sm: Any, region: str) -> Found:
    listed = _listed(c, sm, "sagemaker:ListNotebookInstances", "list_notebook_instances", "NotebookInstances")
    out = _described(c, [{k: s[k] for k in ("NotebookInstanceName", "NotebookInstanceArn") if k in s} for s in listed],
                     "DescribeNotebookInstance",
                     lambda s: sm.describe_notebook_instance(NotebookInstanceName=s["NotebookInstanceName"]))
    return {("sagemaker", "notebook_instances"): _in(region, out)}


def read_projects(c: "Collector", cb: Any, region: str) -> Found:
    names = _listed(c, cb, "codebuild:ListProjects", "list_projects", "projects")
    projects = []
    for chunk in _chunks(names, 100):  # BatchGetProjects takes at most 100 names
        found = _call(c, "codebuild:BatchGetProjects", lambda: cb.batch_get_projects(names=chunk))
        projects.extend(found.get("projects", []))
    return {("codebuild", "projects"): _in(region, projects)}


def read_stacks(c: "Collector", cfn: Any, region: str) -> Found:
    return {("cloudformation", "stacks"): _in(region, _listed(c, cfn, "cloudformation:DescribeStacks",
                                                              "describe_stacks", "Stacks"))}


def read_task_definitions(c: "Collector", ecs: Any, region: str) -> Found:
    arns = _listed(c, ecs, "ecs:ListTaskDefinitions", "list_task_definitions", "taskDefinitionArns", status="ACTIVE")
    out = _described(c, [{"taskDefinitionArn": arn} for arn in arns], "DescribeTaskDefinition",
                     lambda s: ecs.describe_task_definition(taskDefinition=s["taskDefinitionArn"]),
                     lambda found: found.get("taskDefinition") or {})
    return {("ecs", "task_definitions"): _in(region, out)}


def read_services(c: "Collector", ecs: Any, region: str) -> Found:
    out = []
    for cluster in _listed(c, ecs, "ecs:ListClusters", "list_clusters", "clusterArns"):
        arns = _listed(c, ecs, "ecs:ListServices", "list_services", "serviceArns", cluster=cluster)
        for chunk in _chunks(arns, 10):  # DescribeServices takes at most 10 services
            found = _call(c, "ecs:DescribeServices", lambda: ecs.describe_services(cluster=cluster, services=chunk))
            out.extend(found.get("services", []))
    return {("ecs", "services"): _in(region, out)}


def read_state_machines(c: "Collector", sfn: Any, region: str) -> Found:
    out = _described(c, _listed(c, sfn, "states:ListStateMachines", "list_state_machines", "stateMachines"),
                     "DescribeStateMachine", lambda s: sfn.describe_state_machine(stateMachineArn=s["stateMachineArn"]))
    return {("stepfunctions", "state_machines"): _in(region, out)}


READERS: tuple[RegionalReader, ...] = (
    RegionalReader("ec2", read_instances), RegionalReader("ssm", read_managed_nodes),
    RegionalReader("lambda", read_functions), RegionalReader("glue", read_dev_endpoints),
    RegionalReader("glue", read_glue_jobs), RegionalReader("sagemaker", read_notebooks),
    RegionalReader("codebuild", read_projects), RegionalReader("cloudformation", read_stacks),
    RegionalReader("ecs", read_task_definitions), RegionalReader("ecs", read_services),
    RegionalReader("stepfunctions", read_state_machines),
)
# Every section the readers fill: present (perhaps empty) once read, so that absent means "not collected".
SECTIONS = (("ec2", "instances"), ("ssm", "instance_information"), ("lambda", "functions"), ("glue", "dev_endpoints"),
            ("glue", "jobs"), ("sagemaker", "notebook_instances"), ("codebuild", "projects"),
            ("cloudformation", "stacks"), ("ecs", "task_definitions"), ("ecs", "services"),
            ("stepfunctions", "state_machines"))


def regions(c: "Collector", ctx: "_Account") -> tuple[list[str], dict]:
    """The account's enabled regions (``ec2:DescribeRegions``), narrowed to ``--regions`` when given. When the
    listing fails, the home region (and any asked for) is still read, and the failure recorded."""
    wanted = list(c.options.regions)
    try:
        listed = ctx.client("ec2").describe_regions(AllRegions=False).get("Regions", [])
    except c._api_errors as exc:
        c.progress.add(errors=1)
        return sorted(set(wanted or [c.home_region])), {"ec2:DescribeRegions": c.error_code(exc)}
    enabled = sorted(r["RegionName"] for r in listed if r.get("RegionName"))
    return ([r for r in enabled if r in wanted] if wanted else enabled), {}


def read_region(c: "Collector", ctx: "_Account", reader: RegionalReader, region: str) -> tuple[Found, dict]:
    try:
        return reader.read(c, ctx.client(reader.client, region), region), {}
    except RegionalFailure as failure:
        c.progress.add(errors=1)
        return {}, {f"{failure.action}@{region}": failure.code}


def merge_found(account: dict, found: Found) -> None:
    for (service, key), items in found.items():
        account.setdefault(service, {}).setdefault(key, []).extend(items)


def empty_sections(account: dict) -> None:
    for service, key in SECTIONS:
        account.setdefault(service, {}).setdefault(key, [])


# The credential report: GenerateCredentialReport starts it, GetCredentialReport returns it once COMPLETE.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
REPORT_WAIT_SECONDS = 60.0
REPORT_POLL_SECONDS = 2.0


def credential_report(c: "Collector", ctx: "_Account", sleep: Callable[[float], None] = time.sleep
                      ) -> tuple[list[dict] | None, dict]:
    iam = ctx.client("iam")
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    while True:
        try:
            state = iam.generate_credential_report().get("State")
        except c._api_errors as exc:
            c.progress.add(errors=1)
            return None, {"iam:GenerateCredentialReport": c.error_code(exc)}
        if state == "COMPLETE" or time.monotonic() >= deadline:
            break
        sleep(REPORT_POLL_SECONDS)
    try:
        content = iam.get_credential_report().get("Content", b"")
    except c._api_errors as exc:
        c.progress.add(errors=1)
        return None, {"iam:GetCredentialReport": c.error_code(exc)}
    if isinstance(content, str):  # botocore decodes the blob; a raw answer is base64 text
        content = base64.b64decode(content)
    return list(csv.DictReader(io.StringIO(content.decode("utf-8", "replace")))), {}
