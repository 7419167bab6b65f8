"""Is the result too good to be true? A feature that on its own all but determines the label on the TRAINING
rows is usually the label in disguise (a chargeback amount, a status set after the fact); a near-perfect
test metric is the same warning seen from the other end. Neither blocks: some problems are easy. The
check names the feature(s) and the numbers, so a person looks before promoting.

Per feature, on training rows with both values present:
- numeric, classification: the feature's own ROC AUC against each class (one-vs-rest), folded to >= 0.5;
- numeric, regression: |Spearman correlation| with the label;
- categorical (any task): the share of the label's entropy the category explains (1 - H(y|x) / H(y)),
  counted only when categories repeat (at least 2 rows per category on average, so an id is not a "feature
  that determines the label").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

THRESHOLD = 0.99
NEAR_PERFECT = {"roc_auc": 0.99, "accuracy": 0.99, "f1": 0.99, "f1_macro": 0.99, "pr_auc": 0.99, "r2": 0.99}


@dataclass(frozen=True)
class Association:
    feature: str
    measure: str  # "AUC", "|spearman|", "entropy explained"
    value: float

    def __str__(self) -> str:
        return f"{self.feature!r} ({self.measure} {self.value:.3f})"


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def associations(train: pd.DataFrame, numeric: list[str], categorical: list[str], label: str, task: str) -> list[Association]:
    """Each feature's univariate association with the label on `train` (training rows only)."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    found = []
    y_all = train[label]
    for column in numeric:
        rows = train[[column, label]].dropna()
        x = pd.to_numeric(rows[column], errors="coerce").astype(float)
        if len(rows) < 10 or x.nunique() < 2:
            continue
        if task == "classification":
            classes = rows[label].unique()
            if len(classes) < 2:
                continue
            aucs = [roc_auc_score(rows[label] == c, x) for c in (classes[:1] if len(classes) == 2 else classes)]
            found.append(Association(column, "AUC", max(max(a, 1 - a) for a in aucs)))
        elif task == "regression" and rows[label].nunique() > 1:
            rho = spearmanr(x, rows[label].astype(float)).statistic
            if np.isfinite(rho):
                found.append(Association(column, "|spearman|", abs(float(rho))))
    base = _entropy(y_all.dropna().value_counts().to_numpy()) if task == "classification" else 0.0
    for column in categorical if base else []:
        rows = train[[column, label]].dropna()
        if rows.empty or rows[column].nunique() > len(rows) / 2:  # an id-like column: every value its own class
            continue
        joint = rows.groupby([column, label], observed=True).size()
        per_category = joint.groupby(level=0, observed=True).sum()
        conditional = sum(n / len(rows) * _entropy(joint[cat].to_numpy()) for cat, n in per_category.items())
        found.append(Association(column, "entropy explained", 1 - conditional / base))
    return found


def near_perfect_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """The test metrics at or above their near-perfect mark (an error metric of exactly 0 too)."""
    high = {k: v for k, v in metrics.items() if k in NEAR_PERFECT and v is not None and v >= NEAR_PERFECT[k]}
    zero = {k: v for k, v in metrics.items() if k in {"rmse", "mae", "log_loss"} and v is not None and v <= 1e-9}
    return high | zero


def suspicion(train: pd.DataFrame, numeric: list[str], categorical: list[str], label: str, task: str,
              metrics: dict[str, float]) -> tuple[bool, str, list[Association]]:
    """(passed, one-line description, every association measured)."""
    # a label the features are built from (forecasting's lags), none (clustering), or an effect (uplift): no univariate test
    measured = associations(train, numeric, categorical, label, task) if task in ("classification", "regression") else []
    flagged = sorted((a for a in measured if a.value >= THRESHOLD), key=lambda a: -a.value)
    perfect = near_perfect_metrics(metrics)
    if not flagged and not perfect:
        return True, "no feature alone determines the label on the training rows; test metrics are not near-perfect", measured
    parts = []
    if flagged:
        parts.append(f"feature {', '.join(map(str, flagged))} alone all but determines {label!r} on the training rows")
    if perfect:
        parts.append("test " + ", ".join(f"{k} {v:.3f}" for k, v in perfect.items()) + " is near-perfect")
    return False, "suspicious: " + "; ".join(parts) + ": a feature that determines the label is usually the label in disguise " \
                  "(leakage); look before promoting", measured
