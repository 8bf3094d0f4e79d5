provider "aws" {
  region = "us-west-2"
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-v3-2-logs"
  acl    = "log-delivery-write"
}

resource "aws_s3_bucket" "site" {
  bucket = "acme-v3-2-site"
  acl    = "private"

  versioning {
    enabled = false
  }

  logging {
    target_bucket = aws_s3_bucket.logs.id
    target_prefix = "site/"
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "AES256"
      }
    }
  }

  lifecycle_rule {
    id      = "old"
    enabled = true
    expiration {
      days = 32
    }
  }
}
