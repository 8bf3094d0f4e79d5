"""Where a declared statement ends in an IaC file (so that removing it is an exact edit), and when s3audit
declines to say: HCL objects and `statement` blocks, JSON, YAML list items."""
from __future__ import annotations

from s3audit.fixes.regions import statement_region

from .edits import cut

PUBLIC = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}


HCL = '''policy = jsonencode({
  Statement = [
    {
      Sid    = "PublicRead"
      Effect = "Allow" # "}" in a comment
    },
    {
      Sid    = "TLSOnly"
      Effect = "Deny"
    },
  ]
})
'''


def test_hcl_object_in_a_list_takes_its_lines_and_comma():
    r = statement_region(HCL, 3, 5, PUBLIC, 2)
    assert cut(HCL, r) == HCL.replace('''    {
      Sid    = "PublicRead"
      Effect = "Allow" # "}" in a comment
    },
''', "")


def test_the_last_item_takes_the_comma_before_it():
    text = '{"Statement": [{"Sid": "TLSOnly", "Effect": "Deny"}, {"Sid": "PublicRead", "Effect": "Allow"}]}'
    r = statement_region(text, 1, text.index('{"Sid": "PublicRead"') + 1, PUBLIC, 2)
    assert cut(text, r) == '{"Statement": [{"Sid": "TLSOnly", "Effect": "Deny"}]}'


def test_policy_document_statement_block():
    text = '''data "aws_iam_policy_document" "p" {
  statement {
    sid     = "PublicRead"
    effect  = "Allow"
    actions = ["s3:GetObject"]
  }
  statement {
    sid    = "TLSOnly"
    effect = "Deny"
  }
}
'''
    st = {"Sid": "PublicRead", "Effect": "Allow"}
    r = statement_region(text, 2, 3, st, 2)
    assert cut(text, r).count("statement {") == 1 and "PublicRead" not in cut(text, r)


def test_yaml_list_item():
    text = '''      PolicyDocument:
        Statement:
          - Sid: PublicRead
            Effect: Allow
            Principal: "*"

          - Sid: TLSOnly
            Effect: Deny
      Bucket: !Ref Site
'''
    r = statement_region(text, 3, 13, PUBLIC, 2)
    assert cut(text, r) == text.replace('''          - Sid: PublicRead
            Effect: Allow
            Principal: "*"

''', "")


def test_declines_when_not_sure():
    # the policy's only statement: removing it leaves a policy no provider accepts
    assert statement_region(HCL, 3, 5, PUBLIC, 1) is None
    # written inside a JSON string
    text = '"policy": "{\\"Statement\\": [{\\"Sid\\": \\"PublicRead\\", \\"Effect\\": \\"Allow\\"}, {}]}"'
    assert statement_region(text, 1, text.index("[{") + 2, PUBLIC, 2) is None
    # the span does not show the statement's own Sid: the location is not this statement's
    assert statement_region(HCL, 7, 5, PUBLIC, 2) is None
    # a YAML item without a sibling left in its list
    text = "Statement:\n  - Sid: PublicRead\n    Effect: Allow\nOther: 1\n"
    assert statement_region(text, 2, 5, PUBLIC, 2) is None
    # unbalanced text
    assert statement_region("  {\n  Sid = \"PublicRead\"\n", 1, 3, PUBLIC, 2) is None
