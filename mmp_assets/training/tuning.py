"""Tune, refit, log and register one recipe's model: what `<recipe>/model` and `mmp tune` run.

A new registered version appears only when its inputs (model code version + training-set
content) differ from the latest version's; otherwise nothing is searched, logged or registered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import mlflow

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.versions import model_code_version
from mmp_assets.registry.versions import TAG_PREFIX, latest_version
from mmp_assets.training.budget import resolve_budget
from mmp_assets.training.final import fit_final
from mmp_assets.training.lineage import inputs_digest
from mmp_assets.training.pyfunc import log_pipeline_model
from mmp_assets.training.search import run_search
from mmp_assets.training.tracking import log_search
from mmp_resources.audit_log import AuditLog, current_user
from mmp_resources.settings import PlatformConfig
from mmp_resources.studies import StudyStorageResource
from mmp_resources.tracking import MlflowResource

CANDIDATE = "candidate"


@dataclass
class TuneOutcome:
    registered: bool
    version: str
    model_uri: str
    inputs_digest: str
    best_score: float | None
    best_params: dict
    details: dict = field(default_factory=dict)  # counts, limits, run link: shown as asset metadata


def _lineage(recipe: ModelRecipe, training_set: TrainingSet, dagster_run_id: str, asset_key: str) -> dict[str, str]:
    return {
        f"{TAG_PREFIX}dagster_run_id": dagster_run_id,
        f"{TAG_PREFIX}asset_key": asset_key,
        f"{TAG_PREFIX}code_version": model_code_version(recipe, "model"),
        f"{TAG_PREFIX}training_set_version": str(training_set.version),
        f"{TAG_PREFIX}training_set_hash": training_set.content_hash,
        f"{TAG_PREFIX}pinned_views": json.dumps(training_set.pinned_views, sort_keys=True),
        f"{TAG_PREFIX}inputs_digest": inputs_digest(recipe, training_set),
    }


def _unchanged(latest, digest: str, name: str) -> TuneOutcome:
    tags = latest.tags
    score = tags.get(f"{TAG_PREFIX}best_score")
    return TuneOutcome(
        registered=False,
        version=str(latest.version),
        model_uri=f"models:/{name}/{latest.version}",
        inputs_digest=digest,
        best_score=float(score) if score else None,
        best_params=json.loads(tags.get(f"{TAG_PREFIX}best_params", "{}")),
        details={"unchanged": f"inputs {digest} match version {latest.version}; nothing tuned or registered"},
    )


def tune_model(
    recipe: ModelRecipe,
    training_set: TrainingSet,
    *,
    config: PlatformConfig,
    study_storage: StudyStorageResource,
    mlflow_resource: MlflowResource,
    dagster_run_id: str,
    asset_key: str,
    log: Callable[[str], None] | None = None,
    trials_override: int | None = None,
    progress_bar: bool = False,
) -> TuneOutcome:
    client = mlflow_resource.client()
    digest = inputs_digest(recipe, training_set)
    latest = latest_version(client, recipe.name)
    if latest is not None and latest.tags.get(f"{TAG_PREFIX}inputs_digest") == digest:
        return _unchanged(latest, digest, recipe.name)
    budget = resolve_budget(recipe, config.hpo, trials_override)
    result = run_search(recipe, training_set, budget, study_storage.storage(), log=log, progress_bar=progress_bar)
    pipeline = fit_final(recipe, training_set, result.best_params, result.threshold)
    lineage = _lineage(recipe, training_set, dagster_run_id, asset_key)
    experiment_id = mlflow_resource.experiment_id(recipe.name)
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{recipe.name}-tune", tags=lineage) as run:
        log_search(recipe, budget, result)
        info = log_pipeline_model(
            pipeline, training_set.X("train").head(5), list(training_set.categorical_columns), recipe.task, recipe.model.class_path
        )
    tags = {
        **lineage,
        f"{TAG_PREFIX}trainer": current_user(),
        f"{TAG_PREFIX}best_params": json.dumps(result.best_params, sort_keys=True, default=str),
        f"{TAG_PREFIX}best_score": repr(result.best_value),
        f"{TAG_PREFIX}metric": recipe.tuning.metric,
        f"{TAG_PREFIX}mlflow_run_id": run.info.run_id,
        f"{TAG_PREFIX}study_name": result.study_name,
    }
    if result.threshold is not None:
        tags[f"{TAG_PREFIX}threshold"] = repr(result.threshold)
    version = mlflow.register_model(info.model_uri, recipe.name, tags=tags)
    client.update_registered_model(recipe.name, description=recipe.description)
    client.set_registered_model_alias(recipe.name, CANDIDATE, version.version)
    AuditLog.for_data_dir(config.data_dir).append(
        kind="model", subject=recipe.name, action="register", version=str(version.version), alias=CANDIDATE,
        inputs_digest=digest, mlflow_run_id=run.info.run_id, dagster_run_id=dagster_run_id,
        training_set_version=training_set.version, training_set_hash=training_set.content_hash,
    )
    return TuneOutcome(
        registered=True,
        version=str(version.version),
        model_uri=f"models:/{recipe.name}/{version.version}",
        inputs_digest=digest,
        best_score=result.best_value,
        best_params=result.best_params,
        details={
            "mlflow_run_url": mlflow_resource.run_url(experiment_id, run.info.run_id),
            "mlflow_run_id": run.info.run_id,
            "trials_complete": result.counts["complete"],
            "trials_pruned": result.counts["pruned"],
            "trials_failed": result.counts["failed"],
            "trials_run_here": result.ran_here,
            "stopped_by": result.stopped_by + (f" ({result.stopped_by_setting})" if result.stopped_by_setting else ""),
            "optimization_time_s": round(result.elapsed_s, 2),
            "study_name": result.study_name,
            "budget": budget.as_metadata(),
            "decision_threshold": result.threshold,
        },
    )
