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

resource "aws_s3_bucket" "audit" {
  bucket              = "acme-audit-2"
  object_lock_enabled = true
}

resource "aws_s3_bucket_object_lock_configuration" "audit" {
  bucket = aws_s3_bucket.audit.id
  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = 1095
    }
  }
}

resource "aws_s3_bucket" "access_logs" {
  bucket = "acme-audit-2-access-logs"
}

resource "aws_s3_bucket_logging" "audit" {
  bucket        = aws_s3_bucket.audit.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "audit/"
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = <<-POLICY
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "S3ServerAccessLogsPolicy",
          "Effect": "Allow",
          "Principal": {"Service": "logging.s3.amazonaws.com"},
          "Action": "s3:PutObject",
          "Resource": "${aws_s3_bucket.access_logs.arn}/*",
          "Condition": {
            "ArnLike": {"aws:SourceArn": "${aws_s3_bucket.audit.arn}"},
            "StringEquals": {"aws:SourceAccount": "${data.aws_caller_identity.current.account_id}"}
          }
        }
      ]
    }
  POLICY
}
