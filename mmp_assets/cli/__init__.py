"""The `mmp` command: the platform's own commands beside Dagster's CLI."""

from mmp_assets.cli.main import main

__all__ = ["main"]
