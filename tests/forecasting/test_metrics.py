"""Forecast metrics against their textbook definitions; zero actuals and constant series are left out, never zero-divided."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmp_assets.catalog.metrics import get_metric, metrics_for
from mmp_assets.evaluation.forecast import backtest_origins, forecast_values, rolling_origin_backtest
from mmp_assets.evaluation.scores import estimator_predictor


def test_values_match_their_definitions() -> None:
    rng = np.random.default_rng(3)
    y, pred, scale = rng.uniform(1, 10, 50), rng.uniform(1, 10, 50), rng.uniform(0.5, 2, 50)
    values = forecast_values(y, pred, scale)
    e = np.abs(y - pred)
    assert values == pytest.approx({"mae": e.mean(), "rmse": np.sqrt(((y - pred) ** 2).mean()), "mape": (e / y).mean(),
                                    "smape": (2 * e / (y + pred)).mean(), "mase": (e / scale).mean()})
    from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, root_mean_squared_error

    assert values["mae"] == pytest.approx(mean_absolute_error(y, pred))
    assert values["rmse"] == pytest.approx(root_mean_squared_error(y, pred))
    assert values["mape"] == pytest.approx(mean_absolute_percentage_error(y, pred))


def test_zero_actuals_and_constant_series_are_left_out() -> None:
    y, pred = np.array([0.0, 2.0, 0.0, 4.0]), np.array([1.0, 1.0, 0.0, 5.0])
    scale = np.array([1.0, 0.0, np.nan, 2.0])  # a constant series (0) and one without in-sample history (NaN)
    values = forecast_values(y, pred, scale)
    assert values["mape"] == pytest.approx((1 / 2 + 1 / 4) / 2)  # the two zero actuals have no percentage error
    assert values["smape"] == pytest.approx((2 * 1 / 1 + 2 * 1 / 3 + 0 + 2 * 1 / 9) / 4)  # 0/0 counts 0
    assert values["mase"] == pytest.approx((1 / 1 + 1 / 2) / 2)
    assert "mape" not in forecast_values([0.0, 0.0], [1.0, 2.0], [1.0, 1.0])
    assert "mase" not in forecast_values([1.0, 2.0], [1.0, 2.0], [0.0, 0.0])


def test_the_catalog_lists_forecasting_metrics_and_refuses_mase_without_a_scale() -> None:
    assert metrics_for("forecasting") == ["mae", "rmse", "mape", "smape", "mase"]
    assert get_metric("smape", "forecasting")([1.0, 3.0], [3.0, 1.0]) == pytest.approx(1.0)
    assert get_metric("mae", "regression").task == "regression"  # the regression entries are untouched
    with pytest.raises(ValueError, match="mase needs each series' in-sample scale"):
        get_metric("mase", "forecasting")([1.0], [1.0])
    with pytest.raises(ValueError, match="unknown forecasting metric 'r2'; allowed: mae, rmse, mape, smape, mase"):
        get_metric("r2", "forecasting")


def test_rolling_origins_train_only_on_targets_before_them() -> None:
    days = pd.date_range("2025-01-01", periods=30, freq="D")
    rows = []
    for origin in days:
        for step in (1, 2):
            target = origin + pd.Timedelta(days=step - 1)
            if target <= days[-1]:
                rows.append({"forecast_origin": origin, "day": target, "step": step, "x": float(target.day), "y": float(target.day),
                             "naive_last": float(target.day) - 1, "naive_seasonal": float(target.day) - 2, "mase_scale": 1.0})
    frame = pd.DataFrame(rows)
    assert backtest_origins(frame, 2, 3) == [days[-6], days[-4], days[-2]]
    seen = []

    def fit(X, y):
        seen.append(frame.loc[X.index, "day"].max())
        from sklearn.linear_model import LinearRegression

        return estimator_predictor(LinearRegression().fit(X, y), "forecasting")

    table = rolling_origin_backtest(frame, label="y", timestamp="day", features=["x", "step"], horizon=2, origins=3, headline="mae", fit=fit)
    assert list(table["test_start"]) == [days[-6], days[-4], days[-2]]
    assert [s < o for s, o in zip(seen, table["test_start"])] == [True, True, True]
    assert (table["test_rows"] == 2).all() and np.allclose(table["mae"], 0, atol=1e-9)
    assert np.allclose(table["naive_last_mae"], 1) and np.allclose(table["baseline_mae"], 2)
