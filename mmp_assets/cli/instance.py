"""The Dagster instance every mmp command that runs or reads runs shares: the active environment's."""

from __future__ import annotations

import os
from pathlib import Path


def use_instance_home(root: Path) -> Path:
    """Point DAGSTER_HOME at the active environment's generated instance, so history persists."""
    from mmp_resources import load_config
    from mmp_resources.instance import ensure_instance_home

    home = ensure_instance_home(load_config(root), root)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
