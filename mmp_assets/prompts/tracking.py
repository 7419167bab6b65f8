"""Record one evaluation in MLflow: a run linked to the prompt version, with metrics and a case table."""

from __future__ import annotations

import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param

from mmp_assets import tags as tag
from mmp_assets.prompts.evaluate import EvaluationResult
from mmp_assets.prompts.registry import VersionInfo


def log_evaluation(client: MlflowClient, experiment_id: str, version: VersionInfo, result: EvaluationResult,
                   *, dagster_run_id: str, dataset_hash: str) -> str:
    """The id of a finished MLflow run tagged with prompt name and version and linked to that version."""
    tags = {
        tag.PROMPT_NAME: version.name,
        tag.PROMPT_VERSION: str(version.version),
        tag.CONTENT_HASH: version.content_hash or "",
        tag.PROMPT_VERDICT: result.verdict,
        tag.DAGSTER_RUN_ID: dagster_run_id,
        tag.RESPONDER: result.responder,
    }
    run = client.create_run(experiment_id, run_name=f"{version.name}-v{version.version}-evaluation", tags=tags)
    run_id, now_ms = run.info.run_id, int(time.time() * 1000)
    try:
        t = result.thresholds
        params = {"toxicity_max": t.toxicity_max, "groundedness_min": t.groundedness_min, "pii": t.pii,
                  "max_length": t.max_length, "min_pass_rate": t.min_pass_rate, "dataset_hash": dataset_hash}
        client.log_batch(
            run_id,
            metrics=[Metric(k, float(v), now_ms, 0) for k, v in result.metrics().items()],
            params=[Param(f"threshold.{k}" if k != "dataset_hash" else k, str(v)) for k, v in params.items()],
        )
        client.log_table(run_id, data=_columns([c.row() for c in result.cases]), artifact_file="cases.json")
        client.link_prompt_version_to_run(run_id, f"prompts:/{version.name}/{version.version}")
    except Exception:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")
    return run_id


def _columns(rows: list[dict]) -> dict[str, list]:
    return {key: [row[key] for row in rows] for key in rows[0]} if rows else {"case": []}
