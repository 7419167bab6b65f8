"""Tune, refit, log and register one recipe's model: what `<recipe>/model` and `mmp tune` run.

A new registered version appears only when its inputs (model code version + training-set
content) differ from the latest version's; otherwise nothing is searched, logged or registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import mlflow

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.registry.evidence import append_anchored
from mmp_assets.registry.registration import COMPLETE, PENDING, abandon, interrupted, latest_complete
from mmp_assets.tags import CANDIDATE, REGISTRATION, VersionTags
from mmp_assets.training.budget import resolve_budget
from mmp_assets.training.checks import problems_before_tuning
from mmp_assets.training.final import fit_final
from mmp_assets.training.lineage import inputs_digest, lineage_tags, search_tags
from mmp_assets.training.pyfunc import log_pipeline_model
from mmp_assets.training.search import run_search
from mmp_assets.training.tracking import log_search
from mmp_resources.audit_log import AuditLog
from mmp_resources.identity import acting_identity
from mmp_resources.errors import MmpValidationError
from mmp_resources.settings import PlatformConfig
from mmp_resources.studies import StudyStorageResource
from mmp_resources.tracking import MlflowResource


@dataclass(frozen=True)
class SearchSummary:
    """What one search did, as the asset's metadata and `mmp tune` report it (in this order)."""

    mlflow_run_url: str
    mlflow_run_id: str
    trials_complete: int
    trials_pruned: int
    trials_failed: int
    trials_run_here: int
    stopped_by: str
    optimization_time_s: float
    study_name: str
    budget: dict
    decision_threshold: float | None


@dataclass
class TuneOutcome:
    registered: bool
    version: str
    model_uri: str
    inputs_digest: str
    best_score: float | None
    best_params: dict
    search: SearchSummary | None = None  # None when nothing was searched
    unchanged: str | None = None  # why nothing was searched
    warnings: list[str] = field(default_factory=list)  # shown as warnings and kept on the MLflow run


def _unchanged(latest: VersionTags, digest: str) -> TuneOutcome:
    return TuneOutcome(
        registered=False,
        version=latest.version,
        model_uri=f"models:/{latest.name}/{latest.version}",
        inputs_digest=digest,
        best_score=latest.best_score,
        best_params=latest.best_params,
        unchanged=f"inputs {digest} match version {latest.version}; nothing tuned or registered",
    )


def _empty_column_warnings(recipe: ModelRecipe, training_set: TrainingSet) -> list[str]:
    """One line per feature column left out because it is NULL in every row some fit would train on."""
    from mmp_assets.training.objective import search_data

    final = set(training_set.feature_columns) - {c for group in training_set.model_columns("train") for c in group}
    searched = search_data(recipe, training_set).empty  # once: it cuts the folds, seconds on a large set
    empty = [c for c in training_set.feature_columns if c in final or c in searched]
    return [f"feature column {c!r} is NULL in every training row (or every row of a tuning fold); the model leaves it out "
            "until it has values there" for c in empty]


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
    recipe_file: str | None = None,
    run_in_progress: Callable[[str | None], bool] = lambda run_id: False,
) -> TuneOutcome:
    """Search, refit, log and register; MmpValidationError, before anything else, for what would fail only after.
    A version an earlier, dead run left half-registered is first marked incomplete (`run_in_progress` tells a
    Dagster run that is still registering, whose version is left alone)."""
    problems = problems_before_tuning(recipe, training_set, recipe_file or f"recipes/{recipe.name}.yaml")
    if problems:
        raise MmpValidationError(problems)
    trainer = acting_identity(config)  # under MLflow auth the verified user of the env's credentials, before any work
    client = mlflow_resource.client()
    audit = AuditLog.for_data_dir(config.data_dir)
    for broken in interrupted(client, audit, recipe.name, run_in_progress):
        (log or print)(f"warning: {abandon(client, audit, recipe.name, broken)}")
    digest = inputs_digest(recipe, training_set)
    latest = latest_complete(client, audit, recipe.name)
    recorded = VersionTags.of(latest) if latest is not None else None
    if recorded is not None and recorded.inputs_digest == digest:
        return _unchanged(recorded, digest)
    warnings = _empty_column_warnings(recipe, training_set)
    if recipe.task == "clustering":
        from mmp_assets.training.clustering import constant_column_warnings

        warnings += constant_column_warnings(training_set)
    for line in warnings:
        (log or print)(f"warning: {line}")
    budget = resolve_budget(recipe, config.hpo, trials_override)
    result = run_search(recipe, training_set, budget, study_storage.storage(), log=log, progress_bar=progress_bar)
    if recipe.task == "uplift":
        from mmp_assets.training.uplift_fit import fit_uplift_final

        pipeline = fit_uplift_final(recipe, training_set, result.best_params)
    else:
        pipeline = fit_final(recipe, training_set, result.best_params, result.threshold)
    lineage = lineage_tags(recipe, training_set, dagster_run_id=dagster_run_id, asset_key=asset_key)
    experiment_id = mlflow_resource.experiment_id(recipe.name)
    user = {"mlflow.user": trainer.name} if trainer.authenticated else {}  # not the OS user the client would record
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{recipe.name}-tune", tags={**lineage, **user}) as run:
        log_search(recipe, budget, result)
        if warnings:
            mlflow.set_tag("mmp.warnings", "\n".join(warnings))
        if recipe.task == "forecasting":  # its pyfunc also forecasts from series history
            from mmp_assets.training.forecast_model import log_forecast_model

            info = log_forecast_model(pipeline, recipe, training_set)
        else:
            info = log_pipeline_model(
                pipeline, training_set.X("train").head(5), list(training_set.categorical_columns), recipe.task, recipe.model.class_path
            )
    tags = {**lineage, **search_tags(recipe, result, trainer=trainer.name, mlflow_run_id=run.info.run_id), REGISTRATION: PENDING}
    version = mlflow.register_model(info.model_uri, recipe.name, tags=tags)  # from here to the audit entry: see registry/registration.py
    client.update_registered_model(recipe.name, description=recipe.description)
    client.set_registered_model_alias(recipe.name, CANDIDATE, version.version)
    append_anchored(  # the trainer of record for four-eyes approval: this entry's actor
        client, audit, recipe.name, action="register", version=str(version.version), alias=CANDIDATE,
        actor=trainer.name, identity_source=trainer.source,
        inputs_digest=digest, mlflow_run_id=run.info.run_id, dagster_run_id=dagster_run_id,
        training_set_version=training_set.version, training_set_hash=training_set.content_hash,
    )
    client.set_model_version_tag(recipe.name, str(version.version), REGISTRATION, COMPLETE)
    return TuneOutcome(
        registered=True,
        version=str(version.version),
        model_uri=f"models:/{recipe.name}/{version.version}",
        inputs_digest=digest,
        best_score=result.best_value,
        best_params=result.best_params,
        warnings=warnings,
        search=SearchSummary(
            mlflow_run_url=mlflow_resource.run_url(experiment_id, run.info.run_id),
            mlflow_run_id=run.info.run_id,
            trials_complete=result.counts["complete"],
            trials_pruned=result.counts["pruned"],
            trials_failed=result.counts["failed"],
            trials_run_here=result.ran_here,
            stopped_by=result.stopped_by + (f" ({result.stopped_by_setting})" if result.stopped_by_setting else ""),
            optimization_time_s=round(result.elapsed_s, 2),
            study_name=result.study_name,
            budget=budget.as_metadata(),
            decision_threshold=result.threshold,
        ),
    )
