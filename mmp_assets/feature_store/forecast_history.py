"""What a forecasting recipe's series must be before any feature is built: refusals and recorded warnings.

Refused (one line, nothing built): a label that is not a number, a timestamp that is not a time,
two rows for one (entity, period), a timestamp off the declared frequency, no series long enough for
the features. Recorded as warnings (the training set's metadata, the run log): rows missing their
entity, time or value (left out), missing periods inside a series (gaps: their lags and windows see
NULL, the seasonal naive falls back to the last value), series too short for the features (left out).
"""

from __future__ import annotations

import duckdb

from mmp_assets.feature_store.forecast_sql import Grid, observed_sql, weekday_sql
from mmp_assets.feature_store.sql import columns_of, ident
from mmp_assets.recipes.model import ModelRecipe

SHOWN_EXAMPLES = 3
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "FLOAT", "DOUBLE", "DECIMAL", "REAL")
_TIMES = ("DATE", "TIMESTAMP")


class ForecastDataError(ValueError):
    """The series cannot be forecast as the recipe declares them; the message is one line naming file and field."""


def _key(row: tuple) -> str:
    return repr(row[0]) if len(row) == 1 else repr(tuple(row))


def inspect_history(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, relation: str, shown: str,
                    *, min_periods: int | None = None) -> tuple[Grid, list[str]]:
    """(the recipe's grid, warnings) for the series in `relation`; ForecastDataError for what is refused.
    `min_periods`: periods a series needs (default: the features' warm-up plus one target)."""
    spine, fc = recipe.spine, recipe.forecast
    keys = ", ".join(ident(c) for c in spine.entity)
    types = columns_of(conn, f"SELECT * FROM {relation}")
    for field, column, allowed in (("spine.label", spine.label, _NUMERIC), ("spine.timestamp", spine.timestamp, _TIMES)):
        kind = types.get(column)
        if kind is None:
            raise ForecastDataError(f"{shown}: {field}: column {column!r} is not in the rows; their columns: {', '.join(types)}")
        if not kind.upper().startswith(allowed):
            what = "numbers" if field == "spine.label" else "dates or timestamps"
            raise ForecastDataError(f"{shown}: {field}: column {column!r} is {kind}; a forecast needs {what} there")
    for column in spine.entity:
        if column not in types:
            raise ForecastDataError(f"{shown}: spine.entity: column {column!r} is not in the rows; their columns: {', '.join(types)}")
    warnings: list[str] = []
    ts = f"CAST({ident(spine.timestamp)} AS TIMESTAMP)"
    missing = conn.execute(
        f"SELECT count(*) FILTER (WHERE {' OR '.join(f'{ident(c)} IS NULL' for c in [*spine.entity, spine.timestamp])}), "
        f"count(*) FILTER (WHERE {ident(spine.label)} IS NULL), count(*) FROM {relation}").fetchone()
    if missing[2] == 0:
        raise ForecastDataError(f"{shown}: spine.source: has no rows; nothing to forecast from")
    if missing[0]:
        warnings.append(f"{missing[0]} row(s) with a NULL {' or '.join([*spine.entity, spine.timestamp])} left out")
    infinite = conn.execute(f"SELECT count(*), min({ident(spine.label)}) FROM {relation} WHERE isinf(CAST({ident(spine.label)} AS DOUBLE))").fetchone()
    if infinite[0]:
        raise ForecastDataError(f"{shown}: spine.label: {infinite[0]} value(s) of {spine.label!r} are infinite (e.g. {infinite[1]}); "
                                "a forecast needs finite numbers: turn them into NULL (a gap) or a value in a source sql")
    if missing[1]:
        warnings.append(f"{missing[1]} row(s) with a NULL {spine.label!r} are missing values (their period is a gap)")
    present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in [*spine.entity, spine.timestamp])
    dupes = conn.execute(
        f"SELECT {keys}, {ts}, count(*) FROM {relation} WHERE {present} GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT {SHOWN_EXAMPLES}"
    ).fetchall()
    if dupes:
        total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {relation} WHERE {present} GROUP BY {keys}, {ts} HAVING count(*) > 1)").fetchone()[0]
        first = dupes[0]
        raise ForecastDataError(
            f"{shown}: spine.timestamp: {total} ({', '.join(spine.entity)}, {spine.timestamp}) pair(s) appear more than once, e.g. "
            f"{_key(first[:-2])} at {first[-2]} ({first[-1]} rows); a series has one value per period: aggregate them in a source sql")
    weekday = 0
    if fc.frequency == "weekly":
        weekday = conn.execute(f"SELECT {weekday_sql(f'min({ts})')} FROM {relation} WHERE {present}").fetchone()[0]
    grid = Grid(fc.frequency, int(weekday or 0))
    off = conn.execute(f"SELECT {ts}, count(*) OVER () FROM {relation} WHERE {present} AND NOT {grid.aligned(ts)} ORDER BY 1 LIMIT 1").fetchone()
    if off:
        on = f"on {['Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays', 'Sundays'][weekday]} (the first one's weekday) " \
            if fc.frequency == "weekly" else ""
        raise ForecastDataError(
            f"{shown}: forecast.frequency: {off[1]} timestamp(s) of {spine.timestamp!r} are not on the {fc.frequency} grid, e.g. {off[0]}; "
            f"{fc.frequency} periods start {on}at {_START[fc.frequency]}: resample the series in a source sql, or declare its real frequency")
    need = min_periods if min_periods is not None else fc.warmup + 1
    per_series = conn.execute(
        f"SELECT {keys}, count(*), max(__p) - min(__p) + 1 AS span FROM ({observed_sql(recipe, relation, grid)}) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    if not per_series:
        raise ForecastDataError(f"{shown}: spine.label: every row has a NULL {spine.label!r}; nothing to forecast from")
    gaps = [(row[:-2], row[-1] - row[-2]) for row in per_series if row[-1] > row[-2]]
    if gaps:
        shown_gaps = ", ".join(f"{_key(k)} misses {n}" for k, n in gaps[:SHOWN_EXAMPLES])
        warnings.append(f"{len(gaps)} series have missing {fc.frequency} periods ({shown_gaps}); lags and windows over a gap see "
                        "NULL and the seasonal naive falls back to the last value there")
    short = [(row[:-2], row[-1]) for row in per_series if row[-1] < need]
    if len(short) == len(per_series):
        k, n = short[0]
        raise ForecastDataError(
            f"{shown}: forecast.lags: every series is shorter than the {need} periods the features need (the longest lag, window or "
            f"season_length is {fc.warmup}), e.g. {_key(k)} spans {n}; shorten lags, windows or season_length, or give more history")
    if short:
        shown_short = ", ".join(f"{_key(k)} ({n})" for k, n in short[:SHOWN_EXAMPLES])
        warnings.append(f"{len(short)} series span fewer than the {need} periods the features need and are left out: {shown_short}")
    return grid, warnings


_START = {"hourly": "the top of an hour", "daily": "midnight", "weekly": "midnight", "monthly": "midnight of the 1st"}


def split_bounds(conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, relation: str, grid: Grid) -> tuple[int, int]:
    """(validation start, test start) period indexes: the last `split.test` share of the periods (at least
    one horizon) is tested, the `split.validation` share before it (at least one horizon) validates."""
    low, high = conn.execute(f"SELECT min(__p), max(__p) FROM ({observed_sql(recipe, relation, grid)})").fetchone()
    periods, horizon = high - low + 1, recipe.forecast.horizon
    test = max(horizon, -(-periods * recipe.split.test // 1))
    validation = max(horizon, -(-periods * recipe.split.validation // 1))
    test_start = high - int(test) + 1
    return test_start - int(validation), test_start
