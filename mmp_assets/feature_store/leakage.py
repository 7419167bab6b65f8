"""The proof a training set does not leak: checked on the staged table before it may be published.

- no joined feature timestamp is later than its spine timestamp (or equal, for strictly_before
  views), and none is older than the view's TTL;
- splits do not overlap: temporal splits are ordered in time (train < validation < test), and
  in a group split no group has rows in two splits.
"""

from __future__ import annotations

import duckdb

from mmp_assets.feature_store.pit import JoinedView
from mmp_assets.feature_store.splits import SPLIT_COLUMN
from mmp_assets.feature_store.sql import ident
from mmp_assets.recipes.model import ModelRecipe


def leakage_violations(conn: duckdb.DuckDBPyConnection, table: str, recipe: ModelRecipe, joins: list[JoinedView]) -> list[str]:
    """Every way the staged training set leaks; [] when it is sound."""
    return _point_in_time(conn, table, recipe, joins) + _split_overlap(conn, table, recipe)


def split_counts(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    rows = conn.execute(f"SELECT {SPLIT_COLUMN}, count(*) FROM {ident(table)} GROUP BY ALL ORDER BY ALL").fetchall()
    return {split: int(n) for split, n in rows}


def _point_in_time(conn, table: str, recipe: ModelRecipe, joins: list[JoinedView]) -> list[str]:
    joins = [j for j in joins if j.timed]  # a static view has no joined time to check
    if not joins or recipe.spine.timestamp is None:
        return []
    ts = ident(recipe.spine.timestamp)
    tests = []
    for join in joins:
        joined = ident(join.ts_column)
        tests.append(f"count(*) FILTER (WHERE {joined} {'>=' if join.view.strictly_before else '>'} {ts})")
        if join.view.ttl_delta is not None:
            tests.append(f"count(*) FILTER (WHERE {joined} < {ts} - INTERVAL '{int(join.view.ttl_delta.total_seconds())} seconds')")
        else:
            tests.append("0")
    counts = conn.execute(f"SELECT {', '.join(tests)} FROM {ident(table)}").fetchone()
    problems = []
    for i, join in enumerate(joins):
        future, stale = counts[2 * i], counts[2 * i + 1]
        if future:
            problems.append(f"{future} row(s) joined a {join.view.name} value from after the spine timestamp")
        if stale:
            problems.append(f"{stale} row(s) joined a {join.view.name} value older than its ttl {join.view.ttl}")
    return problems


def _split_overlap(conn, table: str, recipe: ModelRecipe) -> list[str]:
    split = recipe.split
    if split.strategy == "temporal":
        ts = ident(recipe.spine.timestamp)
        spans = dict(
            (name, (lo, hi))
            for name, lo, hi in conn.execute(
                f"SELECT {SPLIT_COLUMN}, min({ts}), max({ts}) FROM {ident(table)} WHERE {ts} IS NOT NULL GROUP BY ALL"
            ).fetchall()
        )
        ordered = [spans[s] for s in ("train", "validation", "test") if s in spans]
        overlaps = sum(1 for (_, hi), (lo, _) in zip(ordered, ordered[1:]) if hi >= lo)
        return [f"temporal splits overlap in time at {overlaps} boundary(ies)"] if overlaps else []
    if split.strategy == "group":
        group = [split.group] if split.group else list(recipe.spine.entity)
        keys = ", ".join(ident(c) for c in group)
        shared = conn.execute(
            f"SELECT count(*) FROM (SELECT {keys} FROM {ident(table)} GROUP BY ALL HAVING count(DISTINCT {SPLIT_COLUMN}) > 1)"
        ).fetchone()[0]
        return [f"{shared} group(s) of {', '.join(group)} appear in more than one split"] if shared else []
    return []
