"""Leak-free train / validation / test assignment, computed in DuckDB and deterministic with the seed.

- temporal: by spine timestamp, oldest rows train, newest test. Boundaries are timestamps, and
  rows exactly at a boundary go to the later split, so train < validation < test in time.
- random: rows ranked by md5(seed, row) — the same rows and seed always give the same split.
- stratified: the same ranking within each label value (uplift: each outcome × treatment cell), so every split keeps the mix.
- group: whole groups (split.group, else the spine entity) ranked by md5(seed, group), and cut
  by cumulative row share, so no group is in two splits.
"""

from __future__ import annotations

from mmp_assets.feature_store.pit import spine_columns
from mmp_assets.feature_store.sql import ident
from mmp_assets.recipes.model import ModelRecipe

SPLIT_COLUMN = "split"


def _assign(position: str, train: float, validation: float) -> str:
    return f"CASE WHEN {position} < {train!r} THEN 'train' WHEN {position} < {train + validation!r} THEN 'validation' ELSE 'test' END"


def _text(columns: list[str], prefix: str = "") -> str:
    return ", ".join(f"coalesce({prefix}{ident(c)}::VARCHAR, '\\N')" for c in columns)


def row_order(recipe: ModelRecipe) -> str:
    """The deterministic order readers get rows in: spine timestamp (if any), then every other spine column kept."""
    first = [recipe.spine.timestamp] if recipe.spine.timestamp else []
    return ", ".join(ident(c) for c in dict.fromkeys([*first, *spine_columns(recipe)]))


def split_sql(joined_sql: str, spine_sql: str, recipe: ModelRecipe) -> str:
    """`joined_sql` with a `split` column added. Boundaries come from `spine_sql` alone: the join keeps
    every spine row, so they are the same, and the join then runs once."""
    spine, split = recipe.spine, recipe.split
    train = 1.0 - split.validation - split.test
    row_cols = spine_columns(recipe)
    order = row_order(recipe)
    seed = int(split.seed)
    if split.strategy == "temporal":
        if spine.timestamp is None:  # the recipe loader refuses this; a hand-made recipe gets the same words
            raise ValueError(f"recipe {recipe.name}: split.strategy: 'temporal' needs spine.timestamp; use random, stratified or group")
        ts = ident(spine.timestamp)
        body = (
            f"WITH j AS ({joined_sql}), b AS (SELECT quantile_disc({ts}, {train!r}) AS t1, "
            f"quantile_disc({ts}, {train + split.validation!r}) AS t2 FROM ({spine_sql})) "
            f"SELECT j.*, CASE WHEN j.{ts} < b.t1 THEN 'train' WHEN j.{ts} < b.t2 THEN 'validation' ELSE 'test' END AS {SPLIT_COLUMN} "
            f"FROM j, b"
        )
    elif split.strategy in ("random", "stratified"):
        strata = [spine.label, *([recipe.uplift.treatment] if recipe.uplift else [])]  # uplift: outcome × treatment
        partition = f"PARTITION BY {', '.join(map(ident, strata))}" if split.strategy == "stratified" else ""
        body = (
            f"WITH j AS ({joined_sql}), r AS (SELECT *, md5_number(concat_ws('|', '{seed}', {_text(row_cols)})) AS __u FROM j) "
            f"SELECT * EXCLUDE (__u), {_assign(f'(row_number() OVER ({partition} ORDER BY __u, {order}) - 1) / count(*) OVER ({partition})', train, split.validation)} AS {SPLIT_COLUMN} FROM r"
        )
    else:
        group = [split.group] if split.group else list(spine.entity)
        body = (
            f"WITH j AS ({joined_sql}), r AS (SELECT *, concat_ws('|', {_text(group)}) AS __g FROM j), "
            f"g AS (SELECT concat_ws('|', {_text(group)}) AS __g, count(*) AS n, md5_number(concat_ws('|', '{seed}', __g)) AS u "
            f"FROM ({spine_sql}) GROUP BY __g), "
            f"c AS (SELECT __g, (sum(n) OVER (ORDER BY u, __g ROWS UNBOUNDED PRECEDING) - n) / sum(n) OVER () AS start FROM g) "
            f"SELECT r.* EXCLUDE (__g), {_assign('c.start', train, split.validation)} AS {SPLIT_COLUMN} FROM r JOIN c USING (__g)"
        )
    return body
