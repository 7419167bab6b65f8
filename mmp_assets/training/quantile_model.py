"""One fitted model per quantile level behind one scikit-learn regressor, shipped inside the logged model.

It imports nothing from mmp, so the pyfunc pickles it by value and a consumer needs no mmp code.
Independently fitted quantile models can cross (a row's 0.1 prediction above its 0.5); every row's
predictions are sorted, so the columns stay in level order.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone


def quantile_name(q: float) -> str:
    """The output column of quantile `q`: q0.1, q0.5, q0.9 (catalog/quantiles.py names them the same way)."""
    return f"q{q:g}"


class QuantileEnsemble(RegressorMixin, BaseEstimator):
    """`estimators[i]` fits quantile `quantiles[i]`; `predict` answers with the median, else the middle level."""

    def __init__(self, estimators: list, quantiles: list[float]):
        self.estimators = estimators
        self.quantiles = quantiles

    def fit(self, X, y, **fit_params):
        self.estimators_ = [clone(estimator).fit(X, y, **fit_params) for estimator in self.estimators]
        return self

    @property
    def point_index(self) -> int:
        levels = list(self.quantiles)
        return levels.index(0.5) if 0.5 in levels else len(levels) // 2

    def predict_quantiles(self, X) -> np.ndarray:
        """(rows, levels), each row sorted ascending (crossing quantiles put back in order)."""
        n = X.shape[0]
        columns = [np.asarray(estimator.predict(X), dtype=float).reshape(n) for estimator in self.estimators_]
        return np.sort(np.column_stack(columns), axis=1)

    def predict(self, X) -> np.ndarray:
        return self.predict_quantiles(X)[:, self.point_index]


def clipped_square(z):
    """The inverse of a sqrt label transform: a transformed prediction below 0 stands for a label of 0."""
    return np.square(np.maximum(z, 0))


def regression_outputs(model, X) -> np.ndarray:
    """What regression metrics read: (rows, levels) quantiles from a quantile model, else `predict`."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if not hasattr(final, "predict_quantiles"):
        return model.predict(X)
    Xt = model[:-1].transform(X) if hasattr(model, "steps") and len(model.steps) > 1 else X
    return final.predict_quantiles(Xt)


def quantile_columns(model, X) -> dict[str, np.ndarray]:
    """`q<level>` → predictions, for a quantile model (or a pipeline ending in one); {} for any other model."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if not hasattr(final, "predict_quantiles"):
        return {}
    Q = regression_outputs(model, X)
    return {quantile_name(q): Q[:, i] for i, q in enumerate(final.quantiles)}
