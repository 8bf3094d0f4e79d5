versioning_enabled = "false"
