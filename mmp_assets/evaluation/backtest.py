"""Backtest replay: rolling-origin re-fits with the chosen params, each scored on its next period.

Rows are cut by time into `windows + 1` consecutive periods of about equal size. Window k trains on
every row strictly before period k+1 starts and is scored on period k+1 only, so no window ever
sees its own future; rows sharing the boundary timestamp go to the scored period, never to training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmp_assets.evaluation.compare import baseline_scores
from mmp_assets.evaluation.metrics import compute
from mmp_assets.evaluation.scores import Predictor, score

# (X_past, y_past) -> a predictor fitted on those rows only
FitFunction = Callable[[pd.DataFrame, pd.Series], Predictor]


@dataclass(frozen=True)
class Window:
    index: int
    test_start: pd.Timestamp  # training rows are strictly before this
    test_end: pd.Timestamp  # scored rows are before this (the last window includes it)
    train_idx: np.ndarray
    test_idx: np.ndarray


def rolling_origin(timestamps: pd.Series, windows: int) -> list[Window]:
    """`windows` expanding-origin splits of time-ordered rows (positions into `timestamps`)."""
    ts = pd.to_datetime(timestamps).to_numpy()
    order = np.sort(ts)
    # boundaries at equal row counts, so sparse months do not produce empty windows
    cuts = [order[min(len(order) - 1, round(len(order) * k / (windows + 1)))] for k in range(1, windows + 1)]
    edges = [*cuts, order[-1]]
    out = []
    for k in range(windows):
        start, end = edges[k], edges[k + 1]
        in_test = (ts >= start) & ((ts < end) if k < windows - 1 else (ts <= end))
        train_idx, test_idx = np.flatnonzero(ts < start), np.flatnonzero(in_test)
        if len(train_idx) and len(test_idx):
            out.append(Window(k + 1, pd.Timestamp(start), pd.Timestamp(end), train_idx, test_idx))
    return out


def replay(frame: pd.DataFrame, *, task: str, timestamp: str, label: str, features: list[str], windows: int,
           metric: str, fit: FitFunction, labels: list | None = None) -> pd.DataFrame:
    """One row per window: its periods, row counts, the re-fitted model's and the baseline's `metric`."""
    rows = []  # positions select rows; the frame's index labels pass through to `fit`
    for window in rolling_origin(frame[timestamp], windows):
        past, future = frame.iloc[window.train_idx], frame.iloc[window.test_idx]
        y_future = future[label].to_numpy()
        if task == "classification" and (past[label].nunique() < 2 or len(np.unique(y_future)) < 2):
            model_value = baseline_value = float("nan")  # one class: the metric is undefined, not zero
        else:
            predictor = fit(past[features], past[label])
            ours = score(predictor, future[features])
            model_value = compute(task, [metric], y_future, ours, labels).get(metric, np.nan)
            base = baseline_scores(task, past[label].to_numpy(), len(future), labels, levels=ours.levels)
            baseline_value = compute(task, [metric], y_future, base, labels).get(metric, np.nan)
        rows.append({
            "window": window.index,
            "train_rows": len(window.train_idx),
            "test_start": window.test_start,
            "test_end": window.test_end,
            "test_rows": len(window.test_idx),
            metric: model_value,
            f"baseline_{metric}": baseline_value,
        })
    return pd.DataFrame(rows)
