"""Task metrics by name: what each computes, which way is better, and whether it needs probabilities.

An unknown name is a validation error when a recipe loads, never a score of 0 at run time.
Probability metrics read labels as column positions (0..k-1) and tell scikit-learn every column is a
class, so rows that miss a rare class (a bootstrap resample, a fold) still score; label metrics are
told the task's classes, so a binary task with text labels knows its positive class.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mmp_assets.catalog import clustering
from mmp_assets.catalog import quantiles as qm


class _Lazy:
    """A module imported on first use: recipes validate metric names without loading numpy or sklearn."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


np, skm = _Lazy("numpy"), _Lazy("sklearn.metrics")
uplift = _Lazy("mmp_assets.catalog.uplift_metrics")

Task = Literal["classification", "regression", "forecasting", "uplift", "clustering"]
Direction = Literal["maximize", "minimize"]


@dataclass(frozen=True)
class Metric:
    name: str
    task: Task
    direction: Direction
    needs_proba: bool
    fn: Callable[..., float]
    description: str
    needs_quantiles: bool = False  # reads one column per quantile; `labels` then holds the quantile levels

    def __call__(self, y_true, y_pred_or_proba, labels=None) -> float:
        """Probability metrics read `y_true` as column positions; label metrics read labels, and `labels` lists
        the task's classes (binary: [negative, positive]; None infers them from these rows)."""
        return float(self.fn(np.asarray(y_true), np.asarray(y_pred_or_proba), labels))


def _positive_proba(proba: np.ndarray) -> np.ndarray:
    return proba[:, 1] if proba.ndim == 2 and proba.shape[1] == 2 else proba


def _columns(proba: np.ndarray) -> np.ndarray:
    return np.arange(proba.shape[1] if proba.ndim == 2 else 2)


def _macro_over_present(per_class: np.ndarray, y: np.ndarray) -> float:
    """Mean of one-vs-rest scores over the classes these rows hold. A class with no row here has no
    ranking to judge, so it is left out rather than making the average undefined (roc_auc) or
    counting a meaningless 0 (pr_auc); with every class present this is scikit-learn's macro."""
    present = np.unique(y)
    return float(np.mean(np.asarray(per_class)[present])) if len(present) > 1 else float("nan")


def _roc_auc(y, proba, labels=None):
    if proba.ndim == 2 and proba.shape[1] > 2:
        return _macro_over_present(skm.roc_auc_score(y, proba, multi_class="ovr", average=None, labels=_columns(proba)), y)
    return skm.roc_auc_score(y, _positive_proba(proba))


def _pr_auc(y, proba, labels=None):
    if proba.ndim == 2 and proba.shape[1] > 2:
        onehot = (y[:, None] == _columns(proba)[None, :]).astype(int)
        return _macro_over_present(skm.average_precision_score(onehot, proba, average=None), y)
    return skm.average_precision_score(y, _positive_proba(proba))


def _brier(y, proba, labels=None):
    if proba.ndim == 2 and proba.shape[1] > 2:
        return skm.brier_score_loss(y, proba, labels=_columns(proba))
    return skm.brier_score_loss(y, _positive_proba(proba), pos_label=1)


def _log_loss(y, proba, labels=None):
    return skm.log_loss(y, proba if proba.ndim == 2 else np.column_stack([1 - proba, proba]), labels=_columns(proba))


def _label_metric(name: str, average: str | None):
    def compute(y, pred, labels=None):
        classes = np.unique(np.concatenate([y, pred])) if labels is None else np.asarray(labels)
        if average is None and len(classes) <= 2:
            return getattr(skm, name)(y, pred, average="binary", pos_label=classes[-1], zero_division=0)
        return getattr(skm, name)(y, pred, labels=classes, average=average or "macro", zero_division=0)

    return compute


def _rmse(y, pred, labels=None):
    return float(np.sqrt(skm.mean_squared_error(y, pred)))


_ALL = [
    Metric("roc_auc", "classification", "maximize", True, _roc_auc, "area under the ROC curve (one-vs-rest macro for multiclass)"),
    Metric("pr_auc", "classification", "maximize", True, _pr_auc, "average precision (area under precision-recall)"),
    Metric("log_loss", "classification", "minimize", True, _log_loss, "cross-entropy of predicted probabilities"),
    Metric("brier", "classification", "minimize", True, _brier, "mean squared error of predicted probabilities"),
    Metric("accuracy", "classification", "maximize", False, lambda y, p, labels=None: skm.accuracy_score(y, p), "share of correct labels"),
    Metric("f1", "classification", "maximize", False, _label_metric("f1_score", None), "F1 (binary, or macro for multiclass)"),
    Metric("f1_macro", "classification", "maximize", False, _label_metric("f1_score", "macro"), "macro-averaged F1"),
    Metric("f1_weighted", "classification", "maximize", False, _label_metric("f1_score", "weighted"), "support-weighted F1"),
    Metric("precision", "classification", "maximize", False, _label_metric("precision_score", None), "precision (binary or macro)"),
    Metric("precision_macro", "classification", "maximize", False, _label_metric("precision_score", "macro"), "macro precision"),
    Metric("precision_weighted", "classification", "maximize", False, _label_metric("precision_score", "weighted"), "weighted precision"),
    Metric("recall", "classification", "maximize", False, _label_metric("recall_score", None), "recall (binary or macro)"),
    Metric("recall_macro", "classification", "maximize", False, _label_metric("recall_score", "macro"), "macro recall"),
    Metric("recall_weighted", "classification", "maximize", False, _label_metric("recall_score", "weighted"), "weighted recall"),
    Metric("rmse", "regression", "minimize", False, _rmse, "root mean squared error"),
    Metric("mae", "regression", "minimize", False, lambda y, p, labels=None: skm.mean_absolute_error(y, p), "mean absolute error"),
    Metric("r2", "regression", "maximize", False, lambda y, p, labels=None: skm.r2_score(y, p), "coefficient of determination"),
    Metric("mape", "regression", "minimize", False, lambda y, p, labels=None: skm.mean_absolute_percentage_error(y, p), "mean absolute percentage error"),
    # uplift: y is (n, 2) [outcome, treatment], the output the predicted uplift (definitions in uplift_metrics.py)
    Metric("qini", "uplift", "maximize", False, lambda y, u, labels=None: uplift.qini_coefficient(y, u), "Qini coefficient (scikit-uplift's normalised area; random targeting 0)"),
    Metric("auuc", "uplift", "maximize", False, lambda y, u, labels=None: uplift.auuc(y, u), "area under the uplift curve (scikit-uplift's normalised; random 0)"),
    Metric("uplift_at_30", "uplift", "maximize", False, lambda y, u, labels=None: uplift.uplift_at_30(y, u), "treated minus control response rate in the top 30% by predicted uplift"),
    # clustering metrics read (preprocessed feature rows, cluster ids): see catalog/clustering.py
    Metric("silhouette", "clustering", "maximize", False, clustering.silhouette,
           f"mean silhouette coefficient, -1 to 1 (seeded sample of {clustering.SILHOUETTE_SAMPLE} rows on larger sets)"),
    Metric("davies_bouldin", "clustering", "minimize", False, clustering.davies_bouldin, "Davies-Bouldin index, 0 is best"),
    Metric("calinski_harabasz", "clustering", "maximize", False, clustering.calinski_harabasz, "Calinski-Harabasz variance ratio"),
    # quantile models only (model.quantiles): see catalog/quantiles.py
    Metric("pinball_loss", "regression", "minimize", False, qm.pinball_loss, "pinball loss averaged over model.quantiles", True),
    Metric("interval_coverage", "regression", "maximize", False, qm.interval_coverage,
           "share of rows inside the outer quantiles' interval (nominal: highest - lowest level); report and gate only", True),
    Metric("interval_coverage_error", "regression", "minimize", False, qm.interval_coverage_error,
           "|interval_coverage - its nominal level|; report and gate only", True),
]

METRICS: dict[str, Metric] = {m.name: m for m in _ALL}


def _of_task(task: Task) -> dict[str, Metric]:
    if task == "forecasting":  # its own registry: mae, rmse and mape mean the same, mase and smape are its own
        from mmp_assets.catalog.forecast_metrics import DEFINITIONS

        return {name: Metric(name, "forecasting", "minimize", False, fn, what) for name, fn, what in DEFINITIONS}
    return {m.name: m for m in _ALL if m.task == task}


def metrics_for(task: Task) -> list[str]:
    return list(_of_task(task))


def get_metric(name: str, task: Task) -> Metric:
    """The metric `name` for `task`; a ValueError naming what is allowed otherwise."""
    metric = _of_task(task).get(name)
    if metric is None:
        raise ValueError(f"unknown {task} metric {name!r}; allowed: {', '.join(metrics_for(task))}")
    return metric
