"""The forecasting training set as the asset builds it: published with its warnings, refused in one line when no
model could train on it, and a refused run leaves the current version current."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from mmp_assets.feature_store import catalog
from mmp_assets.feature_store.forecast_build import materialize_forecast_set
from mmp_assets.feature_store.forecast_history import ForecastDataError
from mmp_assets.feature_store.training_build import UntrainableTrainingSet
from mmp_assets.recipes import load_recipes
from tests.forecasting.conftest import example_module


def _materialize(root: Path, frame: pd.DataFrame | None = None):
    if frame is not None:
        frame.to_parquet(root / "data" / "store_sales.parquet", index=False)
    recipes = load_recipes(root)
    with duckdb.connect(str(root / "fs.duckdb")) as conn:
        return materialize_forecast_set(conn, recipes.models["store_sales"], recipes, root)


def test_published_then_a_refused_version_keeps_the_current_one(forecast_project: Path) -> None:
    first = _materialize(forecast_project)
    assert first.status == "published" and first.entry.details["warnings"] == []
    assert first.entry.details["forecast"] == {"frequency": "daily", "horizon": 7, "season_length": 7,
                                               "validation_start": "2025-03-25 00:00:00", "test_start": "2025-04-12 00:00:00"}
    assert set(first.entry.details["split_counts"]) == {"train", "validation", "test"}

    short = example_module().store_sales(days=40)
    with pytest.raises(UntrainableTrainingSet) as caught:
        _materialize(forecast_project, short)
    assert str(caught.value) == (
        "recipes/store_sales.yaml: split: training set store_sales v2 not published: its train split(s) are empty (rows per split: "
        "{'test': 140, 'validation': 40}); the series are too short for the warm-up (28 periods), a validation and a test stretch of "
        "at least one horizon (7) each; give more history or shorten them; version 1 stays current")

    doubled = pd.concat([short, short.head(2)])
    with pytest.raises(ForecastDataError, match=r"^recipes/store_sales.yaml: spine.timestamp: 2 \(store_id, day\) pair\(s\) appear more than once"):
        _materialize(forecast_project, doubled)
    with duckdb.connect(str(forecast_project / "fs.duckdb"), read_only=True) as conn:
        current = catalog.find_entry(conn, "training_set", "store_sales")
    assert current.version == 1 and current.content_hash == first.entry.content_hash


def test_gaps_and_a_constant_series_are_recorded_not_refused(forecast_project: Path) -> None:
    frame = example_module().store_sales()
    frame = frame[~((frame["store_id"] == "store_1") & (frame["day"].astype(str).between("2025-02-10", "2025-02-11")))]
    frame.loc[frame["store_id"] == "store_4", "sales"] = 5.0
    outcome = _materialize(forecast_project, frame)
    assert outcome.status == "published"
    assert outcome.entry.details["warnings"] == [
        "1 series have missing daily periods ('store_1' misses 2); lags and windows over a gap see NULL and the seasonal naive "
        "falls back to the last value there"]
    with duckdb.connect(str(forecast_project / "fs.duckdb"), read_only=True) as conn:
        scales = conn.execute("SELECT DISTINCT mase_scale FROM ts_store_sales WHERE store_id = 'store_4' AND split = 'test'").fetchall()
    assert scales == [(0.0,)]  # evaluation leaves these rows out of mase and says so
