"""Retrain runs as the sensors see them: which one is in flight, which one was last, and why a run failed.

A retrain run is any run tagged `mmp/recipe` and `mmp/trigger` (schema change, drift, retry). The
sensors read these from the instance rather than from their cursors: a run requested by another
sensor, or one still queued behind the DuckDB pool, counts the same.
"""

from __future__ import annotations

import dagster as dg
from pydantic import BaseModel, SecretStr

from mmp_assets.automation.retrain import RECIPE_TAG, TRIGGER_TAG
from mmp_resources.secrets import mask

IN_FLIGHT = frozenset({
    dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING,
})
NOT_STARTED = frozenset({dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING})
MAX_LINE = 500


def retrain_runs(instance: dg.DagsterInstance, recipe: str, limit: int = 20) -> list[dg.DagsterRun]:
    """The recipe's newest retrain runs, newest first."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RECIPE_TAG: recipe}), limit=limit)
    return [run for run in runs if TRIGGER_TAG in run.tags]


def in_flight(instance: dg.DagsterInstance, recipe: str) -> dg.DagsterRun | None:
    """The newest retrain run of `recipe` that is queued or running, if any."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RECIPE_TAG: recipe}, statuses=list(IN_FLIGHT)), limit=5)
    return next((run for run in runs if TRIGGER_TAG in run.tags), None)


def _innermost(error) -> str:
    """The message of the innermost cause: Dagster wraps a step's exception in its own error."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message if error is not None else ""


def _first_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] if lines else ""


def root_cause(instance: dg.DagsterInstance, run_id: str, secrets: list[str] = ()) -> str | None:
    """The first error of the run's first failed step as one line, with every secret masked: a
    `dg.Failure`'s description, else the innermost exception's message, else the failed blocking check's
    description. None when no step failed (the run failed before any step started)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=1).records
    if not records:
        return None
    event = records[0].event_log_entry.dagster_event
    data = event.step_failure_data
    line = ""
    if data.user_failure_data is not None and data.user_failure_data.description:
        line = _first_line(data.user_failure_data.description)
    if not line:
        line = _first_line(_innermost(data.error))
    if "blocking" in line.lower() and "check" in line.lower():
        line = _failed_check(instance, run_id) or line
    step = event.step_key or "run"
    return mask(f"{step}: {line}", *secrets)[:MAX_LINE]


def _failed_check(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """'<asset> <check>: <description>' of the run's first failing check evaluation."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100).records
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed:
            description = _first_line(evaluation.description or "") or "failed"
            return f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} failed: {description}"
    return None


def config_secrets(model: BaseModel) -> list[str]:
    """Every SecretStr value in a config tree: what a message must never show."""
    found: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            found += config_secrets(value)
    # a bare word ("journal", "memory") is a setting, not a secret: masking it would garble messages
    return [s for s in found if "://" in s or len(s) >= 16]
