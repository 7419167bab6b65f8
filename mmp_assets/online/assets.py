"""`features/<view>/online`: the current version of an `online: true` view, latest row per entity, in Redis."""

# no `from __future__ import annotations`: Dagster reads the asset function's annotations to inject resources

from pathlib import Path

import dagster as dg

from mmp_assets import keys
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.versions import view_code_version
from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.online_store import OnlineStoreResource
from mmp_resources.settings import PlatformConfig


def online_key(view: str) -> dg.AssetKey:
    return dg.AssetKey(["features", view, "online"])


def build_online_assets(recipes: RecipeSet, config: PlatformConfig, root: Path) -> list:
    """One online asset per view with `online: true`. Reads no data and contacts no server."""
    return [_online_asset(view, recipes, config) for view in recipes.views.values() if view.online]


def latest_rows_sql(table: str, view: FeatureViewRecipe) -> str:
    """The latest row per entity of one stored version (ties on the timestamp cannot occur: the contract forbids them)."""
    from mmp_assets.feature_store.sql import ident

    partition = ", ".join(ident(c) for c in view.entity)
    if view.timestamp is None:  # a static view holds one row per entity already
        return f"SELECT * FROM {ident(table)}"
    return f"SELECT * FROM {ident(table)} QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {ident(view.timestamp)} DESC) = 1"


def _online_asset(view: FeatureViewRecipe, recipes: RecipeSet, config: PlatformConfig) -> dg.AssetsDefinition:
    recipe_file = recipes.files[("view", view.name)]

    @dg.asset(
        key=online_key(view.name),
        deps=[keys.view_key(view.name)],
        description=f"Latest value per {', '.join(view.entity)} of features/{view.name}, served from the online store.",
        group_name=keys.FEATURES_GROUP,
        owners=[view.owner],
        kinds={"redis"},
        tags=keys.mmp_tags(kind="online_view"),
        code_version=view_code_version(view, recipe_file.parent),
        pool=config.dagster.duckdb_pool,  # holds a DuckDB connection while it reads the current version
        metadata={"mmp/recipe": recipes.file_of("view", view.name), "mmp/entity": ", ".join(view.entity)},
    )
    def _online(context: dg.AssetExecutionContext, feature_store: FeatureStoreResource, online_store: OnlineStoreResource):
        if not online_store.enabled:
            context.log.warning(f"features/{view.name}/online: online_store.kind is 'none' in env {online_store.env!r}; nothing pushed")
            return dg.MaterializeResult(metadata={"mmp/online_store": "none (nothing pushed)"})
        from mmp_assets.feature_store import resolve_version
        from mmp_assets.online.push import push_latest

        with feature_store.connect() as conn:
            entry = resolve_version(conn, "view", view.name)
            frame = conn.execute(latest_rows_sql(entry.table_name, view)).df()
        result = push_latest(online_store, view, frame, entry.version)
        context.log.info(
            f"features/{view.name}/online: version {entry.version} "
            + (f"pushed for {result['entities']} entities" if result["flipped"] else f"not flipped ({result.get('reason', 'a newer version is current')})")
        )
        return dg.MaterializeResult(
            data_version=dg.DataVersion(f"v{entry.version}:{entry.content_hash}"),
            metadata={
                "mmp/view_version": entry.version,
                "mmp/entities": result["entities"],
                "mmp/flipped": result["flipped"],
                "mmp/previous_version": result.get("previous_version") or 0,
                "mmp/key_prefix": online_store.version_prefix(view.name, entry.version),
            },
        )

    return _online
