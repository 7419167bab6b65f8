"""MLflow pointed at one environment's tracking and registry stores, without Dagster.

`MlflowResource` uses these inside runs; read-only commands (`mmp models list`, `mmp prompts list`)
call them directly, so they start without importing Dagster (on the embedded store those two read
SQLite with `mmp_resources.registry_reader` instead, and come here only for what it cannot answer).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from mmp_resources.settings import PlatformConfig


def activate(config: PlatformConfig) -> None:
    """Make this environment's stores the process-wide MLflow defaults."""
    import logging

    from mmp_resources.scrub import install

    install()  # MLflow prints its tracking URI in "View run" links; never with a password
    import mlflow

    for name in ("mlflow.store.db.utils", "alembic"):  # "Creating initial MLflow database tables...": not the user's business
        logging.getLogger(name).setLevel(logging.WARNING)

    if config.tracking_uri.startswith("sqlite:///"):
        Path(config.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_registry_uri(config.registry_uri)


def mlflow_client(config: PlatformConfig) -> MlflowClient:
    """A client of this environment's stores, which are also made the process-wide defaults."""
    from mlflow.tracking import MlflowClient

    activate(config)
    return MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.registry_uri)
