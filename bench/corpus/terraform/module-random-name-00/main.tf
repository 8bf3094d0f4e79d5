terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

resource "random_pet" "this" {
  length = 2
}

variable "versioning_enabled" {
  type = string
}

variable "reader_account" {
  type    = string
  default = "210987654321"
}

data "aws_iam_policy_document" "cross_account" {
  statement {
    sid       = "PartnerRead"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::reports-${random_pet.this.id}", "arn:aws:s3:::reports-${random_pet.this.id}/*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${var.reader_account}:root"]
    }
  }
}

module "reports" {
  source = "../../modules/s3-bucket"

  bucket = "reports-${random_pet.this.id}"
  versioning = {
    enabled = var.versioning_enabled
  }
  attach_policy = false
  policy = data.aws_iam_policy_document.cross_account.json
  attach_deny_insecure_transport_policy = true
  server_side_encryption_configuration = {
    rule = {
      apply_server_side_encryption_by_default = {
        sse_algorithm = "AES256"
      }
    }
  }
}

module "disabled" {
  source = "../../modules/s3-bucket"

  bucket = "never-created"
  create_bucket = false
}

