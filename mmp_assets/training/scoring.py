"""Score a fitted model on held-out rows with the recipe's metric, so that no trial scores 0 by accident.

Probability metrics read `predict_proba`; label metrics read labels. For binary label metrics the
decision threshold matters more than the model on imbalanced data (a 0.5 cut on a 2% positive
class predicts no positives and F1 = 0), so the threshold is chosen on held-out rows too: on one
half of them while scoring the other half, then swapped (cross-fitted, so never on the scored rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from mmp_assets.catalog.metrics import Metric
from mmp_assets.training.quantile_model import regression_outputs


def threshold_metric(metric: Metric) -> str:
    """What a binary threshold is chosen to maximise: accuracy for accuracy, F1 for anything else."""
    return "accuracy" if metric.name == "accuracy" else "f1"


def best_threshold(y01: np.ndarray, positive: np.ndarray, criterion: str = "f1") -> float:
    """The cut on positive-class probability that maximises `criterion` on these rows.

    Every distinct probability is a candidate; one sort gives the confusion counts of all of them.
    """
    y01, positive = np.asarray(y01), np.asarray(positive, dtype=float)
    order = np.argsort(-positive, kind="stable")
    ranked, hits = positive[order], y01[order]
    last_of_tie = np.r_[ranked[1:] != ranked[:-1], True]  # predict positive for every p >= cut
    tp = np.cumsum(hits)[last_of_tie]
    flagged = (np.flatnonzero(last_of_tie) + 1).astype(float)
    fp, fn = flagged - tp, hits.sum() - tp
    if criterion == "accuracy":
        score = (tp + (len(y01) - hits.sum() - fp)) / len(y01)
    else:
        score = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(flagged), where=(2 * tp + fp + fn) > 0)
    return float(ranked[last_of_tie][int(np.argmax(score))])


def class_codes(classes: np.ndarray, y) -> np.ndarray:
    """Labels as positions in `classes` (the order of predict_proba columns, not always sorted)."""
    codes = pd.Index(np.asarray(classes)).get_indexer(np.asarray(y))  # one hash lookup, not a Python dict per row
    if (codes < 0).any():
        unknown = sorted({str(v) for v in np.asarray(y)[codes < 0]})
        raise ValueError(f"labels {unknown} are not among the model's classes {np.asarray(classes).tolist()}")
    return codes


def cross_fitted_label_score(metric: Metric, y01: np.ndarray, positive: np.ndarray, seed: int = 0) -> float:
    """Label metric with the threshold chosen on the other half of the held-out rows."""
    if min(np.bincount(y01, minlength=2)) < 2:
        return metric(y01, (positive >= 0.5).astype(int), [0, 1])
    scores = []
    halves = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed).split(positive.reshape(-1, 1), y01)
    for choose, judge in halves:
        cut = best_threshold(y01[choose], positive[choose], threshold_metric(metric))
        scores.append(metric(y01[judge], (positive[judge] >= cut).astype(int), [0, 1]))
    return float(np.mean(scores))


def align_outputs(outputs: np.ndarray, classes, labels) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities with one column per class of `labels`, `labels`): a fold whose model never saw a
    rare class gives it probability 0 instead of a column too few."""
    position = {label: i for i, label in enumerate(np.asarray(classes).tolist())}
    columns = [outputs[:, position[c]] if c in position else np.zeros(len(outputs)) for c in labels]
    return np.column_stack(columns), np.asarray(labels)


def held_out_outputs(model, X, task: str) -> np.ndarray:
    """What metrics read: probabilities for classifiers, predictions (one column per quantile) for regressors."""
    return model.predict_proba(X) if task == "classification" else regression_outputs(model, X)


def score_outputs(metric: Metric, task: str, classes, y, outputs: np.ndarray) -> float:
    """`metric` of held-out outputs (from `held_out_outputs`) against true labels."""
    if task in ("regression", "forecasting"):  # a forecaster is a regressor of the value `step` periods ahead
        return metric(y, outputs)
    codes = class_codes(classes, y)
    if metric.needs_proba:
        return metric(codes, outputs)
    if outputs.shape[1] == 2:
        return cross_fitted_label_score(metric, codes, outputs[:, 1])
    return metric(codes, outputs.argmax(axis=1), np.arange(outputs.shape[1]))
