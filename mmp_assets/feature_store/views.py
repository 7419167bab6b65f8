"""Materialize one feature view: compute, check the contract, then publish a new version or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from mmp_assets.feature_store import catalog, publish
from mmp_assets.feature_store.contract import ContractReport, check_contract, declared_schema
from mmp_assets.feature_store.observation import observe_source
from mmp_assets.feature_store.reads import view_sources, view_template
from mmp_assets.feature_store.sources import register_sources
from mmp_assets.feature_store.sql import ident
from mmp_assets.feature_store.templates import RenderedSql, render_sql
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.feature_view import FeatureViewRecipe


@dataclass(frozen=True)
class ViewOutcome:
    """`status` is published, unchanged or rejected; `entry` is the version now current (if any)."""

    status: str
    entry: catalog.CatalogEntry | None
    report: ContractReport
    staged: publish.Staged
    retired: list[int]
    params: dict = field(default_factory=dict)
    """The values this run bound: `view` (the view's template) and `sources` (each templated source)."""


def view_query(
    conn: duckdb.DuckDBPyConnection, view: FeatureViewRecipe, recipes: RecipeSet, root: Path, params: dict | None = None
) -> tuple[RenderedSql, dict[str, dict]]:
    """The view's SQL with bound parameters, and the values each templated source it reads was read with
    (registered on `conn`). The run's `params` override the recipes' in the view and its sources alike."""
    template, shown = view_template(view, recipes)
    source_params = register_sources(conn, view_sources(view, recipes), recipes, root, params)
    values = ({} if view.source_name else dict(view.source.params)) | (params or {})
    return render_sql(template, values, shown), source_params


def materialize_view(
    conn: duckdb.DuckDBPyConnection, view: FeatureViewRecipe, recipes: RecipeSet, root: Path,
    *, keep: int, run_id: str | None = None, params: dict | None = None,
) -> ViewOutcome:
    """Stage the next version, validate it, and publish it only if it passed and its content changed."""
    rendered, source_params = view_query(conn, view, recipes, root, params)
    used = {"view": rendered.params, "sources": source_params}
    try:
        staged = publish.stage(conn, "view", view.name, rendered.sql, rendered.params)
    except duckdb.Error as exc:
        raise ValueError(f"{view_template(view, recipes)[1]}: the view's query failed: {str(exc).splitlines()[0]}") from None
    history = catalog.entries(conn, "view", view.name)
    current = catalog.find_entry(conn, "view", view.name)
    expected = declared_schema(conn, view.schema_) or (history[0].schema if history else None)
    report = check_contract(conn, staged.table, staged.profile.columns, view.keys, expected,
                            current.schema if current else None)
    if not report.passed:
        publish.discard(conn, staged)
        return ViewOutcome("rejected", current, report, staged, [], used)
    if publish.same_as_current(conn, staged):
        publish.discard(conn, staged)
        return ViewOutcome("unchanged", current, report, staged, [], used)
    # the same temp tables the view was built from: the fingerprints are of the rows it read
    fingerprints = {name: observe_source(conn, name, recipes, root, params).as_dict() for name in view_sources(view, recipes)}
    entry = catalog.CatalogEntry(
        kind="view", name=view.name, version=staged.version, table_name=staged.table,
        content_hash=staged.profile.content_hash, owner=view.owner, description=view.description,
        entity=list(view.entity), timestamp_column=view.timestamp, ttl=view.ttl, schema=staged.profile.columns,
        row_count=staged.profile.row_count, null_fractions=staged.profile.null_fractions,
        source_fingerprints=fingerprints, details={"tags": view.tags, "strictly_before": view.strictly_before, "params": rendered.params,
                 "source_params": source_params},
        created_at=pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime(), run_id=run_id,
    )
    publish.publish(conn, staged, entry)
    retired = publish.retire_old_versions(conn, "view", view.name, keep)
    return ViewOutcome("published", entry, report, staged, retired, used)


def read_feature_view(conn: duckdb.DuckDBPyConnection, view: str, version: int | None = None) -> pd.DataFrame:
    """Rows of one version of a view (the current one when `version` is None)."""
    entry = publish.resolve_version(conn, "view", view, version)
    return conn.execute(f"SELECT * FROM {ident(entry.table_name)}").df()
