"""CLI commands, one module each; :mod:`snapscribe.cli` assembles them."""
