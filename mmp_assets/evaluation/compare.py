"""Comparisons on the same test rows: the naive baseline and the current champion.

Significance is a paired bootstrap: every resample draws one set of row indices and scores both
models on exactly those rows, so the interval is about the difference, not two separate noises.
It works for every metric (DeLong would cover AUC only), which is why we use it for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmp_assets.catalog.metrics import get_metric
from mmp_assets.catalog.quantiles import point_index
from mmp_assets.evaluation.metrics import compute
from mmp_assets.evaluation.scores import Scores


@dataclass(frozen=True)
class Comparison:
    """`ours - theirs` on one metric; `improvement` is signed so that positive is always better."""

    against: str
    metric: str
    ours: float
    theirs: float
    difference: float
    improvement: float
    interval: tuple[float, float] | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.interval is not None and (self.interval[0] > 0 or self.interval[1] < 0)

    def as_dict(self) -> dict:
        return {"against": self.against, "metric": self.metric, "ours": self.ours, "theirs": self.theirs,
                "difference": self.difference, "improvement": self.improvement,
                "interval": list(self.interval) if self.interval else None,
                "p_value": self.p_value, "significant": self.significant}


def baseline_scores(task: str, y_train, n_rows: int, labels: list | None = None, levels: tuple | None = None) -> Scores:
    """The constant model: class priors of the training labels (0 for a class of `labels` they lack), their
    mean, or (quantile `levels`) their empirical quantiles, the median or middle one as the prediction."""
    y_train = np.asarray(y_train)
    if task == "regression" and levels:
        constant = np.quantile(y_train.astype(float), list(levels))
        quantiles = np.tile(constant, (n_rows, 1))
        return Scores(quantiles[:, point_index(levels)], quantiles=quantiles, levels=tuple(levels))
    if task == "regression":
        return Scores(np.full(n_rows, float(np.mean(y_train))))
    classes = np.asarray(labels if labels is not None else np.unique(y_train), dtype=y_train.dtype)
    counts = np.array([np.sum(y_train == c) for c in classes])
    priors = counts / counts.sum()
    majority = np.full(n_rows, classes[np.argmax(counts)])
    if len(classes) == 2:
        return Scores(majority, np.full(n_rows, priors[1]))
    return Scores(majority, np.tile(priors, (n_rows, 1)), tuple(str(c) for c in classes))


def paired_comparison(task: str, metric_name: str, y_true, ours: Scores, theirs: Scores, *, against: str,
                      resamples: int, seed: int, level: float = 0.95, labels: list | None = None) -> Comparison:
    """Difference of `metric_name` between two models on identical rows, with a paired bootstrap over
    the resamples on which both values are defined."""
    y_true = np.asarray(y_true)
    metric = get_metric(metric_name, task)
    sign = 1.0 if metric.direction == "maximize" else -1.0

    def value(idx: np.ndarray | None, scores: Scores) -> float:
        rows = scores if idx is None else scores.take(idx)
        return compute(task, [metric_name], y_true if idx is None else y_true[idx], rows, labels).get(metric_name, np.nan)

    a, b = value(None, ours), value(None, theirs)
    interval = p_value = None
    if resamples > 0:
        rng = np.random.default_rng(seed)
        diffs = []
        for _ in range(resamples):
            idx = rng.integers(0, len(y_true), len(y_true))
            if task == "classification" and len(np.unique(y_true[idx])) < 2:
                continue
            diff = sign * (value(idx, ours) - value(idx, theirs))
            if not np.isnan(diff):
                diffs.append(diff)
        if diffs:
            diffs = np.asarray(diffs)
            tail = (1 - level) / 2 * 100
            interval = (float(np.percentile(diffs, tail)), float(np.percentile(diffs, 100 - tail)))
            # two-sided: how often the resampled improvement lands on the other side of zero
            p_value = float(min(1.0, 2 * min(np.mean(diffs <= 0), np.mean(diffs >= 0))))
    return Comparison(against, metric_name, a, b, a - b, sign * (a - b), interval, p_value)
