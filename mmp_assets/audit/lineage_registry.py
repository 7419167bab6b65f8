"""MLflow's side of a lineage audit: the registered version, its lineage tags and its run."""

from __future__ import annotations

from datetime import UTC, datetime

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mmp_assets import tags as tag
from mmp_assets.tags import VersionTags


def _when(ms: int | None) -> str | None:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds") if ms else None


def resolve_version(client: MlflowClient, name: str, version: int | None) -> tuple[object | None, str]:
    """(the model version to audit, how it was chosen): the one asked for, else the champion, else the newest."""
    try:
        if version is not None:
            return client.get_model_version(name, str(version)), "requested"
        aliases = client.get_registered_model(name).aliases
        if tag.CHAMPION in aliases:
            return client.get_model_version(name, str(aliases[tag.CHAMPION])), tag.CHAMPION
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None, "not registered"
    newest = max(versions, key=lambda v: int(v.version), default=None)
    return newest, "newest"


def model_facts(client: MlflowClient, found) -> dict:
    recorded = VersionTags.of(found)
    claims = recorded.claims
    aliases = [a for a, v in client.get_registered_model(found.name).aliases.items() if str(v) == str(found.version)]
    return {
        "name": found.name, "version": int(found.version), "aliases": sorted(aliases), "source": found.source,
        "run_id": found.run_id, "created_at": _when(found.creation_timestamp), "status": found.status,
        "trainer": claims.trainer, "code_version": recorded.code_version,
        # text, as reports written before the typed reader carried it
        "training_set_version": None if recorded.training_set_version is None else str(recorded.training_set_version),
        "training_set_hash": recorded.training_set_hash,
        "pinned_views": recorded.pinned_views, "dagster_run_id": recorded.dagster_run_id, "inputs_digest": recorded.inputs_digest,
        "gate": claims.gate, "gate_message": claims.gate_message, "approved_by": claims.approved_by, "approved_at": claims.approved_at,
    }


def run_facts(client: MlflowClient, run_id: str | None) -> dict | None:
    if not run_id:
        return None
    try:
        run = client.get_run(run_id)
    except MlflowException:
        return None
    tags = run.data.tags  # the tuning run carries the version's lineage tags
    return {
        "run_id": run_id, "experiment_id": run.info.experiment_id, "status": run.info.status,
        "started_at": _when(run.info.start_time), "user": tags.get(tag.MLFLOW_USER),
        "dagster_run_id": tags.get(tag.DAGSTER_RUN_ID), "training_set_hash": tags.get(tag.TRAINING_SET_HASH),
        "code_version": tags.get(tag.CODE_VERSION), "metrics": dict(sorted(run.data.metrics.items())),
    }
