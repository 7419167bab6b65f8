"""Test-split metrics: the recipe's list plus the task's standard set, and the diagnostics behind them.

Every number comes from `mmp_assets.catalog.metrics`, so tuning, the gate and the report can never
disagree about what `roc_auc` means. The headline metric also gets a seeded bootstrap interval.
Every function takes the task's classes (`class_labels`): a test split or a resample that misses a
rare class is still scored against all of them, and a model that never saw a class gives it zero
probability rather than a column too few. A value a resample leaves undefined is skipped, not zeroed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix

from mmp_assets.catalog import quantiles as quantile_metrics
from mmp_assets.catalog.metrics import get_metric
from mmp_assets.evaluation.scores import Scores

STANDARD = {
    "classification": ["roc_auc", "pr_auc", "log_loss", "brier", "f1", "precision", "recall"],
    "regression": ["rmse", "mae", "r2", "pinball_loss", "interval_coverage", "interval_coverage_error"],  # quantile ones: quantile models only
    "clustering": ["silhouette", "davies_bouldin", "calinski_harabasz"],
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


def class_labels(task: str, y) -> list | None:
    """The task's classes, sorted (the order of a scikit-learn model's probability columns); None for regression."""
    return np.unique(np.asarray(y)).tolist() if task == "classification" else None


def compute(task: str, names: list[str], y_true: np.ndarray, scores: Scores, labels: list | None = None) -> dict[str, float]:
    """Each named metric on these rows; a metric the scores cannot support, or these rows leave
    undefined (a class absent from them all), is left out, not zeroed."""
    y_true = np.asarray(y_true)
    values = {}
    with warnings.catch_warnings():  # undefined values come back as NaN and are left out below
        warnings.simplefilter("ignore")
        for name in names:
            metric = get_metric(name, task)
            if (metric.needs_proba and scores.proba is None) or (metric.needs_quantiles and scores.quantiles is None):
                continue
            if metric.needs_quantiles:
                value = metric(y_true, scores.quantiles, list(scores.levels))
            elif metric.needs_proba:
                value = metric(*_positions(y_true, scores, labels))
            else:
                value = metric(y_true, scores.prediction, labels)
            if not np.isnan(value):
                values[name] = value
    return values


def bootstrap_interval(task: str, name: str, y_true, scores: Scores, resamples: int, seed: int, level: float = 0.95,
                       labels: list | None = None):
    """Percentile interval of `name` over `resamples` seeded resamples of the rows (None when 0)."""
    if resamples <= 0:
        return None
    y_true = np.asarray(y_true)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        idx = rng.integers(0, len(y_true), len(y_true))
        if task == "classification" and len(np.unique(y_true[idx])) < 2:
            continue  # a resample with one class has no AUC; skipping is the standard remedy
        value = compute(task, [name], y_true[idx], scores.take(idx), labels).get(name)
        if value is not None:
            draws.append(value)
    if not draws:
        return None
    tail = (1 - level) / 2 * 100
    return float(np.percentile(draws, tail)), float(np.percentile(draws, 100 - tail))


def diagnostics(task: str, y_true, scores: Scores, bins: int = 10, labels: list | None = None) -> dict:
    """Confusion matrix and calibration curve (classification) or residual summary (regression), plus
    per-quantile pinball loss, share of rows below each quantile and the interval's coverage (quantile models)."""
    y_true = np.asarray(y_true)
    if task == "regression":
        residual = y_true.astype(float) - scores.prediction.astype(float)
        q = np.percentile(residual, [5, 25, 50, 75, 95])
        out = {"residuals": {"mean": float(residual.mean()), "std": float(residual.std()),
                             "p05": q[0], "p25": q[1], "median": q[2], "p75": q[3], "p95": q[4],
                             "max_abs": float(np.abs(residual).max())}}
        if scores.quantiles is not None:
            out["quantiles"] = quantile_diagnostics(y_true, scores.quantiles, list(scores.levels))
        return out
    seen = np.unique(np.concatenate([y_true, scores.prediction])).tolist()
    labels = list(labels or []) + [v for v in seen if v not in (labels or [])]
    out = {"confusion_matrix": {"labels": [str(v) for v in labels],
                                "matrix": confusion_matrix(y_true, scores.prediction, labels=labels).tolist()}}
    if scores.proba is not None and scores.proba.ndim == 1:
        positive = y_true == labels[-1] if len(labels) == 2 else y_true
        frac_pos, mean_pred = calibration_curve(positive, scores.proba, n_bins=bins, strategy="quantile")
        out["calibration"] = {"mean_predicted": mean_pred.tolist(), "fraction_positive": frac_pos.tolist()}
    return out


def quantile_diagnostics(y_true, Q: np.ndarray, levels: list[float]) -> dict:
    """Per level: pinball loss and the share of rows at or below the prediction (ideally the level itself);
    the outer interval's coverage against its nominal level."""
    y = np.asarray(y_true, dtype=float)
    pinball = quantile_metrics.pinball_per_quantile(y, Q, levels)
    return {
        "levels": [{"level": q, "column": quantile_metrics.quantile_name(q), "pinball_loss": float(pinball[i]),
                    "share_below": float(np.mean(y <= Q[:, i]))} for i, q in enumerate(levels)],
        "coverage": quantile_metrics.interval_coverage(y, Q, levels) if len(levels) > 1 else None,
        "nominal_coverage": quantile_metrics.nominal_coverage(levels) if len(levels) > 1 else None,
    }


def evaluate_scores(task: str, names: list[str], headline: str, y_true, scores: Scores, resamples: int, seed: int,
                    labels: list | None = None) -> MetricReport:
    values = compute(task, names, y_true, scores, labels)
    if scores.quantiles is not None:  # pinball loss per level, beside their mean
        per_level = quantile_metrics.pinball_per_quantile(y_true, scores.quantiles, list(scores.levels))
        values.update({f"pinball_loss_{quantile_metrics.quantile_name(q)}": float(v) for q, v in zip(scores.levels, per_level)})
    return MetricReport(
        values=values,
        headline=headline,
        interval=bootstrap_interval(task, headline, y_true, scores, resamples, seed, labels=labels),
        diagnostics=diagnostics(task, y_true, scores, labels=labels),
    )


def _positions(y_true: np.ndarray, scores: Scores, labels: list | None) -> tuple[np.ndarray, np.ndarray]:
    """(labels as probability-column positions, probabilities with one column per class of `labels`).

    A binary model's 1-D probability is the last class's; multiclass columns are matched by class
    name, and a class the model never saw gets a column of zeros."""
    proba = scores.proba
    if proba.ndim == 1:
        return (y_true == labels[-1]).astype(int) if labels is not None and len(labels) == 2 else y_true, proba
    if labels is None and not scores.classes:
        return y_true, proba
    names = [str(c) for c in (labels if labels is not None else scores.classes)]
    have = {str(c): i for i, c in enumerate(scores.classes or names)}
    aligned = np.column_stack([proba[:, have[c]] if c in have else np.zeros(len(proba)) for c in names])
    index = {c: i for i, c in enumerate(names)}
    unknown = sorted({str(v) for v in y_true} - set(index))
    if unknown:
        raise ValueError(f"label(s) {', '.join(unknown)} are not among the task's classes {names}")
    return np.array([index[str(v)] for v in y_true], dtype=int), aligned
