"""Point-in-time joins: the spine ASOF LEFT JOINed to each feature view on its entity key.

A spine row gets the view's latest row with timestamp <= the spine timestamp (< when the view is
`strictly_before`) and within the view's TTL, else NULLs; no spine row is ever dropped. A
published view version never holds two rows for one (entity, timestamp) (its contract check
rejects that), so the matching row is unique and the join deterministic.

A static view (no timestamp) holds one row per entity and is LEFT JOINed on the key alone; it is
the only kind a plain-table spine (no timestamp) may join, since there is no point in time to join at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from mmp_assets.feature_store.sql import ident
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.model import ModelRecipe

CATEGORICAL_TYPES = ("VARCHAR", "BOOLEAN", "ENUM")


@dataclass(frozen=True)
class JoinedView:
    """One view in a join: which stored version, on which spine keys, and output name → view column."""

    view: FeatureViewRecipe
    version: int
    table: str
    spine_keys: list[str]
    columns: dict[str, str]

    @property
    def ts_column(self) -> str:
        return f"__ts_{self.view.name}"

    @property
    def timed(self) -> bool:
        """False for a static view: joined on the key alone, with no joined timestamp to check."""
        return self.view.timestamp is not None


def spine_columns(recipe: ModelRecipe) -> list[str]:
    """Spine columns a training set keeps: keys (including every `on`), timestamp, label, spine.columns, split group."""
    spine = recipe.spine
    join_keys = [c for ref in recipe.features for c in (ref.on or [])]
    group = [recipe.split.group] if recipe.split.group else []
    timestamp = [spine.timestamp] if spine.timestamp else []
    treatment = [recipe.uplift.treatment] if recipe.uplift else []
    return list(dict.fromkeys([*spine.entity, *join_keys, *timestamp, *filter(None, [spine.label]), *treatment, *spine.listed_columns, *group]))


def reserved_names(recipe: ModelRecipe, split_column: str = "split") -> set[str]:
    return {*spine_columns(recipe), split_column}


def feature_names(recipe: ModelRecipe, view_columns: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """view → {output column → view column}: the view's own name unless it collides, then `<view>__<column>`."""
    seen = Counter(column for columns in view_columns.values() for column in columns)
    taken = reserved_names(recipe)
    return {
        view: {(f"{view}__{c}" if seen[c] > 1 or c in taken else c): c for c in columns}
        for view, columns in view_columns.items()
    }


def selected_columns(recipe_columns: list[str] | None, view: FeatureViewRecipe, schema: dict[str, str]) -> list[str]:
    """The feature columns taken from a view: the recipe's subset, else all but its keys."""
    keys = set(view.keys)
    return list(recipe_columns) if recipe_columns else [c for c in schema if c not in keys]


def is_categorical(duckdb_type: str) -> bool:
    return duckdb_type.upper().startswith(CATEGORICAL_TYPES)


def asof_sql(spine_sql: str, spine_ts: str | None, joins: list[JoinedView]) -> str:
    """SELECT over the spine (`spine_sql`, aliased s) with every view ASOF LEFT JOINed onto it (static views,
    and every view of a spine without a timestamp, LEFT JOINed on the key alone)."""
    selects, froms = ["s.*"], [f"({spine_sql}) AS s"]
    for i, join in enumerate(joins):
        alias, view = f"f{i}", join.view
        keys = [f"{ident(k)} AS __k{j}" for j, k in enumerate(view.entity)]
        timed = join.timed and spine_ts is not None
        stamp = [f"{ident(view.timestamp)} AS __ts"] if timed else []
        inner = ", ".join([*keys, *stamp, *(ident(c) for c in dict.fromkeys(join.columns.values()))])
        on = [f"s.{ident(sk)} = {alias}.__k{j}" for j, sk in enumerate(join.spine_keys)]
        fresh = "TRUE"
        if timed:
            on.append(f"s.{ident(spine_ts)} {'>' if view.strictly_before else '>='} {alias}.__ts")
            if view.ttl_delta is not None:
                seconds = int(view.ttl_delta.total_seconds())
                fresh = f"{alias}.__ts >= s.{ident(spine_ts)} - INTERVAL '{seconds} seconds'"
        froms.append(f"{'ASOF ' if timed else ''}LEFT JOIN (SELECT {inner} FROM {ident(join.table)}) AS {alias} ON {' AND '.join(on)}")
        for out, column in join.columns.items():
            selects.append(f"CASE WHEN {fresh} THEN {alias}.{ident(column)} END AS {ident(out)}")
        if timed:
            selects.append(f"CASE WHEN {fresh} THEN {alias}.__ts END AS {ident(join.ts_column)}")
    return f"SELECT {', '.join(selects)} FROM {' '.join(froms)}"


def plan_joins(recipe: ModelRecipe, recipes: RecipeSet, versions: dict[str, tuple[int, str, dict[str, str]]]) -> list[JoinedView]:
    """JoinedView per recipe feature ref, given view → (version, table, schema) of the versions to pin."""
    wanted = {
        ref.view: selected_columns(ref.columns, recipes.views[ref.view], versions[ref.view][2]) for ref in recipe.features
    }
    names = feature_names(recipe, wanted)
    return [
        JoinedView(
            view=recipes.views[ref.view], version=versions[ref.view][0], table=versions[ref.view][1],
            spine_keys=list(ref.on or recipe.spine.entity), columns=names[ref.view],
        )
        for ref in recipe.features
    ]
