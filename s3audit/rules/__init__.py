"""The built-in rule packs (``*.s3r``), shipped as package data; ``rules/`` at the top of the repository
links to them and holds their tests. ``s3audit.lang.evaluate.builtin_rules_dir()`` names this directory."""
