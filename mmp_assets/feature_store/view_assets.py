"""`features/<view>`: a versioned feature view asset with a blocking schema-contract check."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

from mmp_assets import keys
from mmp_assets.feature_store.metadata import as_json, changes_markdown, column_schema, entry_metadata, one_line
from mmp_assets.feature_store.reads import view_sources
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.versions import view_code_version
from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.settings import PlatformConfig

if TYPE_CHECKING:  # computing a view needs DuckDB and pandas; drawing its asset does not
    from mmp_assets.feature_store.views import ViewOutcome

CONTRACT_CHECK = "schema_contract"


class FeatureViewRunConfig(dg.Config):
    params: dict[str, Any] = Field(
        default_factory=dict, description="Template values overriding the recipes' params, in the view and the sources it reads; bound, never pasted."
    )


def build_view_asset(view: FeatureViewRecipe, recipes: RecipeSet, config: PlatformConfig, root: Path) -> dg.AssetsDefinition:
    key = keys.view_key(view.name)
    recipe_file = recipes.files[("view", view.name)]

    @dg.asset(
        key=key,
        deps=[keys.source_key(s) for s in view_sources(view, recipes)],
        description=one_line(view.description),
        group_name=keys.FEATURES_GROUP,
        owners=[view.owner],
        kinds={"duckdb"},
        tags=keys.mmp_tags(kind="feature_view"),
        code_version=view_code_version(view, recipe_file.parent),
        pool=config.feature_store_pool,
        metadata={"mmp/recipe": recipes.file_of("view", view.name), "mmp/entity": ", ".join(view.entity),
                  "mmp/timestamp": view.timestamp or "none (static)", "mmp/ttl": view.ttl or "none", "mmp/current_view": f"fv_{view.name}"},
        check_specs=[dg.AssetCheckSpec(CONTRACT_CHECK, asset=key, blocking=True,
                                       description="Declared or frozen schema holds; entity and timestamp are non-null and unique together.")],
    )
    def _view(context: dg.AssetExecutionContext, config: FeatureViewRunConfig, feature_store: FeatureStoreResource):
        from mmp_assets.feature_store.views import materialize_view

        with feature_store.publishing("view", view.name) as conn:
            outcome = materialize_view(conn, view, recipes, root, keep=feature_store.config.feature_store.retention_versions,
                                       run_id=context.run_id, params=config.params)
        context.log.info(_summary(view.name, outcome))
        return dg.MaterializeResult(
            data_version=dg.DataVersion(outcome.entry.content_hash if outcome.entry else "none"),
            metadata=_metadata(outcome),
            check_results=[_check_result(outcome)],
        )

    return _view


def _summary(name: str, outcome: "ViewOutcome") -> str:
    if outcome.status == "published":
        return f"{name}: published version {outcome.entry.version} ({outcome.entry.row_count} rows)"
    if outcome.status == "unchanged":
        return f"{name}: content unchanged; version {outcome.entry.version} stays current, nothing published"
    return f"{name}: version {outcome.staged.version} rejected by its contract: " + "; ".join(outcome.report.violations)


def _metadata(outcome: "ViewOutcome") -> dict[str, Any]:
    meta = entry_metadata(outcome.entry, outcome.status) | {
        "mmp/summary": _summary(outcome.entry.name if outcome.entry else outcome.staged.name, outcome),
        "mmp/schema_changes": changes_markdown(outcome.report.changes),
        "mmp/params": as_json(outcome.params),
    }
    if outcome.retired:
        meta["mmp/retired_versions"] = as_json(outcome.retired)
    if outcome.status == "rejected":
        meta["mmp/rejected_schema"] = column_schema(outcome.staged.profile.columns)
    return meta


def _check_result(outcome: "ViewOutcome") -> dg.AssetCheckResult:
    report = outcome.report
    return dg.AssetCheckResult(
        check_name=CONTRACT_CHECK,
        passed=report.passed,
        description="; ".join(report.violations) or "schema, keys and uniqueness hold",
        metadata={"violations": as_json(report.violations), "null_keys": report.null_keys,
                  "duplicate_keys": report.duplicate_keys, "schema_changes": changes_markdown(report.changes)},
    )
