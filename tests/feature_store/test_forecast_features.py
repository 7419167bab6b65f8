"""Forecasting features built in DuckDB: values match an independent pandas computation, never see the
forecast origin or later, respect the split boundaries; bad series get one line, odd ones a warning."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from mmp_assets.feature_store.forecast_build import future_rows
from mmp_assets.feature_store.forecast_history import ForecastDataError, inspect_history, split_bounds
from mmp_assets.feature_store.forecast_sql import training_sql
from mmp_assets.recipes.model import ModelRecipe

SHOWN = "recipes/sales.yaml"


def _recipe(**forecast) -> ModelRecipe:
    return ModelRecipe.model_validate({
        "name": "sales", "description": "d", "owner": "team:t", "task": "forecasting",
        "spine": {"source": "series", "entity": "store", "timestamp": "day", "label": "sales"},
        "forecast": {"frequency": "daily", "horizon": 3, "lags": [1, 2, 7], "windows": [3], "calendar": ["day_of_week"], **forecast},
        "split": {"validation": 0.2, "test": 0.2},
        "model": {"class_path": "sklearn.linear_model.Ridge"}, "tuning": {"metric": "mae"},
    })


def _series(days: int = 40, stores: int = 2, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-03-03", periods=days, freq="D")
    return pd.concat([pd.DataFrame({"store": f"s{i}", "day": dates, "sales": rng.normal(10 + i, 2, days).round(3)})
                      for i in range(stores)], ignore_index=True)


def _build(frame: pd.DataFrame, recipe: ModelRecipe) -> tuple[pd.DataFrame, list[str], tuple[int, int]]:
    with duckdb.connect() as conn:
        conn.register("series", frame)
        grid, warnings = inspect_history(conn, recipe, "series", SHOWN)
        bounds = split_bounds(conn, recipe, "series", grid)
        rows = conn.execute(f"{training_sql(recipe, 'series', grid, *bounds)} ORDER BY ALL").df()
    return rows, warnings, bounds


def _expected(frame: pd.DataFrame, recipe: ModelRecipe) -> pd.DataFrame:
    """Lags, windows and baselines from pandas alone: per store, shift over a complete daily index."""
    fc, out = recipe.forecast, []
    for store, one in frame.groupby("store"):
        y = one.set_index("day")["sales"].asfreq("D")
        for step in range(1, fc.horizon + 1):
            rows = pd.DataFrame({"store": store, "day": y.index, "step": step, "sales": y.to_numpy()})
            origin_last = y.shift(step)  # value just before the origin (origin = day - step + 1)
            for k in fc.lags:
                rows[f"lag_{k}"] = y.shift(step - 1 + k).to_numpy()
            for w in fc.windows:
                rows[f"roll_mean_{w}"] = origin_last.rolling(w, min_periods=1).mean().to_numpy()
            m = fc.season
            rows["naive_seasonal"] = y.shift(m * -(-step // m)).to_numpy()
            rows["season_lag_1"] = rows["naive_seasonal"]
            rows["season_lag_2"] = y.shift(m * -(-step // m) + m).to_numpy()
            rows["naive_last"] = origin_last.to_numpy()
            out.append(rows.dropna(subset=["sales"]))
    return pd.concat(out, ignore_index=True)


def test_features_match_pandas_and_use_only_the_past() -> None:
    recipe = _recipe(seasonal_lags=2)
    frame = _series()
    built, warnings, _ = _build(frame, recipe)
    assert warnings == []
    expected = _expected(frame, recipe)
    merged = built.merge(expected, on=["store", "day", "step"], suffixes=("", "_pd"))
    assert len(merged) == len(built) > 0
    for column in ["sales", "lag_1", "lag_2", "lag_7", "season_lag_1", "season_lag_2", "roll_mean_3", "naive_seasonal", "naive_last"]:
        assert np.allclose(merged[column], merged[f"{column}_pd"], equal_nan=True), column
    assert (merged["forecast_origin"] == merged["day"] - pd.to_timedelta(merged["step"] - 1, unit="D")).all()
    # warm-up: every origin has at least max(lags, windows, season) days of history
    first = frame.groupby("store")["day"].min()
    assert ((built["forecast_origin"] - built["store"].map(first)).dt.days >= recipe.forecast.warmup).all()
    assert built["cal_day_of_week"].tolist() == built["day"].dt.dayofweek.add(1).tolist()


def test_future_values_never_reach_features_at_an_origin() -> None:
    """Make every value at or after an origin huge: the features of the rows forecast from it do not move."""
    recipe = _recipe(seasonal_lags=2)
    frame = _series()
    before, _, _ = _build(frame, recipe)
    origin = before["forecast_origin"].sort_values().iloc[len(before) // 2]
    poisoned = frame.assign(sales=frame["sales"].where(frame["day"] < origin, 1e9))
    after, _, _ = _build(poisoned, recipe)
    inputs = ["lag_1", "lag_2", "lag_7", "season_lag_1", "season_lag_2", "roll_mean_3", "roll_std_3", "naive_last", "naive_seasonal", "cal_day_of_week"]
    at = ["store", "day", "step"]
    a = before[before["forecast_origin"] <= origin].set_index(at)[inputs].sort_index()
    b = after[after["forecast_origin"] <= origin].set_index(at)[inputs].sort_index()
    pd.testing.assert_frame_equal(a, b)
    assert (after[after["forecast_origin"] > origin]["lag_1"] == 1e9).any()  # the poison is real: later origins see it


def test_split_is_temporal_and_no_training_label_crosses_a_boundary() -> None:
    recipe = _recipe()
    built, _, (validation_start, test_start) = _build(_series(), recipe)
    v = pd.Timestamp("1970-01-01") + pd.Timedelta(days=validation_start)
    s = pd.Timestamp("1970-01-01") + pd.Timedelta(days=test_start)
    parts = {name: rows for name, rows in built.groupby("split")}
    assert set(parts) == {"train", "validation", "test"}
    assert parts["train"]["day"].max() < v and (parts["validation"]["forecast_origin"] >= v).all()
    assert parts["validation"]["day"].max() < s and (parts["test"]["forecast_origin"] >= s).all()
    # the test share of the 40 days (20%, at least one horizon) is tested, the 20% before it validates
    assert (pd.Timestamp("2025-03-03") + pd.Timedelta(days=39) - s).days + 1 == 8
    assert (s - v).days == 8
    # test-period values never feed a training or validation row: poison them, those rows do not move
    frame = _series()
    poisoned, _, _ = _build(frame.assign(sales=frame["sales"].where(frame["day"] < s, 1e9)), recipe)
    keep = ["store", "day", "step"]
    before = built[built["split"] != "test"].sort_values(keep).reset_index(drop=True)
    after = poisoned[poisoned["split"] != "test"].sort_values(keep).reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)


def test_mase_scale_is_the_in_sample_seasonal_naive_error() -> None:
    recipe = _recipe()
    frame = _series()
    built, _, (_, test_start) = _build(frame, recipe)
    s = pd.Timestamp("1970-01-01") + pd.Timedelta(days=test_start)
    for store, one in frame.groupby("store"):
        y = one.set_index("day")["sales"]
        in_sample = y[y.index < s]
        scale = np.mean(np.abs(in_sample.to_numpy()[7:] - in_sample.to_numpy()[:-7]))
        test = built[(built["split"] == "test") & (built["store"] == store)]
        assert np.allclose(test["mase_scale"], scale)


def test_gaps_short_series_and_nulls_are_recorded_warnings() -> None:
    recipe = _recipe()
    frame = _series(stores=3)
    frame = frame.drop(index=frame[(frame["store"] == "s0") & frame["day"].between("2025-03-20", "2025-03-22")].index)
    short = frame[frame["store"] == "s2"].head(5)
    frame = pd.concat([frame[frame["store"] != "s2"], short, pd.DataFrame({"store": ["s1"], "day": [pd.NaT], "sales": [1.0]})])
    built, warnings, _ = _build(frame, recipe)
    assert warnings == [
        "1 row(s) with a NULL store or day left out",
        "1 series have missing daily periods ('s0' misses 3); lags and windows over a gap see NULL and the seasonal naive falls back to the last value there",
        "1 series span fewer than the 8 periods the features need and are left out: 's2' (5)",
    ]
    assert "s2" not in set(built["store"])
    gap_rows = built[(built["store"] == "s0") & (built["forecast_origin"] == pd.Timestamp("2025-03-23")) & (built["step"] == 1)]
    assert gap_rows["lag_1"].isna().all() and gap_rows["naive_last"].notna().all()


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: pd.concat([f, f.head(1)]),
     "recipes/sales.yaml: spine.timestamp: 1 (store, day) pair(s) appear more than once, e.g. 's0' at 2025-03-03 00:00:00 (2 rows); "
     "a series has one value per period: aggregate them in a source sql"),
    (lambda f: f.assign(day=f["day"] + pd.Timedelta(hours=6) * (f.index == 3)),
     "recipes/sales.yaml: forecast.frequency: 1 timestamp(s) of 'day' are not on the daily grid, e.g. 2025-03-06 06:00:00; daily periods "
     "start at midnight: resample the series in a source sql, or declare its real frequency"),
    (lambda f: f.assign(sales=f["sales"].astype(str)),
     "recipes/sales.yaml: spine.label: column 'sales' is VARCHAR; a forecast needs numbers there"),
    (lambda f: f.groupby("store").head(6),
     "recipes/sales.yaml: forecast.lags: every series is shorter than the 8 periods the features need (the longest lag, window or "
     "season_length is 7), e.g. 's0' spans 6; shorten lags, windows or season_length, or give more history"),
    (lambda f: f.assign(sales=f["sales"].where(f.index != 4, np.inf)),
     "recipes/sales.yaml: spine.label: 1 value(s) of 'sales' are infinite (e.g. inf); a forecast needs finite numbers: turn them "
     "into NULL (a gap) or a value in a source sql"),
    (lambda f: f.assign(sales=np.nan),
     "recipes/sales.yaml: spine.label: every row has a NULL 'sales'; nothing to forecast from"),
])
def test_bad_series_are_refused_in_one_line(change, message) -> None:
    with pytest.raises(ForecastDataError) as caught, duckdb.connect() as conn:
        conn.register("series", change(_series()).reset_index(drop=True))
        inspect_history(conn, _recipe(), "series", SHOWN)
    assert str(caught.value) == message


def test_weekly_series_on_sundays_and_a_single_entity() -> None:
    recipe = _recipe(frequency="weekly", lags=[1, 2], windows=[], calendar=["week_of_year"], season_length=4)
    days = pd.date_range("2024-01-07", periods=30, freq="7D")  # Sundays
    frame = pd.DataFrame({"store": "only", "day": days, "sales": np.arange(30.0)})
    built, warnings, _ = _build(frame, recipe)
    assert warnings == [] and set(built["store"]) == {"only"}
    one = built[built["step"] == 1]
    assert np.allclose(one["lag_1"], one["sales"] - 1) and np.allclose(one["lag_2"], one["sales"] - 2)


def test_future_rows_forecast_the_next_horizon_from_the_latest_history() -> None:
    recipe = _recipe()
    frame = _series()
    with duckdb.connect() as conn:
        rows = future_rows(conn, recipe, frame, "--input: x.parquet")
    assert len(rows) == 2 * 3
    last = frame["day"].max()
    assert rows["day"].tolist() == [last + pd.Timedelta(days=d) for d in (1, 2, 3)] * 2
    assert (rows["forecast_origin"] == last + pd.Timedelta(days=1)).all()
    for store, one in rows.groupby("store"):
        y = frame[frame["store"] == store]["sales"].to_numpy()
        assert np.allclose(one["lag_1"], y[-1]) and np.allclose(one["lag_7"], y[-7]) and np.allclose(one["roll_mean_3"], y[-3:].mean())
    with pytest.raises(ForecastDataError, match=r"^--input: x.parquet: forecast.lags: series 's1' has 4 period\(s\) of history"):
        with duckdb.connect() as conn:
            future_rows(conn, recipe, pd.concat([frame[frame["store"] == "s0"], frame[frame["store"] == "s1"].head(4)]), "--input: x.parquet")


@pytest.mark.parametrize(("frequency", "start", "step", "calendar"), [
    ("hourly", "2025-03-01 00:00", pd.DateOffset(hours=1), ["hour", "day_of_week"]),
    ("monthly", "2019-01-01", pd.DateOffset(months=1), ["month"]),
])
def test_hourly_and_monthly_grids(frequency, start, step, calendar) -> None:
    recipe = _recipe(frequency=frequency, lags=[1, 2], windows=[], calendar=calendar, season_length=3)
    times = [pd.Timestamp(start) + step * i for i in range(40)]
    frame = pd.DataFrame({"store": "a", "day": times, "sales": np.arange(40.0) ** 1.5})
    built, warnings, _ = _build(frame, recipe)
    assert warnings == []
    one = built[built["step"] == 2]
    value = dict(zip(frame["day"], frame["sales"]))
    assert [value[t - step * 2] for t in one["day"]] == one["lag_1"].tolist()  # origin = t - 1 period; lag 1 = t - 2 periods
    with duckdb.connect() as conn:
        rows = future_rows(conn, recipe, frame, "rows")
    assert rows["day"].tolist() == [times[-1] + step * k for k in (1, 2, 3)]
    with pytest.raises(ForecastDataError, match=f"forecast.frequency: 1 timestamp\\(s\\) of 'day' are not on the {frequency} grid"):
        with duckdb.connect() as conn:
            conn.register("series", frame.assign(day=frame["day"].where(frame.index != 5, frame["day"] + pd.Timedelta(minutes=30))))
            inspect_history(conn, recipe, "series", SHOWN)
