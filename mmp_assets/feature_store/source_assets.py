"""`sources/<name>`: observable source assets whose data version is a schema + content fingerprint."""

import warnings
from pathlib import Path

import dagster as dg

from mmp_assets import keys
from mmp_assets.feature_store.metadata import column_schema, one_line
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.source import SourceRecipe
from mmp_assets.recipes.versions import source_code_version


def build_source_asset(source: SourceRecipe, recipes: RecipeSet, root: Path) -> dg.AssetsDefinition:
    """One observable asset per source; observing reads it in a private in-memory DuckDB, not the store,
    with the recipe's params (what a run read with its own values is fingerprinted in the catalog)."""
    spec = dg.AssetSpec(
        key=keys.source_key(source.name),
        description=one_line(source.description),
        group_name=keys.SOURCES_GROUP,
        owners=[source.owner],
        kinds={"duckdb", _kind(source)},
        tags=keys.mmp_tags(kind="source"),
        code_version=source_code_version(source),
        metadata={"mmp/recipe": recipes.file_of("source", source.name), "mmp/origin": source.origin},
    )

    def _observe(context: dg.AssetExecutionContext):
        import duckdb

        from mmp_assets.feature_store.databases import DatabaseError
        from mmp_assets.feature_store.observation import observe_source
        from mmp_assets.feature_store.sources import SourceError
        from mmp_assets.feature_store.templates import TemplateError

        try:
            with duckdb.connect() as conn:
                seen = observe_source(conn, source.name, recipes, root)
        except (SourceError, DatabaseError, TemplateError) as exc:
            raise dg.Failure(description=str(exc)) from None
        context.log.info(f"{source.name}: schema {seen.schema_fingerprint}, content {seen.content_fingerprint}")
        yield dg.ObserveResult(
            asset_key=spec.key,
            data_version=dg.DataVersion(seen.data_version),
            metadata={
                "mmp/schema_fingerprint": seen.schema_fingerprint,
                "mmp/content_fingerprint": seen.content_fingerprint,
                "dagster/column_schema": column_schema(seen.columns),
            },
        )

    with warnings.catch_warnings():  # observable sources are still "beta" in Dagster 1.13, and the one way to version them
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.multi_observable_source_asset(specs=[spec], name=f"observe_source_{source.name}")(_observe)


def _kind(source: SourceRecipe) -> str:
    if source.connection is not None:
        return source.connection.type
    return "sql" if source.sql is not None else source.file_format()
