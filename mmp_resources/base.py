"""The base every mmp resource shares: it knows the project and the environment, nothing secret.

Resources carry only the project folder and the environment name as Dagster config, so the
Dagster UI, run snapshots and logs never see a URL with a password in it. The merged config
(with secrets) is loaded by the one loader when a run first needs it, not at definition time.
"""

from __future__ import annotations

from functools import cached_property

import dagster as dg
from pydantic import Field

from mmp_resources.loader import load_config
from mmp_resources.settings import PlatformConfig


class PlatformResource(dg.ConfigurableResource):
    """Knows the project folder and the active environment; loads the merged config on first use."""

    project_dir: str = Field(description="The project root holding recipes/ and config/.")
    env: str = Field(description="The environment whose config/<env>.yaml overlays base.yaml.")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        from mmp_resources.scrub import install

        install()  # before any step of the run can print a URL with its password (MLflow's "View run" link)

    @cached_property
    def config(self) -> PlatformConfig:
        from pathlib import Path

        return load_config(Path(self.project_dir), self.env)
