terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "data" {
  description             = "data bucket key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

module "logs" {
  source = "../../modules/s3-bucket"

  bucket = "acme-complete-5-logs"
  attach_access_log_delivery_policy = true
  attach_deny_insecure_transport_policy = true
  server_side_encryption_configuration = {
    rule = {
      apply_server_side_encryption_by_default = {
        sse_algorithm = "AES256"
      }
    }
  }
  lifecycle_rule = [
    {
      id      = "expire-old"
      enabled = true
      prefix  = "tmp/"
      expiration = { days = 30 }
      noncurrent_version_expiration = { days = 90 }
    }
  ]
}

module "data" {
  source = "../../modules/s3-bucket"

  bucket = "acme-complete-5-data"
  versioning = {
    enabled = true
  }
  server_side_encryption_configuration = {
    rule = {
      apply_server_side_encryption_by_default = {
        sse_algorithm     = "aws:kms"
        kms_master_key_id = aws_kms_key.data.arn
      }
      bucket_key_enabled = true
    }
  }
  logging = {
    target_bucket = module.logs.s3_bucket_id
    target_prefix = "data/"
  }
  attach_deny_insecure_transport_policy = false
  block_public_policy = true
  restrict_public_buckets = true
  attach_policy = false
  policy = null
  tags = {
    Environment = "prod"
    Owner = "data-platform"
  }
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "PublicRead"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::acme-complete-5-data/public/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

output "data_bucket_arn" {
  value = module.data.s3_bucket_arn
}
