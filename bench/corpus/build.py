"""Writes s3audit's corpus of realistic IaC inputs (run from the repository root: python3 bench/corpus/build.py).

The shapes are those teams write and that the readers met on public code (issue 12): roots calling a shared
bucket module (modules/s3-bucket: a `create_bucket` switch, `count`, `try()`, dynamic blocks, policies assembled
from parts by aws_iam_policy_document), names from random_pet and bucket_prefix, values known only after apply
(KMS keys, CloudFront distributions, roles), CloudFront origin access, access-log delivery, replication,
Object Lock, Lambda notifications, cross-account roles with AWS managed policies, provider v3 inline blocks,
JSON syntax, tfvars giving "true" and "30" to bool and number variables, and plans of such changes
(`terraform show -json` shape). Every file is written here, in our own words; the variants differ in the
settings that decide findings (public or private, TLS denied or not, encryption, versioning, logging), so that
the corpus has passes, failures and unknowns. Deterministic: the same files every run.

  bench/corpus/terraform/<name>/        a root module (calls ../../modules/s3-bucket where it uses the module)
  bench/corpus/terraform-plan/<name>.json   a plan, read alone
  bench/corpus/cloudformation/, sam/    templates (kinds the CloudFormation reader's corpus adds)
"""
from __future__ import annotations

import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
TRUST_ACCOUNT = "210987654321"
PROVIDER = "registry.terraform.io/hashicorp/aws"


def provider(region: str = "eu-west-1") -> str:
    return ('terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
            '      version = ">= 5.0"\n    }\n  }\n}\n\n' f'provider "aws" {{\n  region = "{region}"\n}}\n')


def module_call(name: str, *, bucket: str | None = None, prefix: str | None = None, **settings) -> str:
    lines = [f'module "{name}" {{', '  source = "../../modules/s3-bucket"', ""]
    if bucket is not None:
        lines.append(f"  bucket = {bucket}")
    if prefix is not None:
        lines.append(f'  bucket_prefix = "{prefix}"')
    for k, v in settings.items():
        lines.append(f"  {k} = {v}")
    return "\n".join(lines) + "\n}\n"


def hcl(v) -> str:
    """A Python value as an HCL expression."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(hcl(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{\n" + "".join(f"    {k} = {hcl(x)}\n" for k, x in v.items()) + "  }"
    raise TypeError(v)


SSE_KMS = '{\n    rule = {\n      apply_server_side_encryption_by_default = {\n        sse_algorithm     = "aws:kms"\n        kms_master_key_id = aws_kms_key.data.arn\n      }\n      bucket_key_enabled = true\n    }\n  }'
SSE_S3 = '{\n    rule = {\n      apply_server_side_encryption_by_default = {\n        sse_algorithm = "AES256"\n      }\n    }\n  }'
VERSIONING_ON = '{\n    enabled = true\n  }'
VERSIONING_VAR = '{\n    enabled = var.versioning_enabled\n  }'
LOGGING_TO_LOGS = '{\n    target_bucket = module.logs.s3_bucket_id\n    target_prefix = "data/"\n  }'
TAGS = '{\n    Environment = "prod"\n    Owner = "data-platform"\n  }'
LIFECYCLE = ('[\n    {\n      id      = "expire-old"\n      enabled = true\n      prefix  = "tmp/"\n'
             '      expiration = { days = 30 }\n      noncurrent_version_expiration = { days = 90 }\n    }\n  ]')


def module_complete(i: int) -> dict[str, str]:
    """The module with most switches on: logs go to a second bucket of the module, the data bucket's key is a
    KMS key of the configuration (its ARN known after apply), TLS denied or not."""
    tls, kms, public = i % 2 == 0, i % 3 != 0, i % 4 == 3
    main = provider() + f"""
data "aws_caller_identity" "current" {{}}

resource "aws_kms_key" "data" {{
  description             = "data bucket key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}}

{module_call("logs", bucket=f'"acme-complete-{i}-logs"', attach_access_log_delivery_policy="true",
             attach_deny_insecure_transport_policy="true", server_side_encryption_configuration=SSE_S3,
             lifecycle_rule=LIFECYCLE)}
{module_call("data", bucket=f'"acme-complete-{i}-data"',
             versioning=VERSIONING_ON,
             server_side_encryption_configuration=SSE_KMS if kms else SSE_S3,
             logging=LOGGING_TO_LOGS,
             attach_deny_insecure_transport_policy=hcl(tls),
             block_public_policy=hcl(not public), restrict_public_buckets=hcl(not public),
             attach_policy=hcl(public), policy="data.aws_iam_policy_document.read.json" if public else "null",
             tags=TAGS)}
data "aws_iam_policy_document" "read" {{
  statement {{
    sid       = "PublicRead"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::acme-complete-{i}-data/public/*"]

    principals {{
      type        = "*"
      identifiers = ["*"]
    }}
  }}
}}

output "data_bucket_arn" {{
  value = module.data.s3_bucket_arn
}}
"""
    return {"main.tf": main}


def module_random_name(i: int) -> dict[str, str]:
    """A name made at apply time (random_pet), a cross-account reader by variable, versioning as the string
    "true" in tfvars, and `count` switched off for a second bucket."""
    cross = i % 2 == 1
    main = provider("us-east-1") + f"""
resource "random_pet" "this" {{
  length = 2
}}

variable "versioning_enabled" {{
  type = string
}}

variable "reader_account" {{
  type    = string
  default = "{TRUST_ACCOUNT}"
}}

data "aws_iam_policy_document" "cross_account" {{
  statement {{
    sid       = "PartnerRead"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::reports-${{random_pet.this.id}}", "arn:aws:s3:::reports-${{random_pet.this.id}}/*"]

    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{var.reader_account}}:root"]
    }}
  }}
}}

{module_call("reports", bucket='"reports-${random_pet.this.id}"', versioning=VERSIONING_VAR,
             attach_policy=hcl(cross), policy="data.aws_iam_policy_document.cross_account.json",
             attach_deny_insecure_transport_policy="true", server_side_encryption_configuration=SSE_S3)}
{module_call("disabled", create_bucket="false", bucket='"never-created"')}
"""
    return {"main.tf": main, "terraform.tfvars": f'versioning_enabled = "{"true" if i % 3 else "false"}"\n'}


def flat_v4(i: int) -> dict[str, str]:
    """Split-out resources of provider v4+, no module; public ACL or policy in some variants; numbers and bools
    given as strings."""
    acl_public, policy_public, tls = i % 5 == 1, i % 5 == 2, i % 2 == 0
    name = f"acme-flat-{i}"
    parts = [provider(), f'''
locals {{
  name = "{name}"
  days = "365"
}}

resource "aws_s3_bucket" "this" {{
  bucket = local.name
}}

resource "aws_s3_bucket_public_access_block" "this" {{
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = "{str(not acl_public).lower()}"
  block_public_policy     = {str(not policy_public).lower()}
  ignore_public_acls      = {str(not acl_public).lower()}
  restrict_public_buckets = {str(not policy_public).lower()}
}}

resource "aws_s3_bucket_ownership_controls" "this" {{
  bucket = aws_s3_bucket.this.id
  rule {{
    object_ownership = "{"BucketOwnerPreferred" if acl_public else "BucketOwnerEnforced"}"
  }}
}}

resource "aws_s3_bucket_versioning" "this" {{
  bucket = aws_s3_bucket.this.id
  versioning_configuration {{
    status = "{"Enabled" if i % 3 else "Suspended"}"
  }}
}}

resource "aws_s3_bucket_lifecycle_configuration" "this" {{
  bucket = aws_s3_bucket.this.id
  rule {{
    id     = "archive"
    status = "Enabled"
    filter {{}}
    transition {{
      days          = local.days
      storage_class = "GLACIER"
    }}
  }}
}}
''']
    if acl_public:
        parts.append('''
resource "aws_s3_bucket_acl" "this" {
  bucket     = aws_s3_bucket.this.id
  acl        = "public-read"
  depends_on = [aws_s3_bucket_ownership_controls.this, aws_s3_bucket_public_access_block.this]
}
''')
    statements = []
    if policy_public:
        statements.append('{\n        Sid       = "Website"\n        Effect    = "Allow"\n        Principal = "*"\n'
                          '        Action    = "s3:GetObject"\n        Resource  = "${aws_s3_bucket.this.arn}/*"\n      }')
    if tls:
        statements.append('{\n        Sid       = "TLSOnly"\n        Effect    = "Deny"\n        Principal = "*"\n'
                          '        Action    = "s3:*"\n        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]\n'
                          '        Condition = { Bool = { "aws:SecureTransport" = "false" } }\n      }')
    if statements:
        parts.append('''
resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      %s
    ]
  })
}
''' % ",\n      ".join(statements))
    return {"main.tf": "".join(parts)}


def v3_inline(i: int) -> dict[str, str]:
    """Provider v3: versioning, encryption, logging and lifecycle as blocks of aws_s3_bucket, a canned ACL."""
    acl = "public-read" if i % 4 == 1 else "private"
    return {"main.tf": f'''provider "aws" {{
  region = "us-west-2"
}}

resource "aws_s3_bucket" "logs" {{
  bucket = "acme-v3-{i}-logs"
  acl    = "log-delivery-write"
}}

resource "aws_s3_bucket" "site" {{
  bucket = "acme-v3-{i}-site"
  acl    = "{acl}"

  versioning {{
    enabled = {"true" if i % 2 else "false"}
  }}

  logging {{
    target_bucket = aws_s3_bucket.logs.id
    target_prefix = "site/"
  }}

  server_side_encryption_configuration {{
    rule {{
      apply_server_side_encryption_by_default {{
        sse_algorithm = "{"aws:kms" if i % 3 == 0 else "AES256"}"
      }}
    }}
  }}

  lifecycle_rule {{
    id      = "old"
    enabled = true
    expiration {{
      days = {30 + i}
    }}
  }}
}}
'''}


def cloudfront_oac(i: int) -> dict[str, str]:
    """A private bucket read by CloudFront through origin access control: the policy names the distribution by
    reference (its id known only after apply); the rest of the policy (a TLS deny) stays decided."""
    return {"main.tf": provider("us-east-1") + f'''
resource "aws_s3_bucket" "site" {{
  bucket = "acme-cdn-{i}"
}}

resource "aws_s3_bucket_public_access_block" "site" {{
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_cloudfront_origin_access_control" "site" {{
  name                              = "acme-cdn-{i}"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}}

resource "aws_cloudfront_distribution" "site" {{
  enabled             = true
  default_root_object = "index.html"

  origin {{
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_id                = "s3-site"
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }}

  default_cache_behavior {{
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    target_origin_id       = "s3-site"
    viewer_protocol_policy = "redirect-to-https"
    cache_policy_id        = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  }}

  restrictions {{
    geo_restriction {{
      restriction_type = "none"
    }}
  }}

  viewer_certificate {{
    cloudfront_default_certificate = true
  }}
}}

data "aws_iam_policy_document" "site" {{
  statement {{
    sid       = "CloudFrontRead"
    actions   = ["s3:GetObject"]
    resources = ["${{aws_s3_bucket.site.arn}}/*"]

    principals {{
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }}

    condition {{
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }}
  }}
{"" if i % 2 else """
  statement {
    sid     = "DenyPlainHTTP"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [aws_s3_bucket.site.arn, "${aws_s3_bucket.site.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
"""}}}

resource "aws_s3_bucket_policy" "site" {{
  bucket = aws_s3_bucket.site.id
  policy = data.aws_iam_policy_document.site.json
}}
'''}


def lambda_pattern(i: int) -> dict[str, str]:
    """A serverless pattern: uploads to a bucket invoke a function whose role reads the bucket; the role's
    policy names the bucket by reference, the function's ARN is derived from its name."""
    broad = i % 3 == 0
    return {"main.tf": provider() + f'''
resource "aws_s3_bucket" "uploads" {{
  bucket_prefix = "uploads-{i}-"
}}

resource "aws_s3_bucket_public_access_block" "uploads" {{
  bucket                  = aws_s3_bucket.uploads.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_iam_role" "processor" {{
  name = "upload-processor-{i}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "lambda.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})
}}

resource "aws_iam_role_policy" "processor" {{
  name = "read-uploads"
  role = aws_iam_role.processor.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = {'"s3:*"' if broad else '["s3:GetObject", "s3:PutObjectTagging"]'}
      Resource = {'"*"' if broad else '"${aws_s3_bucket.uploads.arn}/*"'}
    }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "logs" {{
  role       = aws_iam_role.processor.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}}

resource "aws_lambda_function" "processor" {{
  function_name = "upload-processor-{i}"
  role          = aws_iam_role.processor.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "build/processor.zip"
}}

resource "aws_lambda_permission" "s3" {{
  statement_id   = "AllowS3Invoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.processor.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.uploads.arn
  source_account = data.aws_caller_identity.current.account_id
}}

data "aws_caller_identity" "current" {{}}

resource "aws_s3_bucket_notification" "uploads" {{
  bucket = aws_s3_bucket.uploads.id

  lambda_function {{
    lambda_function_arn = aws_lambda_function.processor.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "incoming/"
  }}

  depends_on = [aws_lambda_permission.s3]
}}
'''}


KEY_VARIABLE = '''
variable "replica_key_arn" {
  type = string
}
'''


def replication(i: int) -> dict[str, str]:
    """Cross-region replication to a bucket of another module (its ARN a module output) under a replication
    role; the destination's region comes from a second provider."""
    return {"main.tf": f'''provider "aws" {{
  region = "eu-west-1"
}}

provider "aws" {{
  alias  = "replica"
  region = "eu-central-1"
}}

{module_call("replica", bucket=f'"acme-repl-{i}-replica"', versioning=VERSIONING_ON)}
resource "aws_s3_bucket" "source" {{
  bucket = "acme-repl-{i}-source"
}}

resource "aws_s3_bucket_versioning" "source" {{
  bucket = aws_s3_bucket.source.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_iam_role" "replication" {{
  name = "acme-repl-{i}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "s3.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_s3_bucket_replication_configuration" "source" {{
  depends_on = [aws_s3_bucket_versioning.source]
  role       = aws_iam_role.replication.arn
  bucket     = aws_s3_bucket.source.id

  rule {{
    id     = "everything"
    status = "Enabled"

    filter {{}}

    delete_marker_replication {{
      status = "Enabled"
    }}

    destination {{
      bucket        = module.replica.s3_bucket_arn
      storage_class = "STANDARD_IA"
{"" if i % 2 else """      encryption_configuration {
        replica_kms_key_id = var.replica_key_arn
      }
"""}    }}
{"" if i % 2 else """
    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }
"""}  }}
}}
{"" if i % 2 else KEY_VARIABLE}'''}


def object_lock_logging(i: int) -> dict[str, str]:
    """An audit bucket created with Object Lock (so versioned), and the bucket it logs to, which grants S3's
    logging service writes under aws:SourceAccount of the same account."""
    return {"main.tf": provider() + f'''
data "aws_caller_identity" "current" {{}}

resource "aws_s3_bucket" "audit" {{
  bucket              = "acme-audit-{i}"
  object_lock_enabled = true
}}

resource "aws_s3_bucket_object_lock_configuration" "audit" {{
  bucket = aws_s3_bucket.audit.id
  rule {{
    default_retention {{
      mode = "{"COMPLIANCE" if i % 2 else "GOVERNANCE"}"
      days = {365 * (1 + i % 3)}
    }}
  }}
}}

resource "aws_s3_bucket" "access_logs" {{
  bucket = "acme-audit-{i}-access-logs"
}}

resource "aws_s3_bucket_logging" "audit" {{
  bucket        = aws_s3_bucket.audit.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "audit/"
}}

resource "aws_s3_bucket_policy" "access_logs" {{
  bucket = aws_s3_bucket.access_logs.id
  policy = <<-POLICY
    {{
      "Version": "2012-10-17",
      "Statement": [
        {{
          "Sid": "S3ServerAccessLogsPolicy",
          "Effect": "Allow",
          "Principal": {{"Service": "logging.s3.amazonaws.com"}},
          "Action": "s3:PutObject",
          "Resource": "${{aws_s3_bucket.access_logs.arn}}/*",
          "Condition": {{
            "ArnLike": {{"aws:SourceArn": "${{aws_s3_bucket.audit.arn}}"}},
            "StringEquals": {{"aws:SourceAccount": "${{data.aws_caller_identity.current.account_id}}"}}
          }}
        }}
      ]
    }}
  POLICY
}}
'''}


def cross_account_role(i: int) -> dict[str, str]:
    """A role another account may assume, with an AWS managed policy attached by ARN (its document ships with
    s3audit), and in some variants an external id given at apply time (a variable without a value: unknown)."""
    managed = ["AmazonS3ReadOnlyAccess", "AmazonS3FullAccess", "ReadOnlyAccess", "AdministratorAccess"][i % 4]
    cond = ('\n      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }' if i % 2 else "")
    return {"main.tf": provider() + f'''
variable "external_id" {{
  type      = string
  sensitive = true
}}

resource "aws_s3_bucket" "shared" {{
  bucket = "acme-shared-{i}"
}}

resource "aws_iam_role" "partner" {{
  name = "partner-{i}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ AWS = "arn:aws:iam::{TRUST_ACCOUNT}:root" }}
      Action    = "sts:AssumeRole"{cond}
    }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "partner" {{
  role       = aws_iam_role.partner.name
  policy_arn = "arn:aws:iam::aws:policy/{managed}"
}}
'''}


def json_syntax(i: int) -> dict[str, str]:
    """The same kind of configuration in Terraform's JSON syntax (.tf.json), as generators write it."""
    doc = {
        "provider": {"aws": {"region": "eu-north-1"}},
        "resource": {
            "aws_s3_bucket": {"this": {"bucket": f"acme-json-{i}"}},
            "aws_s3_bucket_versioning": {"this": {"bucket": "${aws_s3_bucket.this.id}",
                                                  "versioning_configuration": {"status": "Enabled"}}},
            "aws_s3_bucket_public_access_block": {"this": {
                "bucket": "${aws_s3_bucket.this.id}", "block_public_acls": True, "block_public_policy": i % 2 == 0,
                "ignore_public_acls": True, "restrict_public_buckets": i % 2 == 0}},
            "aws_s3_bucket_server_side_encryption_configuration": {"this": {
                "bucket": "${aws_s3_bucket.this.id}",
                "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms:dsse"}]}]}},
        },
    }
    return {"main.tf.json": json.dumps(doc, indent=2) + "\n"}


SHAPES = {
    "module-complete": (module_complete, 10),
    "module-random-name": (module_random_name, 8),
    "flat-v4": (flat_v4, 10),
    "v3-inline": (v3_inline, 6),
    "cloudfront-oac": (cloudfront_oac, 6),
    "lambda-notification": (lambda_pattern, 6),
    "replication": (replication, 6),
    "object-lock-logging": (object_lock_logging, 4),
    "cross-account-role": (cross_account_role, 8),
    "json-syntax": (json_syntax, 4),
}


# -- plans ------------------------------------------------------------------------------------------------------

def _rc(address: str, values: dict, unknown: dict, actions=("create",), before=None) -> tuple[dict, dict]:
    module = address.rsplit(".", 2)[0] if address.startswith("module.") else None
    base = address[len(module) + 1:] if module else address
    rtype, name = base.split(".")[0], base.split(".")[1].split("[")[0]
    r = {"address": address, "mode": "managed", "type": rtype, "name": name, "provider_name": PROVIDER,
         "schema_version": 0, "values": values, "sensitive_values": {}}
    if "[" in base:
        r["index"] = int(base.split("[")[1].rstrip("]"))
    rc = {k: r[k] for k in ("address", "mode", "type", "name")}
    if module:
        rc["module_address"] = module
    if "index" in r:
        rc["index"] = r["index"]
    rc["provider_name"] = PROVIDER
    after = None if list(actions) == ["delete"] else values
    rc["change"] = {"actions": list(actions), "before": before, "after": after, "after_unknown": unknown,
                    "before_sensitive": False if before is None else {}, "after_sensitive": {} if after else False}
    return r, rc


def plan_of(entries: list[tuple[str, dict, dict]], config: list[dict], *, region: str = "us-east-1",
            variables: dict | None = None, deletes: list[tuple[str, dict]] = ()) -> dict:
    resources, changes = [], []
    for address, values, unknown in entries:
        r, rc = _rc(address, values, unknown)
        resources.append(r)
        changes.append(rc)
    for address, before in deletes:
        _, rc = _rc(address, before, {}, actions=("delete",), before=before)
        changes.append(rc)
    return {"format_version": "1.2", "terraform_version": "1.9.5",
            "variables": {k: {"value": v} for k, v in (variables or {}).items()},
            "planned_values": {"root_module": {"resources": resources}},
            "resource_changes": changes,
            "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": PROVIDER,
                                                          "expressions": {"region": {"constant_value": region}}}},
                              "root_module": {"resources": config}}}


def _conf(address: str, expressions: dict) -> dict:
    rtype, name = address.split(".")[:2]
    return {"address": address, "mode": "managed", "type": rtype, "name": name, "provider_config_key": "aws",
            "expressions": expressions, "schema_version": 0}


def plan_bucket(i: int) -> dict:
    """A bucket with its split-out settings; the policy's text known (TLS deny, sometimes a public read) or,
    every third plan, known only after apply (a policy document over a KMS key's ARN)."""
    name = f"acme-plan-{i}"
    arn = f"arn:aws:s3:::{name}"
    tls = {"Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, arn + "/*"],
           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    public = {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": arn + "/*"}
    statements = [tls] + ([public] if i % 4 == 1 else [])
    unknown_policy = i % 3 == 2
    entries = [
        ("aws_s3_bucket.this", {"bucket": name, "force_destroy": False, "object_lock_enabled": i % 5 == 0,
                                "tags": {"Team": "plan"}}, {"arn": True, "id": True, "bucket_domain_name": True}),
        ("aws_s3_bucket_public_access_block.this", {"bucket": name, "block_public_acls": True,
                                                    "block_public_policy": i % 4 != 1, "ignore_public_acls": True,
                                                    "restrict_public_buckets": i % 4 != 1}, {"id": True}),
        ("aws_s3_bucket_versioning.this", {"bucket": name, "expected_bucket_owner": None, "mfa": None,
                                           "versioning_configuration": [{"mfa_delete": None,
                                                                         "status": "Enabled" if i % 2 else "Suspended"}]},
         {"id": True, "versioning_configuration": [{}]}),
        ("aws_s3_bucket_server_side_encryption_configuration.this",
         {"bucket": name, "rule": [{"apply_server_side_encryption_by_default": [
             {"sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}]},
         {"id": True, "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": True}]}]}),
        ("aws_kms_key.this", {"description": "plan key", "enable_key_rotation": True, "deletion_window_in_days": 7},
         {"arn": True, "key_id": True, "id": True, "policy": True}),
    ]
    policy_values = {"bucket": name} if unknown_policy else {
        "bucket": name, "policy": json.dumps({"Version": "2012-10-17", "Statement": statements})}
    entries.append(("aws_s3_bucket_policy.this", policy_values, {"id": True, **({"policy": True} if unknown_policy else {})}))
    config = [
        _conf("aws_s3_bucket.this", {"bucket": {"constant_value": name}}),
        _conf("aws_s3_bucket_policy.this", {"bucket": {"references": ["aws_s3_bucket.this.id", "aws_s3_bucket.this"]},
                                            "policy": {"references": ["data.aws_iam_policy_document.this.json",
                                                                      "data.aws_iam_policy_document.this"]}}),
    ]
    deletes = [("aws_s3_bucket_acl.old", {"bucket": name, "acl": "public-read", "id": f"{name},public-read"})] if i % 6 == 5 else []
    return plan_of(entries, config, region=["us-east-1", "eu-west-1", "ap-southeast-2"][i % 3], deletes=deletes)


def plan_module(i: int) -> dict:
    """The bucket module's resources under module addresses with count indexes, and a role with a managed policy."""
    name = f"acme-plan-mod-{i}"
    m = "module.bucket"
    managed = ["AmazonS3ReadOnlyAccess", "AmazonS3FullAccess", "AdministratorAccess"][i % 3]
    entries = [
        (f"{m}.aws_s3_bucket.this[0]", {"bucket": name, "object_lock_enabled": False, "force_destroy": False},
         {"arn": True, "id": True}),
        (f"{m}.aws_s3_bucket_public_access_block.this[0]", {"bucket": name, "block_public_acls": True,
                                                             "block_public_policy": True, "ignore_public_acls": True,
                                                             "restrict_public_buckets": True}, {"id": True}),
        (f"{m}.aws_s3_bucket_ownership_controls.this[0]", {"bucket": name, "rule": [
            {"object_ownership": "BucketOwnerEnforced"}]}, {"id": True}),
        ("aws_iam_role.reader", {"name": f"plan-reader-{i}", "path": "/", "assume_role_policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                "AWS": f"arn:aws:iam::{TRUST_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})},
         {"arn": True, "id": True, "unique_id": True}),
        ("aws_iam_role_policy_attachment.reader", {"role": f"plan-reader-{i}",
                                                   "policy_arn": f"arn:aws:iam::aws:policy/{managed}"}, {"id": True}),
    ]
    return plan_of(entries, [_conf("aws_iam_role.reader", {"name": {"constant_value": f"plan-reader-{i}"}})])


PLANS = {"bucket": (plan_bucket, 24), "module": (plan_module, 12)}


def main() -> None:
    for kind in ("terraform", "terraform-plan"):
        shutil.rmtree(os.path.join(HERE, kind), ignore_errors=True)
    count = 0
    for shape, (make, n) in SHAPES.items():
        for i in range(n):
            root = os.path.join(HERE, "terraform", f"{shape}-{i:02d}")
            os.makedirs(root)
            for name, text in make(i).items():
                with open(os.path.join(root, name), "w", encoding="utf-8") as fh:
                    fh.write(text)
            count += 1
    os.makedirs(os.path.join(HERE, "terraform-plan"))
    for shape, (make, n) in PLANS.items():
        for i in range(n):
            with open(os.path.join(HERE, "terraform-plan", f"{shape}-{i:02d}.json"), "w", encoding="utf-8") as fh:
                json.dump(make(i), fh, indent=1)
                fh.write("\n")
            count += 1
    count += _templates()
    print(f"wrote {count} inputs under {HERE}")


def _templates() -> int:
    """The CloudFormation and SAM templates of bench/cfn_corpus_gen.py (the same seeded corpus that
    ``bench/cfn_corpus.py --own`` reads), filed by kind: a template that declares a serverless resource is SAM."""
    import sys
    import tempfile
    bench = os.path.dirname(HERE)
    sys.path[:0] = [bench, os.path.dirname(bench)]
    from cfn_corpus_gen import write_corpus
    for kind in ("cloudformation", "sam"):
        shutil.rmtree(os.path.join(HERE, kind), ignore_errors=True)
        os.makedirs(os.path.join(HERE, kind))
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_corpus(tmp)
        for path in paths:
            with open(path, encoding="utf-8") as fh:
                kind = "sam" if "AWS::Serverless" in fh.read() else "cloudformation"
            shutil.copy(path, os.path.join(HERE, kind, os.path.basename(path)))
    return len(paths)


if __name__ == "__main__":
    main()
