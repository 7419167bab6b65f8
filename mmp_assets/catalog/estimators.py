"""Estimators a recipe may name: any importable scikit-learn-style class, its library, the parameters it accepts."""

from __future__ import annotations

import importlib
import inspect
from functools import cache


def estimator_kind(class_path: str) -> str:
    """The library a model asset shows as its Dagster kind, read from the class path alone (no import)."""
    return "catboost" if class_path.startswith("catboost.") else "sklearn"


def unwrap_fitted(model):
    """The fitted model under scikit-learn's threshold and frozen wrappers, stopping at anything else.

    Only those wrappers are opened: on an ensemble (forest, bagging, AdaBoost) `estimator_` is the
    unfitted template tree, not the model. A calibration wrapper is returned as it is.
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV

    while True:
        if isinstance(model, (FixedThresholdClassifier, TunedThresholdClassifierCV)):
            model = model.estimator_
        elif isinstance(model, FrozenEstimator):
            model = model.estimator
        else:
            return model


@cache
def estimator_params(class_path: str) -> frozenset[str] | None:
    """Constructor parameter names of `class_path`; ValueError if it cannot be imported or is no estimator."""
    module_name, _, attr = class_path.rpartition(".")
    if not module_name:
        raise ValueError(f"{class_path!r} is not an import path; write module.Class, such as sklearn.ensemble.RandomForestClassifier")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import {class_path!r} ({type(exc).__name__}: {exc}); install its package or fix the path") from None
    if not inspect.isclass(cls) or not hasattr(cls, "fit"):
        raise ValueError(f"{class_path!r} is not an estimator class with fit(); use a scikit-learn-style estimator")
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return None
    return frozenset(n for n in params if n != "self")
