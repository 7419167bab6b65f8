"""Forecasting features as DuckDB SQL: lags, rolling windows and calendar parts from each series' own past.

Every timestamp becomes an integer period index `p` on the recipe's frequency, and each series is laid
on a dense grid of its periods (a missing period is a row with a NULL value), so `lag(k)` is exactly
the value k periods back and a `ROWS` frame is exactly w periods. A row forecasts the period `t` from
the origin `o = t - step + 1`: its lag and rolling features are window functions over the periods
strictly before `o` (frames end at `1 PRECEDING`), so no value at or after the origin reaches them.
Calendar parts describe the forecast period itself, which is known in advance.

The training rows are split by time: test rows have their origin at or after the test start `S`,
validation rows their origin at or after `V` and their target before `S`, training rows their target
before `V`; rows whose target would cross a boundary are left out, so no training label lies in the
validation or test periods.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmp_assets.feature_store.sql import ident
from mmp_assets.recipes.model import ModelRecipe

EPOCH, MONDAY = "TIMESTAMP '1970-01-01'", "TIMESTAMP '1970-01-05'"
_UNIT = {"hourly": ("hour", "to_hours"), "daily": ("day", "to_days"), "monthly": ("month", "to_months")}
_CALENDAR = {"hour": "hour({t})", "day_of_week": "isodow({t})", "day_of_month": "day({t})",
             "week_of_year": "week({t})", "month": "month({t})"}
ORIGIN, STEP = "forecast_origin", "step"
BASELINES = ("naive_last", "naive_seasonal")
SCALE = "mase_scale"


@dataclass(frozen=True)
class Grid:
    """The recipe's frequency as SQL: `weekday` is the weekday (0 = Monday) weekly series fall on."""

    frequency: str
    weekday: int = 0

    def period(self, ts: str) -> str:
        """Integer period index of timestamp expression `ts`."""
        if self.frequency == "weekly":
            return f"((date_diff('day', {MONDAY}, {ts}) - {self.weekday}) // 7)"
        return f"date_diff('{_UNIT[self.frequency][0]}', {EPOCH}, {ts})"

    def time(self, p: str) -> str:
        """Timestamp of period index expression `p`."""
        if self.frequency == "weekly":
            return f"({MONDAY} + to_days(CAST(({p}) * 7 + {self.weekday} AS INTEGER)))"
        return f"({EPOCH} + {_UNIT[self.frequency][1]}(CAST({p} AS INTEGER)))"

    def aligned(self, ts: str) -> str:
        """Whether `ts` lies exactly on a period of the grid."""
        return f"({self.time(self.period(ts))} = {ts})"


def weekday_sql(ts: str) -> str:
    """The weekday (0 = Monday) of a timestamp expression, for the weekly grid."""
    return f"(((date_diff('day', {MONDAY}, {ts}) % 7) + 7) % 7)"


def feature_names(recipe: ModelRecipe) -> list[str]:
    """The model's inputs, in order: the step, the lags, the rolling means and deviations, the calendar parts."""
    fc = recipe.forecast
    rolling = [name for w in fc.windows for name in (f"roll_mean_{w}", f"roll_std_{w}")]
    seasonal = [f"season_lag_{j}" for j in range(1, fc.seasonal_lags + 1)]
    return [STEP, *(f"lag_{k}" for k in fc.lags), *seasonal, *rolling, *(f"cal_{part}" for part in fc.calendar_parts)]


def observed_sql(recipe: ModelRecipe, relation: str, grid: Grid) -> str:
    """The observations of every series: entity, period index, timestamp, value (rows missing any of them left out)."""
    spine = recipe.spine
    keys = ", ".join(ident(c) for c in spine.entity)
    not_null = " AND ".join(f"{ident(c)} IS NOT NULL" for c in [*spine.entity, spine.timestamp, spine.label])
    ts = f"CAST({ident(spine.timestamp)} AS TIMESTAMP)"
    return (f"SELECT {keys}, {grid.period(ts)} AS __p, {ts} AS __ts, CAST({ident(spine.label)} AS DOUBLE) AS __y "
            f"FROM {relation} WHERE {not_null}")


def _features_ctes(recipe: ModelRecipe, relation: str, grid: Grid) -> str:
    """CTEs __obs (observations), __bounds, __dense (the grid, one period past each series' end) and
    __feat (one row per series and origin period: the features known at that origin)."""
    fc, entity = recipe.forecast, recipe.spine.entity
    keys = ", ".join(ident(c) for c in entity)
    part = f"PARTITION BY {keys} ORDER BY __p"
    before = f"OVER ({part} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    columns = [f"lag(__y, {k}) OVER ({part}) AS {ident(f'lag_{k}')}" for k in fc.lags]
    for w in fc.windows:
        frame = f"OVER ({part} ROWS BETWEEN {w} PRECEDING AND 1 PRECEDING)"
        columns += [f"avg(__y) {frame} AS {ident(f'roll_mean_{w}')}", f"stddev_samp(__y) {frame} AS {ident(f'roll_std_{w}')}"]
    columns += [
        f"last_value(__y IGNORE NULLS) {before} AS __last",
        f"avg(__sdiff) {before} AS __scale",
        f"__p - min(__p) OVER (PARTITION BY {keys}) AS __history",
    ]
    return f"""__obs AS ({observed_sql(recipe, relation, grid)}),
__bounds AS (SELECT {keys}, min(__p) AS __lo, max(__p) AS __hi FROM __obs GROUP BY {keys}),
__grid AS (SELECT {keys}, unnest(generate_series(__lo, __hi + 1)) AS __p FROM __bounds),
__dense AS (
    SELECT g.*, o.__y, abs(o.__y - lag(o.__y, {fc.season}) OVER (PARTITION BY {', '.join(f'g.{ident(c)}' for c in entity)} ORDER BY g.__p)) AS __sdiff
    FROM __grid g LEFT JOIN __obs o USING ({keys}, __p)
),
__feat AS (SELECT {keys}, __p AS __origin, {', '.join(columns)} FROM __dense)"""


def _on(left: str, right: str, entity: list[str]) -> str:
    return " AND ".join(f"{left}.{ident(c)} = {right}.{ident(c)}" for c in entity)


def _calendar(recipe: ModelRecipe, ts: str) -> list[str]:
    return [f"{_CALENDAR[part].format(t=ts)} AS {ident(f'cal_{part}')}" for part in recipe.forecast.calendar_parts]


def _inputs(recipe: ModelRecipe) -> list[str]:
    """The past-value inputs in feature order: lags and windows from __feat, seasonal lags from their joins."""
    return [f"{'sl' + name.rsplit('_', 1)[1] + '.__y' if name.startswith('season_lag_') else 'f.' + ident(name)} AS {ident(name)}"
            for name in feature_names(recipe) if name.startswith(("lag_", "roll_", "season_lag_"))]


def _season_joins(recipe: ModelRecipe, target: str, step: str, at: str) -> str:
    """LEFT JOINs `sl<j>`: the value j seasons before the forecast period `target`, counted from the
    latest same-season period before the origin (always before it: m * ceil(step / m) >= step)."""
    m, entity = recipe.forecast.season, recipe.spine.entity
    return "".join(f"\nLEFT JOIN __dense sl{j} ON {_on(f'sl{j}', at, entity)} AND sl{j}.__p = {target} - {m} * (({step} + {m - 1}) // {m}) - {m * (j - 1)}"
                   for j in range(1, recipe.forecast.seasonal_lags + 1))


def training_sql(recipe: ModelRecipe, relation: str, grid: Grid, validation_start: int, test_start: int) -> str:
    """One row per observed value and step 1..horizon whose origin has the warm-up history, with its
    features, label, the two naive baselines' forecasts, the series' MASE scale and the split."""
    fc, spine = recipe.forecast, recipe.spine
    entity, m = spine.entity, fc.season
    keys = ", ".join(f"r.{ident(c)}" for c in entity)
    ts = ident(spine.timestamp)
    V, S = int(validation_start), int(test_start)
    return f"""WITH {_features_ctes(recipe, relation, grid)},
__rows AS (
    SELECT o.*, s.{STEP}, o.__p - s.{STEP} + 1 AS __origin
    FROM __obs o, (SELECT unnest(generate_series(1, {fc.horizon})) AS {STEP}) s
)
SELECT {keys}, r.__ts AS {ts}, {grid.time('r.__origin')} AS {ORIGIN}, r.{STEP}, {', '.join(_inputs(recipe))},
    {', '.join(_calendar(recipe, 'r.__ts'))},
    r.__y AS {ident(spine.label)},
    f.__last AS naive_last,
    coalesce(sn.__y, f.__last) AS naive_seasonal,
    fs.__scale AS {SCALE},
    CASE WHEN r.__origin >= {S} THEN 'test' WHEN r.__origin >= {V} THEN 'validation' ELSE 'train' END AS split
FROM __rows r
JOIN __feat f ON {_on('f', 'r', entity)} AND f.__origin = r.__origin
LEFT JOIN __dense sn ON {_on('sn', 'r', entity)} AND sn.__p = r.__p - {m} * ((r.{STEP} + {m - 1}) // {m})
LEFT JOIN __feat fs ON {_on('fs', 'r', entity)} AND fs.__origin = least(r.__origin, {S}){_season_joins(recipe, 'r.__p', f'r.{STEP}', 'r')}
WHERE f.__history >= {fc.warmup}
  AND (r.__origin >= {S} OR (r.__origin >= {V} AND r.__p < {S}) OR r.__p < {V})"""


def future_sql(recipe: ModelRecipe, relation: str, grid: Grid) -> str:
    """The rows to forecast: for every series, steps 1..horizon from the origin right after its last
    observed period, with the features known at that origin."""
    fc, spine = recipe.forecast, recipe.spine
    keys = ", ".join(f"f.{ident(c)}" for c in spine.entity)
    target = grid.time(f"f.__origin + s.{STEP} - 1")
    return f"""WITH {_features_ctes(recipe, relation, grid)}
SELECT {keys}, {target} AS {ident(spine.timestamp)}, {grid.time('f.__origin')} AS {ORIGIN}, s.{STEP},
    {', '.join(_inputs(recipe))}, {', '.join(_calendar(recipe, target))}, f.__history AS __history
FROM __feat f
JOIN __bounds b ON {_on('b', 'f', spine.entity)} AND f.__origin = b.__hi + 1
CROSS JOIN (SELECT unnest(generate_series(1, {fc.horizon})) AS {STEP}) s{_season_joins(recipe, f'f.__origin + s.{STEP} - 1', f's.{STEP}', 'f')}"""


def history_check_sql(recipe: ModelRecipe, relation: str, grid: Grid) -> str:
    """(duplicated (entity, period) pairs, timestamps off the grid) of history rows: what a forecast refuses."""
    spine = recipe.spine
    keys = ", ".join(ident(c) for c in spine.entity)
    ts = f"CAST({ident(spine.timestamp)} AS TIMESTAMP)"
    present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in [*spine.entity, spine.timestamp])
    return (f"SELECT (SELECT count(*) FROM (SELECT 1 FROM {relation} WHERE {present} GROUP BY {keys}, {ts} HAVING count(*) > 1)), "
            f"(SELECT count(*) FROM {relation} WHERE {present} AND NOT {grid.aligned(ts)})")
