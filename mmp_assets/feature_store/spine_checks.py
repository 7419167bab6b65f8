"""What the data of a training set can be wrong in, found before (or just after) staging it and said in one
line naming the recipe file, the field, the column, how many rows and what is allowed.

Rules (refuse = nothing staged or published, the current version stays; warn = recorded on the version
and printed by `mmp materialize`):

- spine timestamp not a DATE/TIMESTAMP: refuse (a point-in-time join compares times, not numbers);
- a spine key whose type differs from the view's key it joins (BIGINT vs VARCHAR): refuse;
- NULL spine timestamps: refuse when every labelled row has one; else those rows are left out (they have
  no point in time to join at and no place in a temporal split) and a warning says how many;
- spine rows identical in every kept column: warn with the count; identical (entity, timestamp and every
  other kept column) but for the label: refuse, the same event recorded with two outcomes (without a
  spine timestamp such rows are ordinary noise and pass);
- a temporal split whose tied timestamps leave a requested split empty: refuse with the actual shares;
  shares more than 10 points off the requested ones: warn;
- +inf/-inf in a feature: refuse (no model reads infinity); NaN in a feature: warn (read as missing).
"""

from __future__ import annotations

import duckdb

from mmp_assets.feature_store.pit import JoinedView, spine_columns
from mmp_assets.feature_store.splits import SPLIT_COLUMN
from mmp_assets.feature_store.sql import columns_of, ident
from mmp_assets.recipes.model import ModelRecipe

TIME_TYPES = ("DATE", "TIMESTAMP")
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
SHARE_TOLERANCE = 0.10  # a temporal split this far off a requested share is worth a warning


class SpineDataError(ValueError):
    """The spine's data cannot make a sound training set; the message is one line naming file and field."""


def _family(duckdb_type: str) -> str:
    """Types a join key may be compared across: numbers with numbers, strings with strings, times with times."""
    t = duckdb_type.upper()
    if t.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
                     "DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return "number"
    if t.startswith(("VARCHAR", "ENUM")):
        return "text"
    if t.startswith(TIME_TYPES):
        return "time"
    return t


def check_spine(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, joins: list[JoinedView], shown: str) -> list[str]:
    """Refuse (SpineDataError) or warn about the registered spine source `recipe.spine.source`; the warnings."""
    spine = recipe.spine
    relation = ident(spine.source)
    if not conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {relation} LIMIT 1)").fetchone()[0]:
        return []  # no rows: the types of an empty file say nothing (a NULL-typed column); the untrainable check says it
    types = columns_of(conn, f"SELECT * FROM {relation}")
    if recipe.split.group and recipe.split.group not in types:
        raise SpineDataError(f"{shown}: split.group: column {recipe.split.group!r} is not in source {spine.source}; its columns: "
                             f"{', '.join(types)}")
    if spine.timestamp and not types.get(spine.timestamp, "").upper().startswith(TIME_TYPES):
        raise SpineDataError(
            f"{shown}: spine.timestamp: column {spine.timestamp!r} of source {spine.source} is {types.get(spine.timestamp)}, not a "
            f"DATE or TIMESTAMP; a point-in-time join needs times: name a time column, or convert it in the source's SQL "
            f"(such as to_timestamp({spine.timestamp}))")
    for join in joins:
        view_types = columns_of(conn, f"SELECT * FROM {ident(join.table)}")
        for spine_key, view_key in zip(join.spine_keys, join.view.entity):
            left, right = types.get(spine_key, "?"), view_types.get(view_key, "?")
            if _family(left) != _family(right):
                raise SpineDataError(
                    f"{shown}: spine.entity: spine column {spine_key!r} (source {spine.source}) is {left} but view {join.view.name!r} "
                    f"keys on {view_key!r} {right}; a join key must have one type on both sides: cast one of them in SQL "
                    f"(CAST({spine_key} AS {right})) or fix the declared schema")
    labelled = f"{ident(spine.label)} IS NOT NULL" if spine.label else "TRUE"  # clustering: no label, every row counts
    warnings = []
    if spine.timestamp:
        total, missing = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {ident(spine.timestamp)} IS NULL) FROM {relation} WHERE {labelled}").fetchone()
        if total and missing == total:
            raise SpineDataError(
                f"{shown}: spine.timestamp: all {total} labelled row(s) of source {spine.source} have a NULL {spine.timestamp!r}; "
                "a training set needs a point in time per row: fill the column or name another one")
        if missing:
            warnings.append(f"{shown}: spine.timestamp: {missing} of {total} labelled row(s) of source {spine.source} have a NULL "
                            f"{spine.timestamp!r} and are left out of the training set")
    return warnings + _duplicates(conn, recipe, shown)


def _duplicates(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, shown: str) -> list[str]:
    spine = recipe.spine
    kept = [c for c in spine_columns(recipe) if c != spine.label]
    cols = ", ".join(ident(c) for c in kept)
    where = (f"{ident(spine.label)} IS NOT NULL" if spine.label else "TRUE") + (f" AND {ident(spine.timestamp)} IS NOT NULL" if spine.timestamp else "")
    labels = f"count(DISTINCT {ident(spine.label)})" if spine.label else "1"  # clustering: duplicates, never contradictions
    extra, conflicting = conn.execute(
        f"SELECT coalesce(sum(n - labels), 0), count(*) FILTER (WHERE labels > 1) FROM (SELECT count(*) AS n, "
        f"{labels} AS labels FROM {ident(spine.source)} WHERE {where} GROUP BY {cols}) WHERE n > 1").fetchone()
    if conflicting and spine.timestamp and spine.listed_columns:  # one entity, one instant, the same values, two outcomes
        raise SpineDataError(
            f"{shown}: spine.label: {conflicting} group(s) of spine rows of source {spine.source} are identical in "
            f"{', '.join(kept)} but have different {spine.label!r} values; one row cannot have two labels: remove the "
            "contradicting rows or add the column that tells them apart to spine.columns")
    if conflicting and spine.timestamp:  # only entity and time on the spine: two events at one instant may differ; their features cannot
        return [f"{shown}: spine.label: {conflicting} group(s) of spine rows of source {spine.source} share {', '.join(kept)} "
                f"but have different {spine.label!r} values; the model sees them as one row with two outcomes"]
    if extra:
        return [f"{shown}: spine.source: {int(extra)} duplicate spine row(s) in source {spine.source} (identical in every "
                f"kept column and the label); they are kept and weigh double: remove them in the source's SQL (SELECT DISTINCT)"]
    return []


def check_staged(conn: duckdb.DuckDBPyConnection, table: str, recipe: ModelRecipe, features: list[str], shown: str) -> list[str]:
    """Refuse (SpineDataError) or warn about the staged training set `table`; the warnings."""
    warnings = _split_shares(conn, table, recipe, shown)
    types = columns_of(conn, f"SELECT * FROM {ident(table)}")
    floats = [c for c in features if types.get(c, "").upper().startswith(FLOAT_TYPES)]
    if not floats:
        return warnings
    tests = ", ".join(f"count(*) FILTER (WHERE isinf({ident(c)})), count(*) FILTER (WHERE isnan({ident(c)}))" for c in floats)
    counts = conn.execute(f"SELECT count(*), {tests} FROM {ident(table)}").fetchone()
    rows = counts[0]
    infinite = {c: counts[1 + 2 * i] for i, c in enumerate(floats) if counts[1 + 2 * i]}
    if infinite:
        column, n = next(iter(infinite.items()))
        raise SpineDataError(
            f"{shown}: features: column {column!r} has {n} of {rows} row(s) +inf or -inf"
            + (f" (and {', '.join(map(repr, list(infinite)[1:]))} too)" if len(infinite) > 1 else "")
            + "; no model reads infinity: map it to NULL or a bound in the SQL that makes the column (CASE WHEN isinf(x) THEN NULL ELSE x END)")
    for i, column in enumerate(floats):
        if counts[2 + 2 * i]:
            warnings.append(f"{shown}: features: column {column!r} has {counts[2 + 2 * i]} of {rows} row(s) NaN; they are read as "
                            "missing and imputed")
    return warnings


def _split_shares(conn: duckdb.DuckDBPyConnection, table: str, recipe: ModelRecipe, shown: str) -> list[str]:
    split = recipe.split
    if split.strategy != "temporal":
        return []
    wanted = {"train": 1.0 - split.validation - split.test, "validation": split.validation, "test": split.test}
    counts = dict(conn.execute(f"SELECT {SPLIT_COLUMN}, count(*) FROM {ident(table)} GROUP BY ALL").fetchall())
    total = sum(counts.values())
    if not total:
        return []
    got = {name: counts.get(name, 0) / total for name in wanted}
    shares = lambda d: "/".join(f"{round(100 * d[k])}%" for k in wanted)  # noqa: E731
    ts = recipe.spine.timestamp
    distinct = conn.execute(f"SELECT count(DISTINCT {ident(ts)}) FROM {ident(table)}").fetchone()[0]
    said = (f"temporal split by {ts!r} gives train/validation/test {shares(got)} of {total} row(s) instead of {shares(wanted)}: "
            f"the rows have {distinct} distinct {ts!r} value(s) and rows tied at a boundary go to the later split")
    if any(want > 0 and not counts.get(name) for name, want in wanted.items()):
        raise SpineDataError(f"{shown}: split: {said}; use a finer timestamp, or strategy random, stratified or group")
    if any(abs(got[name] - want) > SHARE_TOLERANCE for name, want in wanted.items()):
        return [f"{shown}: split: {said}"]
    return []
