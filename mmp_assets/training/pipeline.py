"""One trial's model: the recipe's preprocessing and its estimator in a single scikit-learn Pipeline.

The preprocessing lives inside the pipeline so it is fitted on whatever rows the pipeline is
fitted on (a trial's training rows only) and ships with the logged model.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pandas as pd

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler

from mmp_assets.catalog.estimators import estimator_params, unwrap_fitted
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.training.native import native_params, native_steps, takes_native_categories

MISSING_CATEGORY = "__missing__"
_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
_NUMERIC_IMPUTE = {"median": {"strategy": "median"}, "mean": {"strategy": "mean"}, "zero": {"strategy": "constant", "fill_value": 0}}


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
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def make_estimator(recipe: ModelRecipe, params: dict[str, Any], categorical: list[str]):
    """The estimator with fixed params + trial params; unknown parameters named by recipe field."""
    cls = estimator_class(recipe)
    accepted = estimator_params(recipe.model.class_path)
    merged = {**recipe.model.params, **params}
    if accepted is not None:
        unknown = sorted(set(merged) - accepted)
        if unknown:
            field = "model.search_space" if set(unknown) & set(recipe.model.search_space) else "model.params"
            raise ValueError(f"recipe {recipe.name}: {field}: {recipe.model.class_path} has no parameter {', '.join(map(repr, unknown))}")
    if recipe.preprocessing.categorical.encode == "native" and categorical:
        if not takes_native_categories(recipe.model.class_path):
            raise ValueError(
                f"recipe {recipe.name}: preprocessing.categorical.encode: 'native' needs a CatBoost, XGBoost or LightGBM model; use onehot or ordinal"
            )
        for name, value in native_params(recipe.model.class_path, categorical).items():
            merged.setdefault(name, value)
    return cls(**merged)


def _numeric_steps(recipe: ModelRecipe) -> list:
    spec = recipe.preprocessing.numeric
    steps = []
    if spec.impute != "none":
        steps.append(("impute", SimpleImputer(**_NUMERIC_IMPUTE[spec.impute])))
    if spec.scale != "none":
        steps.append(("scale", _SCALERS[spec.scale]()))
    return steps or [("keep", "passthrough")]


def as_categories(X) -> pd.DataFrame:
    """Categories as text with NaN for missing: DuckDB hands NULL strings over as None, which
    SimpleImputer does not see as missing and CatBoost refuses."""
    X = pd.DataFrame(X)
    return X.astype("string").astype(object).where(X.notna(), np.nan)


def _categorical_steps(recipe: ModelRecipe) -> list:
    spec = recipe.preprocessing.categorical
    steps = [("as_text", FunctionTransformer(as_categories, feature_names_out="one-to-one"))]
    # CatBoost refuses missing categories, so native encoding always fills them
    if spec.impute == "constant" or spec.encode == "native":
        steps.append(("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)))
    elif spec.impute == "most_frequent":
        steps.append(("impute", SimpleImputer(strategy="most_frequent")))
    if spec.encode == "onehot":
        steps.append(("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)))
    elif spec.encode == "ordinal":
        steps.append(("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)))
    elif spec.encode == "native":
        steps += native_steps(recipe.model.class_path)
    return steps


def build_preprocessor(recipe: ModelRecipe, numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    parts = []
    if numeric:
        parts.append(("numeric", Pipeline(_numeric_steps(recipe)), list(numeric)))
    if categorical:
        parts.append(("categorical", Pipeline(_categorical_steps(recipe)), list(categorical)))
    # names stay the raw column names, so CatBoost finds its cat_features by name
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False).set_output(transform="pandas")


def build_pipeline(recipe: ModelRecipe, params: dict[str, Any], numeric: list[str], categorical: list[str]) -> Pipeline:
    """Unfitted preprocessing + estimator for one set of trial params."""
    return Pipeline([("preprocess", build_preprocessor(recipe, numeric, categorical)), ("model", make_estimator(recipe, params, categorical))])


def base_estimator(model):
    """The innermost fitted estimator under threshold and calibration wrappers (for SHAP and inspection)."""
    if isinstance(model, Pipeline):
        model = model[-1]
    model = unwrap_fitted(model)
    while hasattr(model, "calibrated_classifiers_"):
        model = unwrap_fitted(model.calibrated_classifiers_[0].estimator)
    return model
