"""The report's figures as PNG bytes, drawn off-screen so an asset run never needs a display."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # headless: evaluation runs in worker processes without a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def calibration_plot(calibration: dict) -> bytes:
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    ax.plot(calibration["mean_predicted"], calibration["fraction_positive"], marker="o", label="model")
    ax.set(xlabel="mean predicted probability", ylabel="fraction positive", title="Calibration (test split)")
    ax.legend(loc="upper left")
    return _png(fig)


def residual_plot(y_true, prediction) -> bytes:
    residual = np.asarray(y_true, dtype=float) - np.asarray(prediction, dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    left.hist(residual, bins=40)
    left.set(xlabel="residual (actual - predicted)", ylabel="rows", title="Residuals (test split)")
    right.scatter(prediction, residual, s=4, alpha=0.4)
    right.axhline(0, color="grey", linestyle="--")
    right.set(xlabel="predicted", ylabel="residual", title="Residual vs predicted")
    return _png(fig)


def backtest_plot(table: pd.DataFrame, metric: str) -> bytes:
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.plot(table["test_start"], table[metric], marker="o", label="model (re-fit on the past)")
    ax.plot(table["test_start"], table[f"baseline_{metric}"], marker="s", linestyle="--", label="baseline")
    ax.set(xlabel="start of scored period", ylabel=metric, title=f"Backtest replay: {metric} per window")
    ax.legend()
    fig.autofmt_xdate()
    return _png(fig)


def shap_summary_plot(values: pd.DataFrame, rows: pd.DataFrame, max_display: int = 10) -> bytes:
    import shap

    shown = rows[values.columns].copy()
    for column in shown.columns:  # the beeswarm colours by value; categories get their codes
        if not pd.api.types.is_numeric_dtype(shown[column]):
            shown[column] = pd.Categorical(shown[column].astype(str)).codes
    plt.figure(figsize=(8, 5))
    shap.summary_plot(values.to_numpy(), shown.astype(float), max_display=max_display, show=False, plot_size=(8, 4.5))
    return _png(plt.gcf())
