"""Quantile regression: which estimators can fit a quantile, how each is told which one, and how quantile
predictions are scored.

Read without importing any estimator library, so a recipe naming `model.quantiles` is checked when it
loads. Scoring functions take `(y_true, Q, levels)`: Q holds one column per level, in ascending order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

# class path → (constructor arguments that make it fit quantile q, the arguments mmp sets and a recipe may not)
QUANTILE_ESTIMATORS: dict[str, tuple[Callable[[float], dict], tuple[str, ...]]] = {
    "catboost.CatBoostRegressor": (lambda q: {"loss_function": f"Quantile:alpha={q:g}"}, ("loss_function", "objective")),
    "lightgbm.LGBMRegressor": (lambda q: {"objective": "quantile", "alpha": q}, ("objective", "alpha")),
    "xgboost.XGBRegressor": (lambda q: {"objective": "reg:quantileerror", "quantile_alpha": q}, ("objective", "quantile_alpha")),
    "sklearn.ensemble.GradientBoostingRegressor": (lambda q: {"loss": "quantile", "alpha": q}, ("loss", "alpha")),
    "sklearn.ensemble.HistGradientBoostingRegressor": (lambda q: {"loss": "quantile", "quantile": q}, ("loss", "quantile")),
    "sklearn.linear_model.QuantileRegressor": (lambda q: {"quantile": q}, ("quantile",)),
}


def quantile_params(class_path: str, q: float) -> dict:
    """Constructor arguments that make `class_path` fit quantile `q` (KeyError: it cannot)."""
    return QUANTILE_ESTIMATORS[class_path][0](q)


def reserved_params(class_path: str) -> tuple[str, ...]:
    return QUANTILE_ESTIMATORS[class_path][1]


def quantile_name(q: float) -> str:
    """The output column of quantile `q`: q0.1, q0.5, q0.9, q0.025."""
    return f"q{q:g}"


def point_index(levels: Sequence[float]) -> int:
    """The column a single prediction is read from: the median when asked for, else the middle quantile."""
    levels = list(levels)
    return levels.index(0.5) if 0.5 in levels else len(levels) // 2


def _np():
    return importlib.import_module("numpy")


def pinball_per_quantile(y_true, Q, levels: Sequence[float]) -> list[float]:
    """Mean pinball loss of each column: q·(y−ŷ) when y ≥ ŷ, (1−q)·(ŷ−y) otherwise."""
    np = _np()
    y = np.asarray(y_true, dtype=float).reshape(-1, 1)
    diff = y - np.asarray(Q, dtype=float).reshape(len(y), -1)
    q = np.asarray(levels, dtype=float).reshape(1, -1)
    return np.mean(np.maximum(q * diff, (q - 1) * diff), axis=0).tolist()


def pinball_loss(y_true, Q, levels: Sequence[float]) -> float:
    """Pinball loss averaged over the quantiles."""
    return float(_np().mean(pinball_per_quantile(y_true, Q, levels)))


def nominal_coverage(levels: Sequence[float]) -> float:
    """Share of rows the outer quantiles' interval should hold: highest level − lowest."""
    return float(max(levels) - min(levels))


def interval_coverage(y_true, Q, levels: Sequence[float]) -> float:
    """Share of rows with lowest quantile ≤ y ≤ highest quantile; NaN with fewer than two quantiles."""
    np = _np()
    if len(levels) < 2:
        return float("nan")
    y, Q = np.asarray(y_true, dtype=float), np.asarray(Q, dtype=float)
    return float(np.mean((Q[:, 0] <= y) & (y <= Q[:, -1])))


def interval_coverage_error(y_true, Q, levels: Sequence[float]) -> float:
    """|interval coverage − its nominal level|."""
    return abs(interval_coverage(y_true, Q, levels) - nominal_coverage(levels))
