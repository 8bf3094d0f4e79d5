"""JSON Schemas shipped with s3audit: audit profiles (``profile.schema.json``) and the findings report
(``findings.schema.json``). Loaded on first use (``s3audit.packaged``), never at import time."""
