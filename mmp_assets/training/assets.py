"""`<recipe>/model` (tuned, logged, registered) and `<recipe>/predictions` (batch scores).

Construction reads no data and contacts no server; heavy libraries load inside the asset bodies.
"""


import dataclasses
from pathlib import Path

import dagster as dg

from mmp_assets import keys
from mmp_assets.catalog.estimators import estimator_kind
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.versions import model_code_version
from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.settings import PlatformConfig
from mmp_resources.studies import StudyStorageResource
from mmp_resources.tracking import MlflowResource


def _link(url: str) -> dg.MetadataValue:
    return dg.MetadataValue.url(url) if url.startswith("http") else dg.MetadataValue.text(url)


def model_metadata(outcome) -> dict:
    meta = {
        "model_uri": outcome.model_uri,
        "model_version": outcome.version,
        "registered": outcome.registered,
        "inputs_digest": outcome.inputs_digest,
        "best_score": outcome.best_score,
        "best_params": dg.MetadataValue.json(outcome.best_params),
    }
    if outcome.unchanged:
        meta["unchanged"] = outcome.unchanged
    if outcome.warnings:
        meta["warnings"] = dg.MetadataValue.json(outcome.warnings)
    if outcome.search is not None:
        search = dataclasses.asdict(outcome.search)
        meta["mlflow_run_url"] = _link(search.pop("mlflow_run_url"))
        meta["budget"] = dg.MetadataValue.json(search.pop("budget"))
        meta.update({k: v for k, v in search.items() if v is not None})
    return meta


def _logger(context: dg.AssetExecutionContext):
    """Progress lines at info level; lines that start with "warning: " at warning level."""
    def log(line: str) -> None:
        (context.log.warning if line.startswith("warning: ") else context.log.info)(line)

    return log


def _run_in_progress(context: dg.AssetExecutionContext):
    """Whether a Dagster run other than this one is still unfinished: its half-done registration is its own."""
    from dagster._core.storage.dagster_run import FINISHED_STATUSES

    def in_progress(run_id: str | None) -> bool:
        run = context.instance.get_run_by_id(run_id) if run_id and run_id != context.run_id else None
        return run is not None and run.status not in FINISHED_STATUSES

    return in_progress


def _model_asset(recipe: ModelRecipe, recipe_file: str) -> dg.AssetsDefinition:
    kind = estimator_kind(recipe.model.class_path)

    @dg.asset(
        key=keys.recipe_key(recipe.name, "model"),
        # a partitioned training set: the model trains on its newest window
        deps=[dg.AssetDep(keys.recipe_key(recipe.name, "training_set"),
                          partition_mapping=dg.LastPartitionMapping() if recipe.spine.partitions else None)],
        group_name=recipe.name,
        owners=[recipe.owner],
        kinds={kind, "optuna", "mlflow"},
        tags=keys.mmp_tags(recipe=recipe.name, stage="model"),
        code_version=model_code_version(recipe, "model"),
        description=f"{recipe.name}: Optuna-tuned {recipe.model.class_path.rsplit('.', 1)[-1]} on {recipe.tuning.metric}, registered in MLflow.",
    )
    def model(
        context: dg.AssetExecutionContext, feature_store: FeatureStoreResource, mlflow: MlflowResource, study_storage: StudyStorageResource
    ) -> dg.MaterializeResult:
        from mmp_assets.recipes.estimators import estimator_problems

        problems = estimator_problems(recipe, recipe_file)  # the definitions did not import the estimator; now it is needed
        if problems:
            raise dg.Failure(description="\n".join(str(p) for p in problems))
        from mmp_assets.feature_store import load_training_set
        from mmp_assets.feature_store.partitions import newest_partition_version
        from mmp_assets.training.preprocessing import PreprocessingError, check_preprocessing
        from mmp_assets.training.search import TuningFailed
        from mmp_assets.training.tuning import tune_model
        from mmp_resources.errors import MmpValidationError

        with feature_store.connect() as conn:
            training_set = load_training_set(conn, recipe, newest_partition_version(conn, recipe))
        try:  # one line naming the recipe field, not a traceback per trial
            check_preprocessing(recipe, training_set.numeric_columns, list(training_set.categorical_columns))
        except PreprocessingError as exc:
            raise dg.Failure(description=f"{recipe_file}: {exc.field}: {exc.message}") from None
        context.log.info(f"tuning on training set v{training_set.version} ({len(training_set.frame)} rows)")
        try:
            outcome = tune_model(
                recipe, training_set, config=mlflow.config, study_storage=study_storage, mlflow_resource=mlflow,
                dagster_run_id=context.run_id, asset_key=context.asset_key.to_user_string(), log=_logger(context),
                recipe_file=recipe_file, run_in_progress=_run_in_progress(context),
            )
        except (MmpValidationError, TuningFailed) as exc:  # the cause, as the run's one failure line
            raise dg.Failure(description=str(exc)) from None
        context.log.info(outcome.unchanged or f"registered {outcome.model_uri} (alias candidate)")
        return dg.MaterializeResult(metadata=model_metadata(outcome), data_version=dg.DataVersion(outcome.inputs_digest))

    return model


def _prediction_deps(recipe: ModelRecipe) -> list:
    """The scored source and the views joined to it, else the training set whose test split is scored."""
    model = keys.recipe_key(recipe.name, "model")
    if _scored_source(recipe):
        return keys.scoring_deps(recipe, _scored_source(recipe))
    return [model, dg.AssetDep(keys.recipe_key(recipe.name, "training_set"),
                               partition_mapping=dg.LastPartitionMapping() if recipe.spine.partitions else None)]


def _scored_source(recipe: ModelRecipe) -> str | None:
    """The source predictions score; a forecast's default is its own series, whose next periods it forecasts."""
    return recipe.scoring_source or (recipe.spine.source if recipe.task == "forecasting" else None)


def _predictions_asset(recipe: ModelRecipe, recipes: RecipeSet, config: PlatformConfig, root: Path) -> dg.AssetsDefinition:
    scoring = _scored_source(recipe)
    what = f"{scoring} rows" if scoring else "the test split of its training set"

    @dg.asset(
        key=keys.recipe_key(recipe.name, "predictions"),
        deps=_prediction_deps(recipe),
        group_name=recipe.name,
        owners=[recipe.owner],
        kinds={"duckdb", "mlflow"},
        tags=keys.mmp_tags(recipe=recipe.name, stage="predictions"),
        code_version=model_code_version(recipe, "predictions"),
        pool=config.feature_store_pool,
        description=f"{recipe.name}: {what} scored by the champion (else candidate) model version.",
    )
    def predictions(context: dg.AssetExecutionContext, feature_store: FeatureStoreResource, mlflow: MlflowResource) -> dg.MaterializeResult:
        from mmp_assets.feature_store import load_training_set, read_source_frame
        from mmp_assets.tags import VersionTags
        from mmp_assets.training.batch import ScoringInputError, resolve_version, score_batch
        from mmp_assets.training.predictions import write_predictions

        try:
            version, alias = resolve_version(mlflow.client(), recipe.name)
        except ScoringInputError as exc:
            raise dg.Failure(str(exc)) from None
        with feature_store.publishing("predictions", recipe.name) as conn:
            if scoring:
                rows = read_source_frame(conn, scoring, recipes, root)
                batch = score_batch(conn, recipe, recipes, rows, version, alias, shown=recipes.file_of("source", scoring))
            else:  # the rows the version was tested on, with the features its training set joined
                trained_on = load_training_set(conn, recipe, VersionTags.of(version).training_set_version)
                rows = trained_on.frame[trained_on.frame[trained_on.split_column] == "test"]
                batch = score_batch(conn, recipe, recipes, rows, version, alias, shown=f"{recipe.name} training set v{trained_on.version} test split",
                                    joined_views=trained_on.pinned_views)
            table, table_version = write_predictions(conn, recipe.name, batch.frame, keep=feature_store.config.feature_store.retention_versions)
        context.log.info(f"scored {len(batch.frame)} {scoring or 'test split'} rows with {recipe.name} v{version.version} ({alias}) into {table}")
        return dg.MaterializeResult(
            metadata={
                "table": table,
                "table_version": table_version,
                "rows": len(batch.frame),
                "scored": scoring or "test split",
                "model_version": str(version.version),
                "model_alias": alias,
                "model_uri": f"models:/{recipe.name}/{version.version}",
                "feature_view_versions": dg.MetadataValue.json(batch.view_versions),
                "pinned_views_at_training": dg.MetadataValue.json(VersionTags.of(version).pinned_views or {}),
            },
            data_version=dg.DataVersion(f"{table}"),
        )

    return predictions


def build_model_assets(recipe: ModelRecipe, recipes: RecipeSet, config: PlatformConfig, root: Path) -> list:
    """`<recipe>/model` and `<recipe>/predictions`."""
    return [_model_asset(recipe, recipes.file_of("model", recipe.name)), _predictions_asset(recipe, recipes, config, root)]
