"""Native categorical columns, per library: what the estimator is told, and the steps that shape the columns.

`preprocessing.categorical.encode: native` fills missing categories first (`__missing__`); then CatBoost
takes the text as it is (`cat_features`), while XGBoost and LightGBM take pandas `category` columns.
Pickled by value into the logged model with the pipeline module, so loading it does not need mmp.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

from mmp_assets.catalog.estimators import NATIVE_CATEGORICAL, estimator_kind


def takes_native_categories(class_path: str) -> bool:
    return estimator_kind(class_path) in NATIVE_CATEGORICAL


def native_params(class_path: str, columns: list[str]) -> dict:
    """Constructor arguments that make the estimator treat `columns` as categories."""
    kind = estimator_kind(class_path)
    if kind == "catboost":
        return {"cat_features": list(columns)}
    if kind == "xgboost":
        return {"enable_categorical": True}
    return {}  # LightGBM reads the category dtype


def native_steps(class_path: str) -> list:
    """Steps after the missing categories are filled: none for CatBoost, category codes for XGBoost and LightGBM."""
    if estimator_kind(class_path) not in ("xgboost", "lightgbm"):
        return []
    return [
        ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)),
        ("as_category", FunctionTransformer(as_category_dtype, feature_names_out="one-to-one")),
    ]


def as_category_dtype(X) -> pd.DataFrame:
    """Ordinal codes as pandas categories, the native categorical input of XGBoost and LightGBM.

    Codes come from an OrdinalEncoder fitted on the training rows, so they mean the same category at
    predict time; a category never seen in training is NaN, which both libraries treat as missing."""

    def column(codes: pd.Series) -> pd.Categorical:
        # integer categories 0..max code (XGBoost refuses float ones); both libraries match categories by value
        size = int(codes.max()) + 1 if codes.notna().any() else 0
        return pd.Categorical.from_codes(codes.fillna(-1).astype("int64"), categories=pd.RangeIndex(size))

    return pd.DataFrame(X).apply(column)
