"""Test-split metrics: the recipe's list plus the task's standard set, and the diagnostics behind them.

Every number comes from `mmp_assets.catalog.metrics`, so tuning, the gate and the report can never
disagree about what `roc_auc` means. The headline metric also gets a seeded bootstrap interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix

from mmp_assets.catalog.metrics import get_metric
from mmp_assets.evaluation.scores import Scores

STANDARD = {
    "classification": ["roc_auc", "pr_auc", "log_loss", "brier", "f1", "precision", "recall"],
    "regression": ["rmse", "mae", "r2"],
}


@dataclass
class MetricReport:
    """Point values, the headline interval and the task's diagnostics, all on one set of rows."""

    values: dict[str, float]
    headline: str
    interval: tuple[float, float] | None = None
    diagnostics: dict = field(default_factory=dict)


def metric_names(task: str, recipe_metrics: list[str], headline: str) -> list[str]:
    """The recipe's metrics first, then the standard set, each once; binary-only ones skipped later."""
    return list(dict.fromkeys([headline, *recipe_metrics, *STANDARD[task]]))


def compute(task: str, names: list[str], y_true: np.ndarray, scores: Scores) -> dict[str, float]:
    """Each named metric on these rows; a metric the scores cannot support is left out, not zeroed."""
    y_true = np.asarray(y_true)
    values = {}
    for name in names:
        metric = get_metric(name, task)
        if metric.needs_proba and scores.proba is None:
            continue
        values[name] = metric(_truth(metric, y_true, scores), scores.for_metric(metric))
    return values


def bootstrap_interval(task: str, name: str, y_true, scores: Scores, resamples: int, seed: int, level: float = 0.95):
    """Percentile interval of `name` over `resamples` seeded resamples of the rows (None when 0)."""
    if resamples <= 0:
        return None
    y_true = np.asarray(y_true)
    rng = np.random.default_rng(seed)
    metric = get_metric(name, task)
    draws = []
    for _ in range(resamples):
        idx = rng.integers(0, len(y_true), len(y_true))
        if task == "classification" and len(np.unique(y_true[idx])) < 2:
            continue  # a resample with one class has no AUC; skipping is the standard remedy
        draws.append(metric(_truth(metric, y_true[idx], scores), scores.take(idx).for_metric(metric)))
    if not draws:
        return None
    tail = (1 - level) / 2 * 100
    return float(np.percentile(draws, tail)), float(np.percentile(draws, 100 - tail))


def diagnostics(task: str, y_true, scores: Scores, bins: int = 10) -> dict:
    """Confusion matrix and calibration curve (classification) or residual summary (regression)."""
    y_true = np.asarray(y_true)
    if task == "regression":
        residual = y_true.astype(float) - scores.prediction.astype(float)
        q = np.percentile(residual, [5, 25, 50, 75, 95])
        return {"residuals": {"mean": float(residual.mean()), "std": float(residual.std()),
                              "p05": q[0], "p25": q[1], "median": q[2], "p75": q[3], "p95": q[4],
                              "max_abs": float(np.abs(residual).max())}}
    labels = sorted(set(np.unique(y_true)) | set(np.unique(scores.prediction)))
    out = {"confusion_matrix": {"labels": [str(v) for v in labels],
                                "matrix": confusion_matrix(y_true, scores.prediction, labels=labels).tolist()}}
    if scores.proba is not None and scores.proba.ndim == 1:
        frac_pos, mean_pred = calibration_curve(y_true, scores.proba, n_bins=bins, strategy="quantile")
        out["calibration"] = {"mean_predicted": mean_pred.tolist(), "fraction_positive": frac_pos.tolist()}
    return out


def evaluate_scores(task: str, names: list[str], headline: str, y_true, scores: Scores, resamples: int, seed: int) -> MetricReport:
    return MetricReport(
        values=compute(task, names, y_true, scores),
        headline=headline,
        interval=bootstrap_interval(task, headline, y_true, scores, resamples, seed),
        diagnostics=diagnostics(task, y_true, scores),
    )


def _truth(metric, y_true: np.ndarray, scores: Scores) -> np.ndarray:
    """Multiclass probabilities are ordered by `scores.classes`; probability metrics expect column indices."""
    if not metric.needs_proba or scores.proba is None or scores.proba.ndim == 1 or not scores.classes:
        return y_true
    index = {c: i for i, c in enumerate(scores.classes)}
    return np.array([index[str(v)] for v in y_true])
