"""`<recipe>/training_set`: a versioned point-in-time training set with a blocking leakage check."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

from mmp_assets import keys
from mmp_assets.feature_store.metadata import as_json, entry_metadata, one_line
from mmp_assets.feature_store.partitions import run_window, spine_partitions
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.versions import model_code_version
from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.settings import PlatformConfig

if TYPE_CHECKING:  # building a training set needs DuckDB and pandas; drawing its asset does not
    from mmp_assets.feature_store.training_build import TrainingSetOutcome

LEAKAGE_CHECK = "no_leakage"


class TrainingSetRunConfig(dg.Config):
    params: dict[str, Any] = Field(
        default_factory=dict, description="Template values overriding the spine source's params (a partition binds start and end); bound, never pasted."
    )


def build_training_set_asset(recipe: ModelRecipe, recipes: RecipeSet, config: PlatformConfig, root: Path) -> dg.AssetsDefinition:
    key = keys.recipe_key(recipe.name, "training_set")

    @dg.asset(
        key=key,
        deps=[keys.source_key(recipe.spine.source), *(keys.view_key(ref.view) for ref in recipe.features)],
        description=one_line(f"Point-in-time training set of {recipe.name}: {recipe.description}"),
        group_name=recipe.name,
        owners=[recipe.owner],
        kinds={"duckdb"},
        tags=keys.mmp_tags(kind="training_set", recipe=recipe.name),
        code_version=model_code_version(recipe, "training_set"),
        pool=config.feature_store_pool,
        partitions_def=spine_partitions(recipe),
        metadata={"mmp/recipe": recipes.file_of("model", recipe.name), "mmp/split": recipe.split.strategy,
                  "mmp/current_view": f"ts_{recipe.name}"},
        check_specs=[dg.AssetCheckSpec(LEAKAGE_CHECK, asset=key, blocking=True,
                                       description="No joined feature is from after its spine row; splits do not overlap.")],
    )
    def _training_set(context: dg.AssetExecutionContext, config: TrainingSetRunConfig, feature_store: FeatureStoreResource):
        from mmp_assets.feature_store.forecast_build import materialize_forecast_set
        from mmp_assets.feature_store.forecast_history import ForecastDataError
        from mmp_assets.feature_store.training_build import UntrainableTrainingSet, materialize_training_set
        from mmp_assets.feature_store.training_sets import SpineColumnsError
        from mmp_assets.feature_store.spine_checks import SpineDataError

        partition, params = run_window(context, config.params)
        try:
            with feature_store.publishing("training_set", recipe.name) as conn:
                if recipe.task == "forecasting":  # rows and features built from the series itself
                    outcome = materialize_forecast_set(conn, recipe, recipes, root, run_id=context.run_id, params=params)
                else:
                    outcome = materialize_training_set(conn, recipe, recipes, root, run_id=context.run_id, params=params, partition=partition)
        except (UntrainableTrainingSet, SpineColumnsError, SpineDataError, ForecastDataError) as exc:  # found in the data: one line; the current version stays
            raise dg.Failure(description=str(exc)) from None
        context.log.info(_summary(recipe.name, outcome))
        for warning in outcome.warnings:  # recorded on the version too; `mmp materialize` prints them
            context.log.warning(warning)
        return dg.MaterializeResult(
            data_version=dg.DataVersion(outcome.entry.content_hash if outcome.entry else "none"),
            metadata=_metadata(outcome),
            check_results=[dg.AssetCheckResult(
                check_name=LEAKAGE_CHECK, passed=not outcome.violations,
                description="; ".join(outcome.violations) or "point-in-time correct; splits disjoint",
                metadata={"violations": as_json(outcome.violations)},
            )],
        )

    return _training_set


def _summary(name: str, outcome: "TrainingSetOutcome") -> str:
    what = f"{name}/training_set" + (f" partition {outcome.partition}" if outcome.partition else "")
    if outcome.status == "published":
        return f"{what}: published version {outcome.entry.version} ({outcome.entry.row_count} rows)"
    if outcome.status == "unchanged":
        return f"{what}: content unchanged; version {outcome.entry.version} stays current"
    return f"{what}: version {outcome.staged.version} rejected: " + "; ".join(outcome.violations)


def column_lineage(outcome: "TrainingSetOutcome") -> dg.TableColumnLineage:
    """training-set column → the source or view column it came from."""
    deps: dict[str, list[dg.TableColumnDep]] = {}
    for column, (origin, upstream_column) in outcome.lineage.items():
        kind, name = origin.split(":", 1)
        asset = keys.source_key(name) if kind == "source" else keys.view_key(name)
        deps[column] = [dg.TableColumnDep(asset_key=asset, column_name=upstream_column)]
    return dg.TableColumnLineage(deps_by_column=deps)


def _metadata(outcome: "TrainingSetOutcome") -> dict[str, Any]:
    meta = entry_metadata(outcome.entry, outcome.status) | {
        "mmp/summary": _summary(outcome.staged.name, outcome),
        "mmp/unlabelled_rows_dropped": outcome.unlabelled,
        "dagster/column_lineage": column_lineage(outcome),
        "mmp/params": as_json(outcome.params),
        "mmp/warnings": as_json(outcome.warnings),
    }
    if outcome.partition is not None:
        meta["mmp/partition"] = outcome.partition
    if outcome.entry is not None:
        meta |= {
            "mmp/pinned_views": as_json(outcome.entry.pinned_views),
            "mmp/split_counts": as_json(outcome.entry.details.get("split_counts", {})),
            "mmp/feature_columns": as_json(outcome.entry.details.get("feature_columns", [])),
        }
        if outcome.entry.details.get("warnings"):
            meta["mmp/warnings"] = as_json(outcome.entry.details["warnings"])
    return meta
