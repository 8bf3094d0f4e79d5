versioning_enabled = "true"
