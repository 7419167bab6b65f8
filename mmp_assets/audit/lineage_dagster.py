"""Dagster's side of a lineage audit: the materialization each stored version came from, and its run.

Dagster stamps every materialization with `dagster/code_version`, `dagster/data_version` and one
`dagster/input_data_version/<upstream>` per input; mmp's assets use the content hash as the data
version, so the event log holds an independent copy of every hash the catalog holds.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from dagster import DagsterEventType

CODE_VERSION = "dagster/code_version"
DATA_VERSION = "dagster/data_version"
INPUT_PREFIX = "dagster/input_data_version/"


def _when(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") if timestamp else None


def materialization_in_run(instance: dg.DagsterInstance, key: dg.AssetKey, run_id: str | None):
    """The materialization record of `key` in run `run_id` (the last one, should it have several)."""
    if not run_id:
        return None
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    found = [r for r in records if r.event_log_entry.asset_materialization.asset_key == key]
    return found[-1] if found else None


def run_facts(instance: dg.DagsterInstance, key: dg.AssetKey, run_id: str | None) -> dict | None:
    """What Dagster recorded when `key` was materialized in `run_id`; None when there is no such record."""
    record = materialization_in_run(instance, key, run_id)
    if record is None:
        return None
    tags = record.event_log_entry.asset_materialization.tags or {}
    run = instance.get_run_record_by_id(run_id)
    return {
        "asset": key.to_user_string(),
        "run_id": run_id,
        "storage_id": record.storage_id,
        "materialized_at": _when(record.timestamp),
        "code_version": tags.get(CODE_VERSION),
        "data_version": tags.get(DATA_VERSION),
        "input_data_versions": {k.removeprefix(INPUT_PREFIX): v for k, v in sorted(tags.items()) if k.startswith(INPUT_PREFIX)},
        "run_status": run.dagster_run.status.value if run else None,
        "job": run.dagster_run.job_name if run else None,
        "trigger": (run.dagster_run.tags.get("mmp/trigger") if run else None) or "manual",
        "started_at": _when(run.start_time) if run else None,
    }


def observation_with(instance: dg.DagsterInstance, key: dg.AssetKey, schema: str | None, content: str | None, limit: int = 200) -> dict | None:
    """The newest of the last `limit` observations of a source whose fingerprints match; None if none does."""
    for record in instance.fetch_observations(key, limit=limit).records:
        metadata = record.asset_observation.metadata
        seen = (getattr(metadata.get("mmp/schema_fingerprint"), "value", None), getattr(metadata.get("mmp/content_fingerprint"), "value", None))
        if seen == (schema, content):
            return {"run_id": record.run_id, "storage_id": record.storage_id, "observed_at": _when(record.timestamp)}
    return None


def evaluation_of(instance: dg.DagsterInstance, key: dg.AssetKey, version: int, limit: int = 50) -> dict | None:
    """The newest materialization of `<recipe>/evaluation` whose `model_version` metadata is this version."""
    for record in instance.fetch_materializations(key, limit=limit).records:
        metadata = record.asset_materialization.metadata
        if str(getattr(metadata.get("model_version"), "value", None)) == str(version):
            gate = getattr(metadata.get("gate"), "value", None)
            return {**(run_facts(instance, key, record.run_id) or {}), "gate": gate}
    return None
