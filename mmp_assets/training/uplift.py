"""S-, T- and X-learner meta-learners over any scikit-learn-style classifier (binary outcome, binary treatment).

`MetaLearner` is the last step of an uplift model's Pipeline: `fit(X, y)` takes y as an (n, 2) array
[outcome, treatment] (the preprocessing steps ignore y), `predict(X)` returns the estimated uplift
P(y=1 | treated, x) - P(y=1 | control, x), `predict_outcomes(X)` the two potential-outcome scores.

- S: one classifier on the features plus the treatment; uplift = p(x, t=1) - p(x, t=0).
- T: one classifier per arm; uplift = p1(x) - p0(x).
- X (Künzel et al. 2019): T's two classifiers, then imputed effects D1 = y - p0(x) on treated rows and
  D0 = p1(x) - y on control rows, each regressed on the features in its arm (tau1, tau0), blended as
  g(x) tau0(x) + (1 - g(x)) tau1(x) with g the propensity: the recipe's known assignment probability
  (a randomized experiment), else a classifier of the treatment fitted on the features.

This module is pickled by value into the logged model (see pyfunc.py): it imports only numpy, pandas
and scikit-learn.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

TREATMENT_FEATURE = "__treatment"  # the S-learner's extra column
PROPENSITY_CLIP = 0.01  # a fitted propensity is kept inside [0.01, 0.99]


class _Constant:
    """What a classifier would learn from one arm whose outcomes are all the same value."""

    def __init__(self, value: float):
        self.value = float(value)

    def predict_proba(self, X) -> np.ndarray:
        return np.column_stack([np.full(len(X), 1 - self.value), np.full(len(X), self.value)])


def split_target(y) -> tuple[np.ndarray, np.ndarray]:
    """(outcome, treatment) as 0/1 ints from an (n, 2) target; ValueError otherwise."""
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[1] != 2:
        raise ValueError(f"an uplift model is fitted on an (n, 2) [outcome, treatment] target; got shape {y.shape}")
    return y[:, 0].astype(int), y[:, 1].astype(int)


def _rows(X, mask: np.ndarray):
    return X[mask] if isinstance(X, pd.DataFrame) else np.asarray(X)[mask]


def _with_treatment(X, value):
    if isinstance(X, pd.DataFrame):
        return X.assign(**{TREATMENT_FEATURE: value})
    return np.column_stack([np.asarray(X), np.broadcast_to(value, (len(X),))])


def _fresh(template):
    """An unfitted copy of `template`. Not sklearn.base.clone: CatBoost with cat_features fails its parameter check."""
    return copy.deepcopy(template)


def _fit_classifier(template, X, y: np.ndarray):
    if len(np.unique(y)) < 2:
        return _Constant(y[0] if len(y) else 0.0)
    return _fresh(template).fit(X, y)


def _positive(model, X) -> np.ndarray:
    proba = np.asarray(model.predict_proba(X))
    classes = list(getattr(model, "classes_", [0, 1]))
    return proba[:, classes.index(1)] if 1 in classes else proba[:, -1]


class MetaLearner(BaseEstimator):
    """An uplift model built from `outcome_model` (a classifier), and for the X-learner `effect_model` (a regressor)."""

    def __init__(self, learner: str = "t", outcome_model=None, effect_model=None, propensity: float | None = None):
        self.learner = learner
        self.outcome_model = outcome_model
        self.effect_model = effect_model
        self.propensity = propensity

    def fit(self, X, y):
        outcome, treated = split_target(y)
        if self.learner not in ("s", "t", "x"):
            raise ValueError(f"learner must be s, t or x; got {self.learner!r}")
        arms = [int((treated == 0).sum()), int((treated == 1).sum())]
        if min(arms) == 0:
            raise ValueError(f"an uplift model needs treated and control rows; got {arms[1]} treated, {arms[0]} control")
        if self.learner == "s":
            self.model_ = _fit_classifier(self.outcome_model, _with_treatment(X, treated), outcome)
            return self
        t1 = treated == 1
        self.control_ = _fit_classifier(self.outcome_model, _rows(X, ~t1), outcome[~t1])
        self.treated_ = _fit_classifier(self.outcome_model, _rows(X, t1), outcome[t1])
        if self.learner == "x":
            d1 = outcome[t1] - _positive(self.control_, _rows(X, t1))
            d0 = _positive(self.treated_, _rows(X, ~t1)) - outcome[~t1]
            self.effect_treated_ = _fresh(self.effect_model).fit(_rows(X, t1), d1)
            self.effect_control_ = _fresh(self.effect_model).fit(_rows(X, ~t1), d0)
            self.propensity_model_ = None if self.propensity is not None else _fit_classifier(self.outcome_model, X, treated)
        return self

    def predict_outcomes(self, X) -> tuple[np.ndarray, np.ndarray]:
        """(P(y=1 | control, x), P(y=1 | treated, x)) per row."""
        if self.learner == "s":
            return _positive(self.model_, _with_treatment(X, 0)), _positive(self.model_, _with_treatment(X, 1))
        return _positive(self.control_, X), _positive(self.treated_, X)

    def propensity_of(self, X) -> np.ndarray:
        """P(treated | x): the known assignment probability, else the fitted classifier's (clipped)."""
        if self.propensity is not None:
            return np.full(len(X), float(self.propensity))
        return np.clip(_positive(self.propensity_model_, X), PROPENSITY_CLIP, 1 - PROPENSITY_CLIP)

    def predict(self, X) -> np.ndarray:
        """Estimated uplift per row."""
        if self.learner != "x":
            control, treated = self.predict_outcomes(X)
            return treated - control
        g = self.propensity_of(X)
        tau1, tau0 = np.asarray(self.effect_treated_.predict(X)).ravel(), np.asarray(self.effect_control_.predict(X)).ravel()
        return g * tau0 + (1 - g) * tau1
