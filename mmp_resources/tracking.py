"""MLflow tracking and registry: a SQLite file by default, a tracking server in dev/prod."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from mmp_resources.base import PlatformResource
from mmp_resources.mlflow_stores import activate, mlflow_client

if TYPE_CHECKING:  # MLflow loads when a run first asks for a client, not when the definitions load
    from mlflow.tracking import MlflowClient


class MlflowResource(PlatformResource):
    """Points MLflow at the environment's tracking and registry stores."""

    def activate(self) -> None:
        """Make this environment's stores the process-wide MLflow defaults."""
        activate(self.config)

    def client(self) -> MlflowClient:
        return mlflow_client(self.config)

    def experiment_id(self, name: str) -> str:
        """The id of experiment `<prefix>/<name>`, created with the configured artifact root if new."""
        client = self.client()
        full = f"{self.config.mlflow.experiment_prefix}/{name}"
        found = client.get_experiment_by_name(full)
        if found is not None:
            return found.experiment_id
        return client.create_experiment(full, artifact_location=f"{self.config.artifact_root}/{full}")

    def run_url(self, experiment_id: str, run_id: str) -> str:
        uri = self.config.tracking_uri
        if uri.startswith(("http://", "https://")):
            parts = urlsplit(uri)
            host = parts.hostname + (f":{parts.port}" if parts.port else "")  # never show credentials in a link
            base = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
            return f"{base}/#/experiments/{experiment_id}/runs/{run_id}"
        return f"runs:/{run_id}"
