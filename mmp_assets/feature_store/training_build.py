"""Materialize one training-set version: join, split, prove it does not leak, then publish or not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from mmp_assets.feature_store import catalog, publish
from mmp_assets.feature_store.leakage import leakage_violations, split_counts
from mmp_assets.feature_store.observation import SourceObservation, observe_source
from mmp_assets.feature_store.partitions import partition_entry
from mmp_assets.feature_store.pit import JoinedView, asof_sql
from mmp_assets.feature_store.sources import register_sources
from mmp_assets.feature_store.spine_checks import check_spine, check_staged
from mmp_assets.feature_store.sql import ident
from mmp_assets.feature_store.splits import SPLIT_COLUMN, row_order, split_sql
from mmp_assets.feature_store.training_sets import (
    column_lineage, count_unlabelled, feature_columns, pinned_joins, resolved_spine, spine_sql,
)
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe


class UntrainableTrainingSet(ValueError):
    """The staged version could train no model (no labelled rows, no train rows, one class); it was
    discarded before publishing, so the current version stays current."""


def untrainable_reason(conn: duckdb.DuckDBPyConnection, table: str, recipe: ModelRecipe, unlabelled: int) -> str | None:
    """Why no model could be trained on `table`, or None when one can."""
    counts = split_counts(conn, table)
    label = recipe.spine.label
    if not counts and label is None:
        return "it has no rows"
    if not counts:
        return f"it has no labelled rows ({unlabelled} spine row(s) have a NULL {label!r})"
    if not counts.get("train"):
        return f"its train split is empty (rows per split: {counts})"
    if recipe.task in ("classification", "uplift"):
        classes = conn.execute(
            f"SELECT DISTINCT {ident(label)} FROM {ident(table)} WHERE {ident(SPLIT_COLUMN)} = 'train' LIMIT 2").fetchall()
        if len(classes) < 2:
            return f"every train row has {label} = {classes[0][0]!r}; a classifier needs at least two classes"
    return None


@dataclass(frozen=True)
class TrainingSetOutcome:
    """`status` is published, unchanged or rejected; `entry` is the version now current (if any)."""

    status: str
    entry: catalog.CatalogEntry | None
    violations: list[str]
    staged: publish.Staged
    joins: list[JoinedView]
    unlabelled: int
    lineage: dict[str, tuple[str, str]]
    params: dict = field(default_factory=dict)
    """The values each templated source was read with in this run (a partition's window included)."""
    partition: str | None = None
    warnings: list[str] = field(default_factory=list)
    """What the data gave reason to doubt without refusing it (NULL timestamps left out, duplicates, NaN)."""


def materialize_training_set(
    conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, recipes: RecipeSet, root: Path,
    *, run_id: str | None = None, view_versions: dict[str, int] | None = None, params: dict | None = None,
    partition: str | None = None,
) -> TrainingSetOutcome:
    """Stage the next version of `<recipe>/training_set`, check it, publish it if sound and changed.
    `params` override the spine source's template values; `partition` is recorded on the version, and
    "changed" then means changed from that partition's newest version."""
    joins = pinned_joins(conn, recipe, recipes, view_versions)
    for join in joins:  # found only in the data when the view declares no schema (mmp validate checks declared ones)
        if recipe.spine.label is not None and recipe.spine.label in join.columns.values():
            raise UntrainableTrainingSet(
                f"{recipes.file_of('model', recipe.name)}: features: view {join.view.name!r} has a column {recipe.spine.label!r}, the "
                "label's name; a feature named like the label is ambiguous (and often the label itself); list the view's other "
                "columns with columns, or rename it in the view")
    used = register_sources(conn, [recipe.spine.source], recipes, root, params)
    recipe = resolved_spine(conn, recipe, recipes, joins)
    shown = recipes.file_of("model", recipe.name)
    warnings = check_spine(conn, recipe, joins, shown)  # refused here, nothing is staged
    spine = spine_sql(conn, recipe, recipes, root, params)
    query = split_sql(asof_sql(spine, recipe.spine.timestamp, joins), spine, recipe)
    staged = publish.stage(conn, "training_set", recipe.name, query)
    unlabelled = count_unlabelled(conn, recipe)
    lineage = column_lineage(recipe, joins)
    current = catalog.find_entry(conn, "training_set", recipe.name) if partition is None else partition_entry(conn, recipe.name, partition)
    violations = leakage_violations(conn, staged.table, recipe, joins)
    if violations:
        publish.discard(conn, staged)
        return TrainingSetOutcome("rejected", current, violations, staged, joins, unlabelled, lineage, used, partition, warnings)
    try:
        warnings += check_staged(conn, staged.table, recipe, feature_columns(recipe, joins, staged.profile.columns)[0], shown)
    except ValueError:
        publish.discard(conn, staged)
        raise
    field = "spine.label" if recipe.spine.label is not None else "spine.source"  # clustering has no label
    reason = untrainable_reason(conn, staged.table, recipe, unlabelled)
    if reason is None and recipe.task == "uplift":
        from mmp_assets.feature_store.uplift_checks import uplift_reason

        field, reason = uplift_reason(conn, staged.table, recipe) or (field, None)
    if reason is not None:
        publish.discard(conn, staged)
        kept = f"version {current.version} stays current" if current is not None else "no version is current yet"
        raise UntrainableTrainingSet(f"{recipes.file_of('model', recipe.name)}: {field}: training set {recipe.name} "
                                     f"v{staged.version} not published, no model can be trained on it: {reason}; {kept}")
    same = publish.same_as_current(conn, staged) if partition is None else current is not None and current.content_hash == staged.profile.content_hash
    if same:
        publish.discard(conn, staged)
        return TrainingSetOutcome("unchanged", current, [], staged, joins, unlabelled, lineage, used, partition, warnings)
    features, categorical = feature_columns(recipe, joins, staged.profile.columns)
    entry = training_set_entry(
        recipe, staged, observe_source(conn, recipe.spine.source, recipes, root, params), run_id,
        pinned_views={j.view.name: j.version for j in joins},
        details={
            "label": recipe.spine.label, "feature_columns": features, "categorical_columns": categorical,
            "split_column": SPLIT_COLUMN, "order_by": row_order(recipe), "split_strategy": recipe.split.strategy, "split_counts": split_counts(conn, staged.table),
            "unlabelled_rows_dropped": unlabelled, "lineage": {k: list(v) for k, v in lineage.items()},
            "source_params": used, "partition": partition, "warnings": warnings,
        },
    )
    publish.publish(conn, staged, entry)
    return TrainingSetOutcome("published", entry, [], staged, joins, unlabelled, lineage, used, partition, warnings)


def training_set_entry(recipe: ModelRecipe, staged: publish.Staged, spine_source: SourceObservation, run_id: str | None, *,
                       pinned_views: dict[str, int], details: dict) -> catalog.CatalogEntry:
    """The catalog entry of a staged training set: what every task records the same way, plus its own `details`."""
    return catalog.CatalogEntry(
        kind="training_set", name=recipe.name, version=staged.version, table_name=staged.table,
        content_hash=staged.profile.content_hash, owner=recipe.owner, description=recipe.description,
        entity=list(recipe.spine.entity), timestamp_column=recipe.spine.timestamp, ttl=None,
        schema=staged.profile.columns, row_count=staged.profile.row_count, null_fractions=staged.profile.null_fractions,
        source_fingerprints={recipe.spine.source: spine_source.as_dict()}, pinned_views=pinned_views, details=details,
        created_at=pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime(), run_id=run_id,
    )
