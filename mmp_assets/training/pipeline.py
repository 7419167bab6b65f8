"""One trial's model: the recipe's preprocessing and its estimator in a single scikit-learn Pipeline.

The preprocessing lives inside the pipeline so it is fitted on whatever rows the pipeline is
fitted on (a trial's training rows only) and ships with the logged model.
"""

from __future__ import annotations

import importlib
from typing import Any

from sklearn.pipeline import Pipeline

from mmp_assets.catalog.estimators import estimator_kind, estimator_params, unwrap_fitted
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.training.preprocessing import MISSING_CATEGORY, as_categories, build_preprocessor, is_catboost, native_columns
from mmp_assets.training.regression import shape_estimator

__all__ = ["MISSING_CATEGORY", "as_categories", "base_estimator", "build_pipeline", "build_preprocessor", "is_catboost", "make_estimator"]


def estimator_class(recipe: ModelRecipe) -> type:
    """The class behind `model.class_path`; a ValueError naming the recipe field otherwise."""
    path = recipe.model.class_path
    try:
        estimator_params(path)
    except ValueError as exc:
        raise ValueError(f"recipe {recipe.name}: model.class_path: {exc}") from None
    if path == "xgboost.XGBClassifier":
        from mmp_assets.training.labels import XGBClassifier  # the same model, for text and any integer labels

        return XGBClassifier
    if path == "sklearn.cluster.AgglomerativeClustering":
        from mmp_assets.training.clusterers import AgglomerativeClustering  # with predict: nearest fitted centroid

        return AgglomerativeClustering
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def make_estimator(recipe: ModelRecipe, params: dict[str, Any], numeric: list[str], categorical: list[str]):
    """The estimator with fixed params + trial params (and what native categories need: CatBoost's cat_features,
    XGBoost's enable_categorical); unknown parameters named by recipe field."""
    cls = estimator_class(recipe)
    accepted = estimator_params(recipe.model.class_path)
    merged = {**recipe.model.params, **params}
    if accepted is not None:
        unknown = sorted(set(merged) - accepted)
        if unknown:
            field = "model.search_space" if set(unknown) & set(recipe.model.search_space) else "model.params"
            raise ValueError(f"recipe {recipe.name}: {field}: {recipe.model.class_path} has no parameter {', '.join(map(repr, unknown))}")
    if recipe.task == "clustering" and accepted is not None and "random_state" in accepted:
        merged.setdefault("random_state", recipe.split.seed)  # KMeans & co. start from random centroids: same seed, same clusters
    native = native_columns(recipe, numeric, categorical, strict=False)
    if native:
        for name, value in NATIVE_PARAMS[estimator_kind(recipe.model.class_path)](native).items():
            merged.setdefault(name, value)
    return cls(**merged)


# what each library needs to take categorical columns as they are (LightGBM reads the category dtype)
NATIVE_PARAMS = {
    "catboost": lambda native: {"cat_features": list(native)},
    "xgboost": lambda native: {"enable_categorical": True},
    "lightgbm": lambda native: {},
}


def build_pipeline(recipe: ModelRecipe, params: dict[str, Any], numeric: list[str], categorical: list[str]) -> Pipeline:
    """Unfitted preprocessing + estimator for one set of trial params."""
    estimator = shape_estimator(recipe, make_estimator(recipe, params, numeric, categorical))  # label transform, quantiles
    return Pipeline([("preprocess", build_preprocessor(recipe, numeric, categorical)), ("model", estimator)])


def base_estimator(model):
    """The innermost fitted estimator under threshold and calibration wrappers (for SHAP and inspection)."""
    if isinstance(model, Pipeline):
        model = model[-1]
    model = unwrap_fitted(model)
    while hasattr(model, "calibrated_classifiers_"):
        model = unwrap_fitted(model.calibrated_classifiers_[0].estimator)
    return model
