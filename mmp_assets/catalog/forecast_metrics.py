"""Forecasting metrics: mae, rmse, mape, smape and mase, on the forecast rows of any set of origins.

Conventions (docs/evaluation.md, "Forecasting"):
- mape = mean(|y - ŷ| / |y|) over the rows whose actual is not 0 (a zero actual has no percentage
  error; those rows are left out and counted in the report); NaN when every actual is 0. A fraction.
- smape = mean(2 |y - ŷ| / (|y| + |ŷ|)), a row with y = ŷ = 0 counting 0. A fraction from 0 to 2.
- mase = mean(|y - ŷ| / scale) where each row's scale is the in-sample MAE of the seasonal naive
  forecast of its own series (mean |y_t - y_{t-m}| over the periods before the test origin, m the
  season length; Hyndman & Koehler 2006). Rows of a series whose scale is 0 (a constant series) or
  unknown are left out and counted; NaN when none is left.
"""

from __future__ import annotations

import importlib


class _Numpy:
    """numpy imported on first use: recipes validate metric names without loading it."""

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module("numpy"), attr)


np = _Numpy()


def mae(y, pred) -> float:
    return float(np.mean(np.abs(np.asarray(y, float) - np.asarray(pred, float))))


def rmse(y, pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(pred, float)) ** 2)))


def mape(y, pred) -> float:
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    nonzero = y != 0
    return float(np.mean(np.abs(y[nonzero] - pred[nonzero]) / np.abs(y[nonzero]))) if nonzero.any() else float("nan")


def smape(y, pred) -> float:
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    denominator = np.abs(y) + np.abs(pred)
    ratio = np.divide(2 * np.abs(y - pred), denominator, out=np.zeros_like(y), where=denominator > 0)
    return float(np.mean(ratio))


def mase(y, pred, scale) -> float:
    y, pred, scale = np.asarray(y, float), np.asarray(pred, float), np.asarray(scale, float)
    usable = np.isfinite(scale) & (scale > 0)
    return float(np.mean(np.abs(y[usable] - pred[usable]) / scale[usable])) if usable.any() else float("nan")


def _needs_scale(y, pred, labels=None) -> float:
    raise ValueError("mase needs each series' in-sample scale; the forecasting evaluation computes it "
                     "(mmp_assets.evaluation.forecast), a tuning trial cannot")


DEFINITIONS = [  # (name, fn(y, prediction, labels), what): all minimized; catalog.metrics wraps them as Metric
    ("mae", lambda y, p, labels=None: mae(y, p), "mean absolute error of the forecasts"),
    ("rmse", lambda y, p, labels=None: rmse(y, p), "root mean squared error of the forecasts"),
    ("mape", lambda y, p, labels=None: mape(y, p), "mean absolute percentage error (a fraction), rows with a zero actual left out"),
    ("smape", lambda y, p, labels=None: smape(y, p), "symmetric MAPE, 2|e|/(|y|+|ŷ|) (a fraction from 0 to 2)"),
    ("mase", _needs_scale, "MAE scaled by each series' in-sample seasonal naive MAE (< 1 beats seasonal naive); report and gate only"),
]
