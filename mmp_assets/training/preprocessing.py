"""The recipe's `preprocessing` as one scikit-learn ColumnTransformer, and which columns stay native categories.

`plan_columns` assigns each feature column to the first `preprocessing.columns` entry that selects it
(by name, glob or kind); the rest follow the numeric / categorical shorthand. Everything it refuses
(a selection matching nothing, a group mixing kinds, a numeric step on text) is a ValueError naming
the recipe field, raised before any trial runs (`check_preprocessing`, on every feature column).

A trial's pipeline is built on the model columns only: a feature column NULL in every row it is fitted
on is left out (see `TrainingSet.model_columns`), so there an entry may find its columns gone.

`encode: native` (shorthand or step) keeps categories for the model's own handling: text for CatBoost
(`cat_features`), pandas category columns for XGBoost and LightGBM.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer, KBinsDiscretizer, MinMaxScaler, OneHotEncoder, OrdinalEncoder, PolynomialFeatures, RobustScaler,
    StandardScaler, TargetEncoder,
)

from mmp_assets.catalog.estimators import NATIVE_CATEGORICAL, estimator_kind
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.preprocessing import NUMERIC_ONLY, ColumnSteps

MISSING_CATEGORY = "__missing__"
SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
_NUMERIC_IMPUTE = {"median": {"strategy": "median"}, "mean": {"strategy": "mean"}, "zero": {"strategy": "constant", "fill_value": 0}}


def as_categories(X) -> pd.DataFrame:
    """Categories as text with NaN for missing: DuckDB hands NULL strings over as None, which
    SimpleImputer does not see as missing and CatBoost refuses."""
    X = pd.DataFrame(X)
    return X.astype("string").astype(object).where(X.notna(), np.nan)


def as_category_dtype(X) -> pd.DataFrame:
    """Ordinal codes as pandas categories, the native categorical input of XGBoost and LightGBM.

    Codes come from an OrdinalEncoder fitted on the training rows, so they mean the same category at
    predict time; a category never seen in training is NaN, which both libraries treat as missing."""
    X = pd.DataFrame(X)
    # integer categories 0..max code (XGBoost refuses float ones); both libraries match categories by value
    return X.apply(lambda codes: pd.Categorical.from_codes(codes.fillna(-1).astype("int64"), categories=pd.RangeIndex(int(codes.max(skipna=True)) + 1 if codes.notna().any() else 0)))


def signed_log1p(X):
    """sign(x) * log(1 + |x|): equal to log1p for x >= 0, and defined (not NaN) for negative values."""
    return np.sign(X) * np.log1p(np.abs(X))


class QuantileClipper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip each column to bounds: fixed ones, or quantiles learnt in `fit` (on the rows it is fitted on)."""

    def __init__(self, *, lower=None, upper=None, lower_quantile=None, upper_quantile=None):
        self.lower, self.upper, self.lower_quantile, self.upper_quantile = lower, upper, lower_quantile, upper_quantile

    def fit(self, X, y=None):
        values = np.asarray(X, dtype=float)
        self.n_features_in_ = values.shape[1]
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)

        def bound(fixed, quantile):
            if quantile is not None:
                return np.nanquantile(values, quantile, axis=0)
            return np.full(values.shape[1], np.nan if fixed is None else float(fixed))

        self.lower_, self.upper_ = bound(self.lower, self.lower_quantile), bound(self.upper, self.upper_quantile)
        return self

    def transform(self, X):
        values = np.asarray(X, dtype=float)
        clipped = np.clip(values, np.where(np.isnan(self.lower_), -np.inf, self.lower_), np.where(np.isnan(self.upper_), np.inf, self.upper_))
        return pd.DataFrame(clipped, columns=X.columns, index=X.index) if hasattr(X, "columns") else clipped


@dataclass(frozen=True)
class ColumnGroup:
    """One `preprocessing.columns` entry resolved against the feature columns."""

    index: int
    spec: ColumnSteps
    columns: list[str]
    kind: str

    @property
    def field(self) -> str:
        return f"preprocessing.columns[{self.index}]"


class PreprocessingError(ValueError):
    """A `preprocessing` setting the training set's columns contradict; `field` is the recipe field."""

    def __init__(self, recipe: str, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"recipe {recipe}: {field}: {message}")


def _error(recipe: ModelRecipe, field: str, message: str) -> PreprocessingError:
    return PreprocessingError(recipe.name, field, message)


def plan_columns(recipe: ModelRecipe, numeric: list[str], categorical: list[str], *, strict: bool = True,
                 ) -> tuple[list[ColumnGroup], list[str], list[str]]:
    """(groups, numeric columns left to the shorthand, categorical columns left to the shorthand).

    `strict=False` is for a trial's model columns, from which all-NULL feature columns are left out: a
    selection matching none of them is then no error (`check_preprocessing` checked it on every column)."""
    kinds = {**dict.fromkeys(numeric, "numeric"), **dict.fromkeys(categorical, "categorical")}
    free = [c for c in kinds]
    groups = []
    for i, spec in enumerate(recipe.preprocessing.columns):
        field = f"preprocessing.columns[{i}]"
        for pattern in spec.columns if strict else ():
            if not any(fnmatchcase(c, pattern) for c in kinds):
                raise _error(recipe, f"{field}.columns", f"{pattern!r} matches no feature column; feature columns: {', '.join(kinds)}")
        chosen = [c for c in free if (not spec.columns or any(fnmatchcase(c, p) for p in spec.columns))
                  and (spec.dtype is None or kinds[c] == spec.dtype)]
        if not chosen and spec.columns and strict:
            taken = [c for c in kinds if c not in free and any(fnmatchcase(c, p) for p in spec.columns)]
            raise _error(recipe, f"{field}.columns", f"every column it selects ({', '.join(taken)}) is taken by an earlier entry; "
                                                     "a column follows the first entry that selects it: move this entry up or narrow the earlier one")
        if not chosen:
            continue  # a dtype-only entry when no feature column has that dtype
        found = sorted({kinds[c] for c in chosen})
        if len(found) > 1:
            mixed = ", ".join(f"{k} ({', '.join(c for c in chosen if kinds[c] == k)})" for k in found)
            raise _error(recipe, f"{field}.columns", f"selects {mixed} columns; an entry's steps apply to one kind: add dtype or split it")
        group = ColumnGroup(i, spec, chosen, found[0])
        _check_steps(recipe, group)
        groups.append(group)
        free = [c for c in free if c not in chosen]
    return groups, [c for c in free if kinds[c] == "numeric"], [c for c in free if kinds[c] == "categorical"]


def _check_steps(recipe: ModelRecipe, group: ColumnGroup) -> None:
    encoded = False
    for j, step in enumerate(group.spec.steps):
        field = f"{group.field}.steps[{j}]"
        if group.kind == "categorical" and not encoded:
            if step.op in NUMERIC_ONLY:
                raise _error(recipe, field, f"{step.op} applies to numbers and {', '.join(group.columns)} are categorical; encode them first")
            if step.op == "impute" and step.strategy in ("mean", "median"):
                raise _error(recipe, f"{field}.strategy", f"{step.strategy} needs numbers; use most_frequent or constant for categorical columns")
        if step.op == "encode":
            encoded = True
            if step.method == "native" and group.kind == "numeric":
                raise _error(recipe, f"{field}.method", "native is for categorical columns; these are numeric")
            if step.method == "native" and not takes_native(recipe):
                raise _error(recipe, f"{field}.method", "'native' needs a CatBoost, XGBoost or LightGBM model; use onehot, ordinal or target")
    if group.kind == "categorical" and not encoded:
        raise _error(recipe, f"{group.field}.steps", f"{', '.join(group.columns)} are categorical and are never encoded; add an encode step")


def is_catboost(recipe: ModelRecipe) -> bool:
    return recipe.model.class_path.startswith("catboost.")


def takes_native(recipe: ModelRecipe) -> bool:
    """Whether the model handles categories itself (CatBoost, XGBoost, LightGBM), so `encode: native` applies."""
    return estimator_kind(recipe.model.class_path) in NATIVE_CATEGORICAL


def native_columns(recipe: ModelRecipe, numeric: list[str], categorical: list[str], *, strict: bool = True) -> list[str]:
    """The columns the model takes as categories itself: CatBoost's `cat_features`, XGBoost's and LightGBM's category columns."""
    groups, _, left = plan_columns(recipe, numeric, categorical, strict=strict)
    native = [c for g in groups for c in g.columns if any(s.op == "encode" and s.method == "native" for s in g.spec.steps)]
    if recipe.preprocessing.categorical.encode == "native" and left:
        if not takes_native(recipe):
            raise _error(recipe, "preprocessing.categorical.encode", "'native' needs a CatBoost, XGBoost or LightGBM model; use onehot or ordinal")
        native += left
    return native


def check_preprocessing(recipe: ModelRecipe, numeric: list[str], categorical: list[str]) -> None:
    """Raise the ValueError a trial would, before any trial runs (every trial would fail the same way).
    Pass every feature column: the all-NULL ones a trial leaves out must still be named correctly."""
    native_columns(recipe, numeric, categorical)


def _native_encoding(recipe: ModelRecipe):
    """What `encode: native` does to filled-in text: nothing for CatBoost, category codes for XGBoost and LightGBM."""
    if is_catboost(recipe):
        return None
    return Pipeline([
        ("ordinal", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)),
        ("as_category", FunctionTransformer(as_category_dtype, feature_names_out="one-to-one")),
    ])


def _step(recipe: ModelRecipe, step, kind: str):
    if step.op == "impute":
        fill = step.fill_value if step.fill_value is not None else (MISSING_CATEGORY if kind == "categorical" else 0)
        extra = {"fill_value": fill} if step.strategy == "constant" else {}
        return SimpleImputer(strategy=step.strategy, **extra)  # add_indicator: a separate part, see build_preprocessor
    if step.op == "scale":
        return SCALERS[step.method]()
    if step.op == "encode":
        if step.method == "onehot":
            return OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        if step.method == "ordinal":
            return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
        if step.method == "target":
            return TargetEncoder(smooth=step.smooth, cv=step.cv)
        fill = SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)  # native: CatBoost refuses missing categories
        encoding = _native_encoding(recipe)
        return fill if encoding is None else Pipeline([("impute", fill), *encoding.steps])
    if step.op == "bins":
        return KBinsDiscretizer(n_bins=step.n_bins, strategy=step.strategy, encode="onehot-dense" if step.encode == "onehot" else "ordinal",
                                random_state=recipe.split.seed)
    if step.op == "polynomial":
        return PolynomialFeatures(degree=step.degree, interaction_only=step.interaction_only, include_bias=False)
    if step.op == "log":
        return FunctionTransformer(signed_log1p, feature_names_out="one-to-one")
    return QuantileClipper(lower=step.lower, upper=step.upper, lower_quantile=step.lower_quantile, upper_quantile=step.upper_quantile)


def _group_steps(recipe: ModelRecipe, group: ColumnGroup) -> list:
    steps = [("as_text", FunctionTransformer(as_categories, feature_names_out="one-to-one"))] if group.kind == "categorical" else []
    return steps + [(f"{j}_{step.op}", _step(recipe, step, group.kind)) for j, step in enumerate(group.spec.steps)]


def _numeric_steps(recipe: ModelRecipe) -> list:
    spec = recipe.preprocessing.numeric
    steps = []
    if spec.impute != "none":
        steps.append(("impute", SimpleImputer(**_NUMERIC_IMPUTE[spec.impute])))
    if spec.scale != "none":
        steps.append(("scale", SCALERS[spec.scale]()))
    return steps or [("keep", "passthrough")]


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
    elif spec.encode == "native" and takes_native(recipe) and not is_catboost(recipe):
        steps.extend(_native_encoding(recipe).steps)
    return steps


def build_preprocessor(recipe: ModelRecipe, numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Unfitted: one pipeline per `preprocessing.columns` entry, then the shorthand for the columns left.
    `numeric` and `categorical` are the model columns (all-NULL ones left out), hence `strict=False`."""
    groups, numeric_left, categorical_left = plan_columns(recipe, numeric, categorical, strict=False)
    parts = [(f"columns_{g.index}", Pipeline(_group_steps(recipe, g)), g.columns) for g in groups]
    for g in groups:  # indicators read the raw columns beside the group, so later steps never bin or scale them
        if any(s.op == "impute" and s.add_indicator for s in g.spec.steps):
            text = [("as_text", FunctionTransformer(as_categories, feature_names_out="one-to-one"))] if g.kind == "categorical" else []
            parts.append((f"columns_{g.index}_missing", Pipeline([*text, ("indicate", MissingIndicator(error_on_new=False))]), g.columns))
    if numeric_left:
        parts.append(("numeric", Pipeline(_numeric_steps(recipe)), numeric_left))
    if categorical_left:
        parts.append(("categorical", Pipeline(_categorical_steps(recipe)), categorical_left))
    # names stay the raw column names, so CatBoost finds its cat_features by name
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False).set_output(transform="pandas")
