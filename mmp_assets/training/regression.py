"""The regression extras in the trained model: a label transform fitted inside it, and one model per quantile.

`shape_estimator` wraps the recipe's estimator so the pipeline, the search and the logged model stay one
scikit-learn regressor predicting on the original scale: scikit-learn's TransformedTargetRegressor for
`model.target_transform`, `QuantileEnsemble` for `model.quantiles` (each member its own transform, which
is sound: quantiles commute with a monotone transform).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor

from mmp_assets.catalog.metrics import Metric, get_metric
from mmp_assets.catalog.quantiles import quantile_params
from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.training.quantile_model import QuantileEnsemble, clipped_square
from mmp_resources.errors import Problem

TRANSFORMS = {"log1p": (np.log1p, np.expm1), "sqrt": (np.sqrt, clipped_square)}


def reshapes_target(recipe: ModelRecipe) -> bool:
    """Whether the pipeline's last step wraps the estimator (no per-boosting-round pruning then)."""
    return recipe.model.target_transform != "none" or recipe.model.quantiles is not None


def _transformed(recipe: ModelRecipe, estimator):
    if recipe.model.target_transform == "none":
        return estimator
    func, inverse = TRANSFORMS[recipe.model.target_transform]
    return TransformedTargetRegressor(regressor=estimator, func=func, inverse_func=inverse, check_inverse=False)


def shape_estimator(recipe: ModelRecipe, estimator):
    """The estimator as the pipeline's last step: unchanged, label-transformed, or one clone per quantile."""
    if recipe.task != "regression":
        return estimator
    if recipe.model.quantiles is None:
        return _transformed(recipe, estimator)
    members = [_transformed(recipe, clone(estimator).set_params(**quantile_params(recipe.model.class_path, q)))
               for q in recipe.model.quantiles]
    return QuantileEnsemble(members, list(recipe.model.quantiles))


def tuning_metric(recipe: ModelRecipe) -> Metric:
    """The recipe's tuning metric, with the quantile levels bound in for a quantile metric."""
    metric = get_metric(recipe.tuning.metric, recipe.task)
    if not metric.needs_quantiles:
        return metric
    levels, fn = list(recipe.model.quantiles or []), metric.fn
    return dataclasses.replace(metric, fn=lambda y, Q, labels=None: fn(y, Q, levels))


def label_problems(recipe: ModelRecipe, training_set: TrainingSet, shown: str) -> list[Problem]:
    """A log1p or sqrt transform the labels contradict: any label below 0 (every fit, backtests included, may see any row)."""
    transform = recipe.model.target_transform
    if recipe.task != "regression" or transform == "none":
        return []
    y = np.asarray(training_set.frame[training_set.label], dtype=float)
    negative = y < 0
    if not negative.any():
        return []
    return [Problem(shown, "model.target_transform", f"{transform!r} needs labels >= 0, and {int(negative.sum())} of {len(y)} "
                                                     f"rows of {training_set.label!r} are negative (lowest {y.min():g}); use none")]
