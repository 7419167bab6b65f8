"""The forecasting example materializes end to end (real DuckDB, MLflow, Dagster); its reported metrics and
baselines match an independent numpy/pandas computation; the registered model forecasts in a new process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from mmp_assets.factory import build_recipe_assets
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config

pytestmark = pytest.mark.slow

LOAD_AND_PREDICT = """
import sys, mlflow, pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model("models:/store_sales/1")
model.predict(pd.read_parquet(sys.argv[2])).to_parquet(sys.argv[3])
"""


def _independent(y, pred, scale) -> dict[str, float]:
    """The five metrics from their textbook definitions, with numpy only."""
    y, pred, scale = (np.asarray(a, float) for a in (y, pred, scale))
    e = y - pred
    nz = y != 0
    ok = scale > 0
    return {"mae": np.mean(np.abs(e)), "rmse": np.sqrt(np.mean(e ** 2)), "mape": np.mean(np.abs(e[nz]) / np.abs(y[nz])),
            "smape": np.mean(2 * np.abs(e) / (np.abs(y) + np.abs(pred))), "mase": np.mean(np.abs(e[ok]) / scale[ok])}


def test_forecasting_example_end_to_end(forecast_project: Path, tmp_path: Path) -> None:
    recipes, config = load_recipes(forecast_project), load_config(forecast_project)
    recipes.raise_if_problems()
    recipe = recipes.models["store_sales"]
    assets = build_recipe_assets(recipes, config, forecast_project)
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, resources=build_resources(config, forecast_project), instance=instance,
                                raise_on_error=True, selection=dg.AssetSelection.groups("store_sales"))
        assert result.success
        assert result.asset_materializations_for_node("store_sales__model")[0].metadata["registered"].value is True

    from mmp_assets.feature_store import load_training_set

    with duckdb.connect(str(config.duckdb_path), read_only=True) as conn:
        ts = load_training_set(conn, recipe)
        forecasts = conn.execute("SELECT * FROM pred_store_sales ORDER BY store_id, day").df()
    test = ts.part("test")
    raw = pd.read_parquet(forecast_project / "data" / "store_sales.parquet")
    raw["day"] = pd.to_datetime(raw["day"])
    series = {store: one.set_index("day")["sales"].asfreq("D") for store, one in raw.groupby("store_id")}

    # baselines and the MASE scale, recomputed from the raw series with pandas, equal the stored columns
    test_start = test["forecast_origin"].min()
    for store, rows in test.groupby("store_id"):
        y = series[store]
        origin_last = y.reindex(rows["forecast_origin"] - pd.Timedelta(days=1)).to_numpy()
        seasonal = y.reindex(rows["day"] - pd.to_timedelta(7 * np.ceil(rows["step"] / 7), unit="D")).to_numpy()
        in_sample = y[y.index < test_start].to_numpy()
        assert np.allclose(rows["naive_last"], origin_last)
        assert np.allclose(rows["naive_seasonal"], seasonal)
        assert np.allclose(rows["mase_scale"], np.mean(np.abs(in_sample[7:] - in_sample[:-7])))
        assert np.allclose(rows["sales"], y.reindex(rows["day"]).to_numpy())

    # reported metrics == numpy on the stored test split and the registered model's predictions
    import mlflow

    mlflow.set_tracking_uri(config.tracking_uri)
    model = mlflow.pyfunc.load_model("models:/store_sales/1")
    prediction = model.predict(ts.X("test"))["prediction"].to_numpy()
    in_sample = {s: y[y.index < test_start].to_numpy() for s, y in series.items()}
    scale = [np.mean(np.abs(in_sample[s][7:] - in_sample[s][:-7])) for s in test["store_id"]]
    expected = _independent(test["sales"], prediction, scale)
    report = json.loads((config.data_dir / "reports" / "store_sales" / "v1" / "metrics.json").read_text())
    for name, value in expected.items():
        assert report["metrics"][name] == pytest.approx(value, rel=1e-9), name
    for column, name in (("naive_seasonal", "seasonal naive"), ("naive_last", "last value")):
        base = _independent(test["sales"], test[column], scale)
        for metric, value in base.items():
            assert report["forecast"]["baselines"][name][metric] == pytest.approx(value, rel=1e-9), (name, metric)
    assert report["metrics"]["mase"] < 1 and report["gate_passed"] is True  # beats the seasonal naive, as the gate asks

    # rolling-origin backtest: 3 origins one horizon apart, each re-fitted only on rows whose target precedes it
    backtest = report["backtest"]
    assert len(backtest) == 3
    origins = [pd.Timestamp(r["test_start"]) for r in backtest]
    assert [(b - a).days for a, b in zip(origins, origins[1:])] == [7, 7]
    for row, origin in zip(backtest, origins):
        assert row["train_rows"] == int((ts.frame["day"] < origin).sum())
        assert row["test_rows"] == int((ts.frame["forecast_origin"] == origin).sum()) == 4 * 7
        assert np.isfinite(row["mase"]) and np.isfinite(row["naive_seasonal_mae"])
    assert report["forecast"]["backtest_mean"]["mae"] == pytest.approx(np.mean([r["mae"] for r in backtest]))

    # the predictions asset forecast the next 7 days of every store from its latest history
    last = raw["day"].max()
    assert len(forecasts) == 4 * 7 and set(forecasts["step"]) == set(range(1, 8))
    assert sorted(forecasts["day"].unique()) == [last + pd.Timedelta(days=d) for d in range(1, 8)]
    assert (forecasts["forecast_origin"] == last + pd.Timedelta(days=1)).all() and forecasts["prediction"].notna().all()

    # the registered pyfunc, loaded in a new process, forecasts those rows identically
    inputs, out = tmp_path / "inputs.parquet", tmp_path / "out.parquet"
    forecasts[ts.feature_columns].to_parquet(inputs)
    done = subprocess.run([sys.executable, "-c", LOAD_AND_PREDICT, config.tracking_uri, str(inputs), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert np.allclose(pd.read_parquet(out)["prediction"], forecasts["prediction"])
    # ... and, given the raw history alone, builds the same inputs itself (DuckDB SQL rendered into the model)
    done = subprocess.run([sys.executable, "-c", LOAD_AND_PREDICT, config.tracking_uri, str(forecast_project / "data" / "store_sales.parquet"),
                           str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    from_history = pd.read_parquet(out)
    assert list(from_history.columns) == ["store_id", "day", "forecast_origin", "step", "prediction"]
    assert from_history["store_id"].tolist() == forecasts["store_id"].tolist() and (from_history["day"] == forecasts["day"]).all()
    assert np.allclose(from_history["prediction"], forecasts["prediction"])
    with pytest.raises(ValueError, match=r"history: series 'store_1' has 10 period\(s\), fewer than the 28 its features need"):
        model.predict(raw[raw["store_id"] == "store_1"].head(10))


def test_mmp_predict_forecasts_a_history_file(forecast_project: Path, tmp_path: Path, capsys) -> None:
    from mmp_assets.cli.main import main

    recipes, config = load_recipes(forecast_project), load_config(forecast_project)
    assets = build_recipe_assets(recipes, config, forecast_project)
    selection = dg.AssetSelection.assets(["store_sales", "training_set"], ["store_sales", "model"])
    with dg.instance_for_test() as instance:
        assert dg.materialize(assets, resources=build_resources(config, forecast_project), instance=instance,
                              raise_on_error=True, selection=selection).success
    history = pd.read_parquet(forecast_project / "data" / "store_sales.parquet")
    one = history[history["store_id"] == "store_2"]
    one.to_parquet(tmp_path / "history.parquet")
    assert main(["predict", "store_sales", "--input", str(tmp_path / "history.parquet"), "--output", str(tmp_path / "f.csv")]) == 0
    written = pd.read_csv(tmp_path / "f.csv")
    assert len(written) == 7 and set(written["store_id"]) == {"store_2"} and written["prediction"].notna().all()
    capsys.readouterr()
    one.head(10).to_parquet(tmp_path / "short.parquet")
    assert main(["predict", "store_sales", "--input", str(tmp_path / "short.parquet"), "--output", str(tmp_path / "g.csv")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"--input: {tmp_path / 'short.parquet'}: forecast.lags: every series is shorter than the 28 periods the features need "
                   "(the longest lag, window or season_length is 28), e.g. 'store_2' spans 10; shorten lags, windows or "
                   "season_length, or give more history")
