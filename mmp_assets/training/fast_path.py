"""A scorer compiled from a fitted `PipelineModel` for one-row requests: numpy in, the pyfunc's outputs out.

`PipelineModel.predict` (and `predict_frame`) run scikit-learn's ColumnTransformer on a DataFrame:
validation, pandas output wrapping and a concat per call cost milliseconds where the model needs well
under one. `compile_scorer` reads the fitted parameters once (imputer statistics, scaler offsets,
encoder categories) and applies them with numpy to each block of request columns; the estimator is
called once (a binary classifier's threshold applied to that one `predict_proba`, as scikit-learn's
FixedThresholdClassifier does). It returns None, and callers keep the plain path, for any step it does
not know: an unknown transformer, a quantile or uplift model, an input column typed other than the
ColumnTransformer expects. Outputs are those of `PipelineModel.predict`, value for value
(tests/training/test_fast_path.py compares them on NULLs, unseen categories and every catalog step).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

Step = Callable[[np.ndarray], np.ndarray]
Scorer = Callable[[Mapping[str, Sequence], int], dict[str, np.ndarray]]

_PREPROCESSING = "mmp_assets.training.preprocessing"  # pickled by value: matched by name, not identity
_FLOATS = {"double"}  # a `float` (float32) input is rounded by the plain path's frame: left to it


def compile_scorer(pipeline, feature_columns: Sequence[str], task: str, input_types: Mapping[str, str]) -> Scorer | None:
    """`scorer(columns, n)` → the outputs `PipelineModel.predict` gives for `n` rows given as column → values
    (None for a missing value), or None when some step is not one this module knows."""
    from sklearn.pipeline import Pipeline

    if task not in ("classification", "regression") or not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return None
    blocks = _blocks(pipeline[0], input_types)
    if blocks is None or not {c for block in blocks for c in block.columns} <= set(feature_columns):
        return None  # (the pyfunc would refuse a row without its feature columns; the blocks would read them as NULL)
    model = pipeline[-1]
    if hasattr(model, "predict_quantiles"):
        return None
    names = [name for block in blocks for name in block.names]
    estimator, threshold = _threshold(model)
    if estimator is None:
        return None
    expected = getattr(estimator, "feature_names_in_", None)
    if expected is None:
        expected = getattr(_innermost(estimator), "feature_names_", None)
    if expected is None or list(expected) != names:
        return None
    as_numpy = type(estimator).__module__.split(".")[0] == "catboost"  # CatBoost takes a mixed object array as is
    if not as_numpy and any(block.text for block in blocks):
        return None
    classes = np.asarray(getattr(model, "classes_", []))
    binary = task == "classification" and len(classes) == 2

    def score(columns: Mapping[str, Sequence], n: int) -> dict[str, np.ndarray]:
        parts = [block(columns, n) for block in blocks]
        X = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)  # object as soon as one block is text
        if not as_numpy:
            X = pd.DataFrame(X, columns=names, copy=False)
        if task == "regression":
            return {"prediction": np.asarray(estimator.predict(X)).reshape(n)}
        proba = estimator.predict_proba(X)
        if threshold is not None:
            prediction = classes[(proba[:, 1] >= threshold).astype(int)]
        else:
            prediction = np.asarray(estimator.predict(X)).reshape(n)  # CatBoost's multiclass predict answers in (n, 1)
        out = {"prediction": prediction}
        if binary:
            out["probability"] = proba[:, 1]
        else:
            for i, label in enumerate(classes):
                out[f"proba_{label}"] = proba[:, i]
        return out

    return score


def _innermost(estimator):
    from mmp_assets.catalog.estimators import unwrap_fitted

    return unwrap_fitted(estimator)


def _threshold(model):
    """(what to call predict_proba/predict on, the threshold or None): a FixedThresholdClassifier's probability
    cut, applied the way its `predict` does, so the estimator under it is called once."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV

    if isinstance(model, TunedThresholdClassifierCV):
        return None, None
    if not isinstance(model, FixedThresholdClassifier):
        return model, None
    if model.pos_label is not None or model.response_method != "predict_proba" or model.threshold == "auto" or len(model.classes_) != 2:
        return None, None
    inner = model.estimator_
    if isinstance(inner, FrozenEstimator):
        inner = inner.estimator
    return inner, float(model.threshold)


class _Block:
    """One ColumnTransformer part: its input columns as one numpy array, then its fitted steps in numpy."""

    def __init__(self, columns: list[str], text_in: bool, steps: list[Step], names: list[str], text_out: bool):
        self.columns, self.text_in, self.steps, self.names, self.text = columns, text_in, steps, names, text_out

    def __call__(self, columns: Mapping[str, Sequence], n: int) -> np.ndarray:
        missing = [None] * n
        if self.text_in:
            X = np.empty((n, len(self.columns)), dtype=object)
            for j, name in enumerate(self.columns):
                X[:, j] = columns.get(name, missing)
        else:
            X = np.array([columns.get(name, missing) for name in self.columns], dtype=np.float64).T
        for step in self.steps:
            X = step(X)
        return X


def _blocks(preprocess, input_types: Mapping[str, str]) -> list[_Block] | None:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    while isinstance(preprocess, Pipeline) and len(preprocess.steps) == 1:
        preprocess = preprocess[0]
    if not isinstance(preprocess, ColumnTransformer) or preprocess.remainder != "drop" or preprocess.verbose_feature_names_out:
        return None
    out = []
    for _, transformer, columns in preprocess.transformers_:
        if isinstance(transformer, str) and transformer == "drop" or len(columns) == 0:
            continue
        columns = list(columns)
        kinds = {input_types.get(c) for c in columns}
        if kinds <= _FLOATS:
            text = False
        elif kinds == {"string"}:
            text = True
        else:
            return None
        steps = [] if isinstance(transformer, str) and transformer == "passthrough" else (
            transformer.steps if isinstance(transformer, Pipeline) else [("only", transformer)]
        )
        compiled = []
        for _, step in steps:
            found = _step(step, text)
            if found is None:
                return None
            fn, text = found
            if fn is not None:
                compiled.append(fn)
        if isinstance(transformer, str):
            names = columns
        else:
            names = list(transformer.get_feature_names_out(columns))
        out.append(_Block(columns, kinds == {"string"}, compiled, names, text))
    return out or None


def _step(step, text: bool) -> tuple[Step | None, bool] | None:
    """(numpy function or None for identity, whether the output is text) for a fitted step; None if unknown."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler

    if isinstance(step, str):
        return (None, text) if step == "passthrough" else None
    if isinstance(step, FunctionTransformer):
        func = step.func
        if step.kw_args or step.validate or getattr(func, "__module__", None) != _PREPROCESSING:
            return None
        if func.__name__ == "as_categories":
            return _as_categories, True
        if func.__name__ == "signed_log1p" and not text:
            return (lambda X: np.sign(X) * np.log1p(np.abs(X))), False
        return None
    if isinstance(step, SimpleImputer):
        return _imputer(step, text)
    if text and not isinstance(step, (OneHotEncoder, OrdinalEncoder)):
        return None
    if type(step) is StandardScaler:
        mean = step.mean_ if step.with_mean else None
        scale = step.scale_ if step.with_std else None
        return (lambda X: _offset(X, mean, scale)), False
    if type(step) is RobustScaler:
        center = step.center_ if step.with_centering else None
        scale = step.scale_ if step.with_scaling else None
        return (lambda X: _offset(X, center, scale)), False
    if type(step) is MinMaxScaler:
        low, high = step.feature_range
        return (lambda X: _minmax(X, step.scale_, step.min_, (low, high) if step.clip else None)), False
    if type(step).__name__ == "QuantileClipper" and type(step).__module__ == _PREPROCESSING:
        lower = np.where(np.isnan(step.lower_), -np.inf, step.lower_)
        upper = np.where(np.isnan(step.upper_), np.inf, step.upper_)
        return (lambda X: np.clip(X, lower, upper)), False
    if type(step) is OneHotEncoder:
        return _one_hot(step)
    if type(step) is OrdinalEncoder:
        return _ordinal(step)
    return None


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_categories(X: np.ndarray) -> np.ndarray:
    """`preprocessing.as_categories`: text, NaN for missing (pandas' string conversion is `str` for the values JSON gives)."""
    out = np.empty(X.shape, dtype=object)
    for index, value in np.ndenumerate(X):
        out[index] = np.nan if _is_missing(value) or value is pd.NA else (value if isinstance(value, str) else str(value))
    return out


def _imputer(step, text: bool) -> tuple[Step, bool] | None:
    if step.add_indicator or step.keep_empty_features or not _is_missing(step.missing_values) or step.missing_values is None:
        return None
    statistics = step.statistics_
    if text:
        if any(_is_missing(v) for v in statistics):  # a column empty at fit: scikit-learn drops it
            return None
        # scikit-learn's mask on objects is `X != X`: NaN is missing, None is not
        return (lambda X: np.where(X != X, statistics, X)), True
    statistics = np.asarray(statistics, dtype=np.float64)
    if np.isnan(statistics).any():
        return None
    return (lambda X: np.where(np.isnan(X), statistics, X)), False


def _offset(X: np.ndarray, center, scale) -> np.ndarray:
    if center is not None:
        X = X - center
    if scale is not None:
        X = X / scale
    return X


def _minmax(X: np.ndarray, scale, low, clip) -> np.ndarray:
    X = X * scale + low
    return np.clip(X, clip[0], clip[1]) if clip else X


def _lookups(categories: list[np.ndarray]) -> list[tuple[dict, int | None]]:
    """Per column: category → code, and the code of a missing value when it was a category at fit."""
    out = []
    for cats in categories:
        missing = next((i for i, c in enumerate(cats) if _is_missing(c)), None)
        out.append(({c: i for i, c in enumerate(cats.tolist()) if not _is_missing(c)}, missing))
    return out


def _one_hot(step) -> tuple[Step, bool] | None:
    if step.handle_unknown != "ignore" or step.drop_idx_ is not None or step._infrequent_enabled or step.sparse_output:
        return None
    lookups = _lookups(step.categories_)
    offsets = np.cumsum([0, *(len(c) for c in step.categories_)])
    dtype = step.dtype

    def encode(X: np.ndarray) -> np.ndarray:
        out = np.zeros((X.shape[0], offsets[-1]), dtype=dtype)
        for j, (codes, missing) in enumerate(lookups):
            for i, value in enumerate(X[:, j].tolist()):
                code = missing if _is_missing(value) else codes.get(value)
                if code is not None:
                    out[i, offsets[j] + code] = 1
        return out

    return encode, False


def _ordinal(step) -> tuple[Step, bool] | None:
    if step.handle_unknown != "use_encoded_value" or step._infrequent_enabled:
        return None
    lookups = _lookups(step.categories_)
    unknown, encoded_missing, dtype = step.unknown_value, step.encoded_missing_value, step.dtype

    def encode(X: np.ndarray) -> np.ndarray:
        out = np.empty(X.shape, dtype=dtype)
        for j, (codes, missing) in enumerate(lookups):
            for i, value in enumerate(X[:, j].tolist()):
                if _is_missing(value):
                    out[i, j] = encoded_missing if missing is not None else unknown
                else:
                    code = codes.get(value)
                    out[i, j] = unknown if code is None else code
        return out

    return encode, False
