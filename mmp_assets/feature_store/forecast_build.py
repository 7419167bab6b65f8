"""Materialize a forecasting training set, and the rows a forecast is made from: both built in DuckDB.

`materialize_forecast_set` is `materialize_training_set` for `task: forecasting`: the same staged,
checked, published version, whose rows are built by `forecast_sql` from the spine source alone.
`future_rows` builds the inputs of the next `horizon` periods of every series from its latest history.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from mmp_assets.feature_store import catalog, publish
from mmp_assets.feature_store.contracts import model_input
from mmp_assets.feature_store.forecast_history import ForecastDataError, inspect_history, split_bounds
from mmp_assets.feature_store.forecast_sql import BASELINES, ORIGIN, SCALE, STEP, feature_names, future_sql, training_sql
from mmp_assets.feature_store.leakage import split_counts
from mmp_assets.feature_store.observation import observe_source
from mmp_assets.feature_store.sources import register_sources, source_relation
from mmp_assets.feature_store.sql import ident
from mmp_assets.feature_store.training_build import TrainingSetOutcome, UntrainableTrainingSet, training_set_entry
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe

__all__ = ["ForecastDataError", "boundary_violations", "future_rows", "materialize_forecast_set", "row_order"]


def row_order(recipe: ModelRecipe) -> str:
    """Origin, series, step: time-ordered and unique."""
    return ", ".join([ident(ORIGIN), *(ident(c) for c in recipe.spine.entity), ident(STEP)])


def boundary_violations(conn: duckdb.DuckDBPyConnection, table: str, recipe: ModelRecipe) -> list[str]:
    """Splits that cross: a training label at or after the first validation (or test) origin, a validation
    label at or after the first test origin. Features are before their own origin by construction."""
    ts = ident(recipe.spine.timestamp)
    out = []
    for early, late in (("train", "validation"), ("train", "test"), ("validation", "test")):
        last, first = conn.execute(
            f"SELECT max({ts}) FILTER (WHERE split = '{early}'), min({ident(ORIGIN)}) FILTER (WHERE split = '{late}') FROM {ident(table)}"
        ).fetchone()
        if last is not None and first is not None and last >= first:
            out.append(f"a {early} row's target ({last}) is not before the first {late} origin ({first})")
    return out


def materialize_forecast_set(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, recipes: RecipeSet, root: Path, *,
                             run_id: str | None = None, params: dict | None = None):
    """Stage, check and publish (or not) the next forecasting training set version; a TrainingSetOutcome."""
    shown = recipes.file_of("model", recipe.name)
    used = register_sources(conn, [recipe.spine.source], recipes, root, params)
    relation = source_relation(conn, recipe.spine.source, recipes, root, params)
    grid, warnings = inspect_history(conn, recipe, relation, shown)
    shown_warnings = [f"{recipe.name}/training_set: {w}" for w in warnings]
    validation_start, test_start = split_bounds(conn, recipe, relation, grid)
    staged = publish.stage(conn, "training_set", recipe.name, training_sql(recipe, relation, grid, validation_start, test_start))
    label, features = recipe.spine.label, feature_names(recipe)
    unlabelled = conn.execute(f"SELECT count(*) FROM {relation} WHERE {ident(label)} IS NULL").fetchone()[0]
    lineage = {c: (f"source:{recipe.spine.source}", c) for c in [*recipe.spine.entity, recipe.spine.timestamp, label]}
    lineage |= {c: (f"source:{recipe.spine.source}", label) for c in [*features[1:], *BASELINES, SCALE] if not c.startswith("cal_")}
    lineage |= {c: (f"source:{recipe.spine.source}", recipe.spine.timestamp) for c in [ORIGIN, *features] if c == ORIGIN or c.startswith("cal_")}
    current = catalog.find_entry(conn, "training_set", recipe.name)
    violations = boundary_violations(conn, staged.table, recipe)
    if violations:
        publish.discard(conn, staged)
        return TrainingSetOutcome("rejected", current, violations, staged, [], unlabelled, lineage, used, warnings=shown_warnings)
    counts = split_counts(conn, staged.table)
    empty = [s for s in ("train", "validation", "test") if not counts.get(s)]
    if empty:
        publish.discard(conn, staged)
        kept = f"version {current.version} stays current" if current is not None else "no version is current yet"
        raise UntrainableTrainingSet(
            f"{shown}: split: training set {recipe.name} v{staged.version} not published: its {', '.join(empty)} split(s) are empty "
            f"(rows per split: {counts}); the series are too short for the warm-up ({recipe.forecast.warmup} periods), a validation "
            f"and a test stretch of at least one horizon ({recipe.forecast.horizon}) each; give more history or shorten them; {kept}")
    if publish.same_as_current(conn, staged):
        publish.discard(conn, staged)
        return TrainingSetOutcome("unchanged", current, [], staged, [], unlabelled, lineage, used, warnings=shown_warnings)
    bounds = conn.execute(f"SELECT {grid.time(str(validation_start))}, {grid.time(str(test_start))}").fetchone()
    entry = training_set_entry(
        recipe, staged, observe_source(conn, recipe.spine.source, recipes, root, params), run_id, pinned_views={},
        details={
            "label": label, "feature_columns": features, "categorical_columns": [], "split_column": "split",
            "order_by": row_order(recipe), "split_strategy": "temporal", "split_counts": counts,
            "unlabelled_rows_dropped": unlabelled, "lineage": {k: list(v) for k, v in lineage.items()},
            "source_params": used, "partition": None, "warnings": warnings,
            "forecast": {"frequency": grid.frequency, "horizon": recipe.forecast.horizon, "season_length": recipe.forecast.season,
                         "validation_start": str(bounds[0]), "test_start": str(bounds[1])},
        },
    )
    publish.publish(conn, staged, entry)
    return TrainingSetOutcome("published", entry, [], staged, [], unlabelled, lineage, used, warnings=shown_warnings)


def future_rows(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, history: pd.DataFrame, shown: str) -> pd.DataFrame:
    """Entity, forecast period, origin, step and the model inputs of the next `horizon` periods of every
    series in `history` (rows of the spine source: entity, timestamp, label). ForecastDataError names what
    is refused, including any series too short for the features."""
    conn.register("__mmp_history", history)
    try:
        grid, _ = inspect_history(conn, recipe, "__mmp_history", shown, min_periods=recipe.forecast.warmup)
        frame = conn.execute(f"{future_sql(recipe, '__mmp_history', grid)} ORDER BY ALL").df()
    finally:
        conn.unregister("__mmp_history")
    short = frame[frame["__history"] < recipe.forecast.warmup]
    if len(short):
        first = short.iloc[0]
        names = ", ".join(repr(first[c]) for c in recipe.spine.entity)
        raise ForecastDataError(f"{shown}: forecast.lags: series {names} has {int(first['__history'])} period(s) of history, fewer "
                                f"than the {recipe.forecast.warmup} its features need; leave it out of the rows or give more history")
    frame = frame.drop(columns="__history")
    features = feature_names(recipe)
    frame[features] = model_input(frame[features], [])
    return frame
