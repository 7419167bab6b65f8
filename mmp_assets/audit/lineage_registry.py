"""MLflow's side of a lineage audit: the registered version, its lineage tags and its run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

TAG = "mmp."
GATE_TAGS = ("gate", "mmp.gate")


def _when(ms: int | None) -> str | None:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds") if ms else None


def resolve_version(client: MlflowClient, name: str, version: int | None) -> tuple[object | None, str]:
    """(the model version to audit, how it was chosen): the one asked for, else the champion, else the newest."""
    try:
        if version is not None:
            return client.get_model_version(name, str(version)), "requested"
        aliases = client.get_registered_model(name).aliases
        if "champion" in aliases:
            return client.get_model_version(name, str(aliases["champion"])), "champion"
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None, "not registered"
    newest = max(versions, key=lambda v: int(v.version), default=None)
    return newest, "newest"


def model_facts(client: MlflowClient, found) -> dict:
    tags = dict(found.tags)
    aliases = [a for a, v in client.get_registered_model(found.name).aliases.items() if str(v) == str(found.version)]
    return {
        "name": found.name, "version": int(found.version), "aliases": sorted(aliases), "source": found.source,
        "run_id": found.run_id, "created_at": _when(found.creation_timestamp), "status": found.status,
        "trainer": tags.get(f"{TAG}trainer"), "code_version": tags.get(f"{TAG}code_version"),
        "training_set_version": tags.get(f"{TAG}training_set_version"), "training_set_hash": tags.get(f"{TAG}training_set_hash"),
        "pinned_views": json.loads(tags[f"{TAG}pinned_views"]) if f"{TAG}pinned_views" in tags else None,
        "dagster_run_id": tags.get(f"{TAG}dagster_run_id"), "inputs_digest": tags.get(f"{TAG}inputs_digest"),
        "gate": next((tags[t] for t in GATE_TAGS if t in tags), None), "gate_message": tags.get(f"{TAG}gate_message"),
        "approved_by": tags.get(f"{TAG}approved_by"), "approved_at": tags.get(f"{TAG}approved_at"),
    }


def run_facts(client: MlflowClient, run_id: str | None) -> dict | None:
    if not run_id:
        return None
    try:
        run = client.get_run(run_id)
    except MlflowException:
        return None
    tags = run.data.tags
    return {
        "run_id": run_id, "experiment_id": run.info.experiment_id, "status": run.info.status,
        "started_at": _when(run.info.start_time), "user": tags.get("mlflow.user"),
        "dagster_run_id": tags.get(f"{TAG}dagster_run_id"), "training_set_hash": tags.get(f"{TAG}training_set_hash"),
        "code_version": tags.get(f"{TAG}code_version"), "metrics": dict(sorted(run.data.metrics.items())),
    }
