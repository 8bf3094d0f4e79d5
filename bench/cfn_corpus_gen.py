"""A corpus of our own: realistic CloudFormation and SAM templates, made from the shapes teams write (used by
``bench/cfn_corpus.py --own``; ``python bench/cfn_corpus_gen.py DIR [N]`` writes them to DIR).

Each template combines a few building blocks, chosen by a seeded generator so the corpus is the same on every
run: buckets named by a literal, by ``!Sub`` of the stack and account, or by CloudFormation; bucket policies that
name their bucket by ``!Ref``, ``!GetAtt ...Arn`` or the same ``!Sub`` (TLS-only denies, CloudFront origin access
naming the distribution by reference, cross-account reads by a parameter without default); roles with inline
policies and AWS managed policies by ARN; replication, logging, Object Lock, access points; SAM functions with
policy templates, ``AutoPublishAlias`` and S3 events; ``AWS::LanguageExtensions`` loops; conditions; Rules;
``AWS::Include``. Written as YAML (short tags or long form) or JSON. Every template is one CloudFormation accepts:
the corpus measures refusals of valid input, which must be none.
"""
from __future__ import annotations

import json
import os
import random
import sys
from typing import Any

import yaml

N_DEFAULT = 120


def sub(text: str) -> dict:
    return {"Fn::Sub": text}


def ref(name: str) -> dict:
    return {"Ref": name}


def arn_of(logical: str) -> dict:
    return {"Fn::GetAtt": [logical, "Arn"]}


def statement(sid: Any, effect: str, principal: Any, action: Any, resource: Any, condition: dict | None = None) -> dict:
    st = {"Sid": sid, "Effect": effect, "Principal": principal, "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


class Template:
    def __init__(self, rng: random.Random, i: int):
        self.rng, self.i = rng, i
        self.t: dict = {"AWSTemplateFormatVersion": "2010-09-09", "Description": f"corpus template {i}",
                        "Resources": {}}
        self.transforms: list[str] = []

    def add(self, logical: str, rtype: str, props: dict | None = None, **extra: Any) -> str:
        res: dict = {"Type": rtype}
        if props is not None:
            res["Properties"] = props
        res.update(extra)
        self.t["Resources"][logical] = res
        return logical

    def param(self, name: str, default: str | None = None, ptype: str = "String") -> None:
        spec: dict = {"Type": ptype}
        if default is not None:
            spec["Default"] = default
        self.t.setdefault("Parameters", {})[name] = spec

    # -- building blocks
    def bucket(self, n: int) -> tuple[str, Any, Any]:
        """A bucket: (logical id, what names it in a policy's Bucket, the ARN expression)."""
        logical = f"Data{n}"
        style = self.rng.choice(["literal", "sub", "generated"])
        props: dict = {}
        if style == "literal":
            props["BucketName"] = f"acme-corpus-{self.i}-{n}"
        elif style == "sub":
            props["BucketName"] = sub(f"${{AWS::StackName}}-data{n}-${{AWS::AccountId}}")
        for setting in self.rng.sample(["encryption", "versioning", "pab", "logging", "lifecycle", "tags",
                                        "ownership", "lock"], self.rng.randint(0, 5)):
            if setting == "encryption":
                props["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": self.rng.choice(["AES256", "aws:kms"])}, "BucketKeyEnabled": True}]}
            elif setting == "versioning":
                props["VersioningConfiguration"] = {"Status": "Enabled"}
            elif setting == "pab":
                props["PublicAccessBlockConfiguration"] = {k: True for k in (
                    "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}
            elif setting == "logging":
                props["LoggingConfiguration"] = {"DestinationBucketName": ref("AccessLogs"), "LogFilePrefix": f"d{n}/"}
                self.add("AccessLogs", "AWS::S3::Bucket", {"OwnershipControls": {"Rules": [
                    {"ObjectOwnership": "BucketOwnerPreferred"}]}})
            elif setting == "lifecycle":
                props["LifecycleConfiguration"] = {"Rules": [{"Id": "expire", "Status": "Enabled",
                                                              "ExpirationInDays": self.rng.choice([30, "90"])}]}
            elif setting == "tags":
                props["Tags"] = [{"Key": "owner", "Value": "data-platform"},
                                 {"Key": "data-class", "Value": self.rng.choice(["internal", "confidential"])}]
            elif setting == "ownership":
                props["OwnershipControls"] = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
            elif setting == "lock":
                props["ObjectLockEnabled"] = True
                props["ObjectLockConfiguration"] = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {
                    "Mode": "GOVERNANCE", "Days": 30}}}
        self.add(logical, "AWS::S3::Bucket", props or None)
        if style == "sub" and self.rng.random() < 0.6:
            name = props["BucketName"]
            return logical, name, sub(f"arn:${{AWS::Partition}}:s3:::${{AWS::StackName}}-data{n}-${{AWS::AccountId}}")
        return logical, ref(logical), arn_of(logical)

    def policy(self, logical: str, name: Any, arn: Any) -> None:
        objects = {"Fn::Join": ["", [arn, "/*"]]} if self.rng.random() < 0.5 else \
            sub("${%s.Arn}/*" % logical)
        statements = []
        kinds = self.rng.sample(["tls", "cloudfront", "partner", "role", "public-read", "service"],
                                self.rng.randint(1, 3))
        for k in kinds:
            if k == "tls":
                statements.append(statement("DenyInsecureTransport", "Deny", "*", "s3:*", [arn, objects],
                                            {"Bool": {"aws:SecureTransport": self.rng.choice(["false", False])}}))
            elif k == "cloudfront":
                self.add("Cdn", "AWS::CloudFront::Distribution", {"DistributionConfig": {"Enabled": True}})
                statements.append(statement("CloudFrontRead", "Allow", {"Service": "cloudfront.amazonaws.com"},
                                            "s3:GetObject", objects, {"StringEquals": {"AWS:SourceArn": sub(
                                                "arn:aws:cloudfront::${AWS::AccountId}:distribution/${Cdn}")}}))
            elif k == "partner":
                self.param("PartnerAccount")
                statements.append(statement("PartnerRead", "Allow", {"AWS": sub("arn:aws:iam::${PartnerAccount}:root")},
                                            ["s3:GetObject", "s3:ListBucket"], [arn, objects]))
            elif k == "role":
                role = self.role(logical)
                statements.append(statement(self.rng.choice(["AppRole", 1]), "Allow", {"AWS": arn_of(role)},
                                            "s3:GetObject", objects))
            elif k == "public-read":
                statements.append(statement("PublicRead", "Allow", "*", "s3:GetObject", objects))
            else:
                statements.append(statement("LogDelivery", "Allow", {"Service": "logging.s3.amazonaws.com"},
                                            "s3:PutObject", objects, {"StringEquals": {
                                                "aws:SourceAccount": ref("AWS::AccountId")}}))
        self.add(f"{logical}Policy", "AWS::S3::BucketPolicy", {"Bucket": name, "PolicyDocument": doc(*statements)})

    def role(self, bucket: str) -> str:
        logical = f"{bucket}Reader"
        props: dict = {"AssumeRolePolicyDocument": doc({"Effect": "Allow", "Principal": {
            "Service": self.rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"])},
            "Action": "sts:AssumeRole"})}
        if self.rng.random() < 0.5:
            props["RoleName"] = sub(f"${{AWS::StackName}}-{bucket.lower()}-reader")
        if self.rng.random() < 0.6:
            props["ManagedPolicyArns"] = [self.rng.choice([
                "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")])]
        props["Policies"] = [{"PolicyName": "read", "PolicyDocument": doc({
            "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [arn_of(bucket), sub("${%s.Arn}/*" % bucket)]})}]
        return self.add(logical, "AWS::IAM::Role", props)

    def sam_function(self, n: int, bucket: str) -> None:
        if "AWS::Serverless-2016-10-31" not in self.transforms:
            self.transforms.append("AWS::Serverless-2016-10-31")
            self.t["Globals"] = {"Function": {"Runtime": "python3.12", "Timeout": 30}}
        props: dict = {"Handler": "app.handler", "CodeUri": "src/", "Policies": [
            {self.rng.choice(["S3ReadPolicy", "S3CrudPolicy", "S3WritePolicy"]): {"BucketName": ref(bucket)}}]}
        if self.rng.random() < 0.5:
            props["AutoPublishAlias"] = "live"
            self.add(f"Invoke{n}", "AWS::Lambda::Permission", {
                "Action": "lambda:InvokeFunction", "FunctionName": ref(f"Fn{n}.Alias"),
                "Principal": "s3.amazonaws.com", "SourceAccount": ref("AWS::AccountId")})
        if self.rng.random() < 0.5:
            props["Policies"].append("AWSLambdaBasicExecutionRole")
        self.add(f"Fn{n}", "AWS::Serverless::Function", props)

    def loop(self) -> None:
        self.transforms.insert(0, "AWS::LanguageExtensions")
        self.param("Teams", "finance,legal,ops", "CommaDelimitedList")
        self.t["Resources"]["Fn::ForEach::Team"] = ["Team", ref("Teams"), {
            "${Team}Archive": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": sub("acme-${Team}-archive-${AWS::AccountId}"),
                "Tags": [{"Key": "config", "Value": {"Fn::ToJsonString": {"team": ref("Team"),
                                                                          "teams": {"Fn::Length": ref("Teams")}}}}]}}}]

    def condition(self, logical: str) -> None:
        self.param("Env", self.rng.choice(["prod", "dev", None]))
        self.t.setdefault("Conditions", {})["IsProd"] = {"Fn::Equals": [ref("Env"), "prod"]}
        props = self.t["Resources"][logical].setdefault("Properties", {})
        props["VersioningConfiguration"] = {"Fn::If": ["IsProd", {"Status": "Enabled"}, ref("AWS::NoValue")]}

    def build(self) -> dict:
        for n in range(self.rng.randint(1, 3)):
            logical, name, arn = self.bucket(n)
            if self.rng.random() < 0.75:
                self.policy(logical, name, arn)
            if self.rng.random() < 0.35:
                self.sam_function(n, logical)
            if self.rng.random() < 0.25:
                self.condition(logical)
        if self.rng.random() < 0.15:
            self.loop()
        if self.rng.random() < 0.1:
            self.t["Rules"] = {"KnownEnv": {"Assertions": [{"Assert": {"Fn::Contains": [["prod", "dev"], ref("Env")]}}]}}
            self.param("Env", "dev")
        if self.rng.random() < 0.05:
            self.t["Resources"]["Fn::Transform"] = {"Name": "AWS::Include", "Parameters": {
                "Location": "s3://acme-snippets/common.yaml"}}
        if self.transforms:
            self.t["Transform"] = self.transforms if len(self.transforms) > 1 else self.transforms[0]
        return self.t


def write_corpus(folder: str, n: int = N_DEFAULT, seed: int = 12) -> list[str]:
    from tests.sources.cfn_mutations import to_yaml  # flow YAML with short tags
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        t = json.loads(json.dumps(Template(rng, i).build()))  # no shared objects: YAML would write aliases
        fmt = rng.choice(["yaml", "yaml", "short", "json"])
        path = os.path.join(folder, f"t{i:03d}.{'json' if fmt == 'json' else 'yaml'}")
        with open(path, "w", encoding="utf-8") as fh:
            if fmt == "json":
                json.dump(t, fh, indent=2)
            elif fmt == "short":
                fh.write(to_yaml(t, short_tags=True))
            else:
                yaml.safe_dump(t, fh, sort_keys=False, width=120)
        paths.append(path)
    return paths


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.makedirs(sys.argv[1], exist_ok=True)
    print(len(write_corpus(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else N_DEFAULT)), "templates")
