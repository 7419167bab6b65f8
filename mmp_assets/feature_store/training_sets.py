"""Training sets: the spine joined point-in-time to pinned view versions, split, stored as a version.

Also the read API training, evaluation and serving code against: `load_training_set` and
`point_in_time_features` (same join and column names, for rows without a label).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from mmp_assets.feature_store import catalog, publish
from mmp_assets.feature_store.contracts import TrainingSet, model_input
from mmp_assets.feature_store.pit import JoinedView, asof_sql, is_categorical, plan_joins, spine_columns
from mmp_assets.feature_store.sources import source_relation
from mmp_assets.feature_store.sql import columns_of, ident
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe


def pinned_joins(
    conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, recipes: RecipeSet, view_versions: dict[str, int] | None = None
) -> list[JoinedView]:
    """The joins of a recipe against the given view versions (the current ones by default)."""
    versions = {}
    for i, ref in enumerate(recipe.features):
        try:
            entry = publish.resolve_version(conn, "view", ref.view, (view_versions or {}).get(ref.view))
        except LookupError as exc:
            raise LookupError(f"{recipes.file_of('model', recipe.name)}: features[{i}].view: {exc}") from None
        missing = [c for c in ref.columns or [] if c not in entry.schema]
        if missing:
            raise ValueError(
                f"{recipes.file_of('model', recipe.name)}: features[{i}].columns: {', '.join(map(repr, missing))} not in view "
                f"{ref.view!r} version {entry.version}; its columns: {', '.join(entry.schema)}"
            )
        versions[ref.view] = (entry.version, entry.table_name, entry.schema)
    return plan_joins(recipe, recipes, versions)


class SpineColumnsError(ValueError):
    """The spine source's columns contradict `spine.columns` / `spine.exclude` (found when the data is read)."""


def resolved_spine(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, recipes: RecipeSet, joins: list[JoinedView]) -> ModelRecipe:
    """`recipe` with `spine.columns: all` spelled out from the registered spine source's columns; a
    ValueError naming the recipe field when an exclude names no column or no feature column is left."""
    available = columns_of(conn, f"SELECT * FROM {ident(recipe.spine.source)}")
    problems = recipe.spine_column_problems(available, sum(len(j.columns) for j in joins))
    needed = [("spine.label", recipe.spine.label), *([("uplift.treatment", recipe.uplift.treatment)] if recipe.uplift else [])]
    problems += [(where, f"column {column!r} is not in source {recipe.spine.source!r}; its columns: {', '.join(available)}")
                 for where, column in needed if column is not None and column not in available]  # a source without a declared schema (clustering: no label)
    if problems:
        shown = recipes.file_of("model", recipe.name)
        raise SpineColumnsError("\n".join(f"{shown}: {where}: {message}" for where, message in problems))
    return recipe.with_spine_columns(list(available))


def spine_sql(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, recipes: RecipeSet, root: Path, params: dict | None = None) -> str:
    """The spine columns a training set keeps (see `spine_columns`), of rows that have a label."""
    spine = recipe.spine
    relation = source_relation(conn, spine.source, recipes, root, params)
    columns = ", ".join(ident(c) for c in spine_columns(recipe))
    timed = f" AND {ident(spine.timestamp)} IS NOT NULL" if spine.timestamp else ""  # no point in time: left out, with a warning
    if spine.label is None:  # clustering: every row with its point in time is a training row
        return f"SELECT {columns} FROM {relation}" + (f" WHERE {ident(spine.timestamp)} IS NOT NULL" if spine.timestamp else "")
    return f"SELECT {columns} FROM {relation} WHERE {ident(spine.label)} IS NOT NULL{timed}"


def count_unlabelled(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe) -> int:
    if recipe.spine.label is None:
        return 0
    relation = ident(recipe.spine.source)  # registered by spine_sql
    return conn.execute(f"SELECT count(*) FROM {relation} WHERE {ident(recipe.spine.label)} IS NULL").fetchone()[0]


def load_training_set(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, version: int | None = None) -> TrainingSet:
    """One stored version of `<recipe>/training_set` (the current one when `version` is None)."""
    entry = publish.resolve_version(conn, "training_set", recipe.name, version)
    details = entry.details
    # stored unordered (the content hash does not care); readers always get the same order
    frame = conn.execute(f"SELECT * FROM {ident(entry.table_name)} ORDER BY {details['order_by']}").df()
    features = list(details["feature_columns"])
    frame[features] = model_input(frame[features], list(details["categorical_columns"]))
    return TrainingSet(
        recipe=recipe.name, version=entry.version, content_hash=entry.content_hash, frame=frame,
        entity=list(recipe.spine.entity), timestamp=recipe.spine.timestamp, label=recipe.spine.label,
        feature_columns=list(details["feature_columns"]), categorical_columns=list(details["categorical_columns"]),
        pinned_views=dict(entry.pinned_views), split_column=details.get("split_column", "split"),
    )


def point_in_time_features(
    conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, recipes: RecipeSet, spine: pd.DataFrame,
    view_versions: dict[str, int] | None = None,
) -> pd.DataFrame:
    """`spine` (any columns, entity and timestamp required, label optional) with the recipe's feature
    columns joined exactly as in its training set; rows keep their order and are never dropped."""
    timestamp = [recipe.spine.timestamp] if recipe.spine.timestamp else []
    needed = [*recipe.spine.entity, *(c for ref in recipe.features for c in (ref.on or [])), *timestamp]
    missing = [c for c in needed if c not in spine.columns]
    if missing:
        raise ValueError(f"spine frame lacks column(s) {', '.join(missing)}; it needs {', '.join(needed)}")
    joins = pinned_joins(conn, recipe, recipes, view_versions)
    # as in training, a feature comes from its view: a same-named extra column of the scoring rows gives way
    shadowed = [c for c in spine.columns if c in {out for j in joins for out in j.columns}]
    spine_rows = spine.drop(columns=shadowed).reset_index(drop=True)
    conn.register("__mmp_spine", spine_rows.assign(__mmp_row=range(len(spine_rows))))
    try:
        sql = asof_sql("SELECT * FROM __mmp_spine", recipe.spine.timestamp, joins)
        drop = ", ".join(["__mmp_row", *(ident(j.ts_column) for j in joins if j.timed and recipe.spine.timestamp)])
        frame = conn.execute(f"SELECT * EXCLUDE ({drop}) FROM ({sql}) ORDER BY __mmp_row").df()
    finally:
        conn.unregister("__mmp_spine")
    frame.index = spine.index
    return frame


def feature_columns(recipe: ModelRecipe, joins: list[JoinedView], schema: dict[str, str]) -> tuple[list[str], list[str]]:
    """(feature columns, the categorical ones among them): spine.columns then each view's columns."""
    features = [*recipe.spine.listed_columns, *(out for join in joins for out in join.columns)]
    return features, [c for c in features if is_categorical(schema[c])]


def column_lineage(recipe: ModelRecipe, joins: list[JoinedView]) -> dict[str, tuple[str, str]]:
    """training-set column → (upstream kind:name, upstream column)."""
    spine = recipe.spine
    lineage = {c: (f"source:{spine.source}", c) for c in spine_columns(recipe)}
    for join in joins:
        lineage |= {out: (f"view:{join.view.name}", column) for out, column in join.columns.items()}
        if join.timed:
            lineage[join.ts_column] = (f"view:{join.view.name}", join.view.timestamp)
    return lineage
