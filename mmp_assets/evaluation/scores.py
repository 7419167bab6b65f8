"""The model's answer on a set of rows, in the one shape every evaluation section reads.

The registered pyfunc returns a frame with `prediction` and, for classification, `probability`
(binary positive class) or `proba_<class>` columns. `Scores` holds that as arrays so metrics,
comparisons, the baseline and the backtest all score the same thing the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmp_assets.catalog.metrics import Metric

_QUANTILE_COLUMN = re.compile(r"^q0?\.\d+$")  # q0.1, q0.05: a quantile model's columns (training/quantile_model.py)

# rows in, the pyfunc's output frame out
Predictor = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Scores:
    """Predicted labels (or values) and, for classification, class probabilities."""

    prediction: np.ndarray
    proba: np.ndarray | None = None  # 1-D positive-class probability (binary) or (n, k) matrix
    classes: tuple | None = None
    quantiles: np.ndarray | None = None  # (n, levels) predicted quantiles of a quantile regressor
    levels: tuple[float, ...] | None = None

    def take(self, idx: np.ndarray) -> Scores:
        return Scores(self.prediction[idx], None if self.proba is None else self.proba[idx], self.classes,
                      None if self.quantiles is None else self.quantiles[idx], self.levels)

    def for_metric(self, metric: Metric) -> np.ndarray:
        if metric.needs_proba:
            if self.proba is None:
                raise ValueError(f"metric {metric.name} needs probabilities, but the model returned none")
            return self.proba
        return self.prediction

    @property
    def positive_proba(self) -> np.ndarray | None:
        """Score used to rank rows: the positive-class (binary) or highest-class probability."""
        if self.proba is None:
            return None
        return self.proba if self.proba.ndim == 1 else self.proba.max(axis=1)


def scores_from_frame(frame: pd.DataFrame) -> Scores:
    """Read the pyfunc's output frame (`prediction`, `probability` or `proba_<class>`, or `q<level>`)."""
    if "prediction" not in frame.columns:
        raise ValueError(f"model output has no 'prediction' column (got {list(frame.columns)})")
    prediction = frame["prediction"].to_numpy()
    if "probability" in frame.columns:
        return Scores(prediction, frame["probability"].to_numpy(dtype=float))
    proba_cols = [c for c in frame.columns if str(c).startswith("proba_")]
    if proba_cols:
        classes = tuple(str(c).removeprefix("proba_") for c in proba_cols)
        return Scores(prediction, frame[proba_cols].to_numpy(dtype=float), classes)
    levels = {c: float(c[1:]) for c in frame.columns if _QUANTILE_COLUMN.match(str(c))}
    if levels:
        ordered = sorted(levels, key=levels.get)
        return Scores(prediction, quantiles=frame[ordered].to_numpy(dtype=float), levels=tuple(levels[c] for c in ordered))
    return Scores(prediction)


def champion_scores(champion: Predictor, X: pd.DataFrame, version: str | None, notes: list[str]) -> Scores | None:
    """The champion's scores on the test rows `X`; None, with a note saying so, when it cannot score them (an old
    champion may need features the recipe no longer has): no champion comparison, and the relative gate rule is skipped."""
    try:
        return score(champion, X)
    except Exception as exc:  # noqa: BLE001 - whatever the old model raises, the report goes on without it
        notes.append(f"champion v{version} could not score the test rows ({type(exc).__name__}: {exc}); "
                     "no champion comparison, relative gate rule skipped")
        return None


def score(predict: Predictor, X: pd.DataFrame) -> Scores:
    return scores_from_frame(predict(X))


def estimator_predictor(estimator, task: str, labels: list | None = None) -> Predictor:
    """A fitted scikit-learn-style estimator (or pipeline) answering in the pyfunc's frame shape; with more
    than two `labels` it answers per class even when it was fitted on rows that held only two of them."""

    def predict(X: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame({"prediction": estimator.predict(X).ravel()}, index=X.index)
        if task == "regression":
            from mmp_assets.training.quantile_model import quantile_columns

            out = out.assign(**quantile_columns(estimator, X))
        if task == "classification" and hasattr(estimator, "predict_proba"):
            proba = np.asarray(estimator.predict_proba(X))
            if proba.shape[1] == 2 and (labels is None or len(labels) <= 2):
                out["probability"] = proba[:, 1]
            else:
                for i, cls in enumerate(estimator.classes_):
                    out[f"proba_{cls}"] = proba[:, i]
        return out

    return predict
