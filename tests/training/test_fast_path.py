"""The compiled one-row scorer answers exactly like the pyfunc and the fitted Pipeline, or declines (None)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmp_assets.training.fast_path import compile_scorer
from mmp_assets.training.final import fit_final
from mmp_assets.training.pyfunc import PipelineModel
from tests.training.toys import make_recipe, make_training_set

LOGISTIC = {"class_path": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500}, "search_space": {}}
PER_COLUMN = [
    {"columns": "x1", "steps": [{"op": "impute", "strategy": "mean"}, {"op": "log"},
                                {"op": "clip", "lower_quantile": 0.05, "upper_quantile": 0.9}, {"op": "scale", "method": "standard"}]},
    {"columns": "x2", "steps": [{"op": "impute", "strategy": "constant", "fill_value": 1.5}, {"op": "clip", "upper": 1.0},
                                {"op": "scale", "method": "minmax"}]},
    {"columns": "colour", "steps": [{"op": "impute", "strategy": "most_frequent"}, {"op": "encode", "method": "ordinal"}]},
]

# every step the fast path knows, each in at least one case: (model section, preprocessing section)
KNOWN = {
    "catboost native (the demo)": ({}, {}),
    "standard, onehot": (LOGISTIC, {"numeric": {"impute": "mean", "scale": "standard"}, "categorical": {"impute": "most_frequent", "encode": "onehot"}}),
    "minmax, ordinal": (LOGISTIC, {"numeric": {"impute": "zero", "scale": "minmax"}, "categorical": {"impute": "constant", "encode": "ordinal"}}),
    "robust, onehot with NULL a category": (LOGISTIC, {"numeric": {"impute": "median", "scale": "robust"}, "categorical": {"impute": "none", "encode": "onehot"}}),
    "ordinal with NULL a category": (LOGISTIC, {"categorical": {"impute": "none", "encode": "ordinal"}}),
    "per-column steps": (LOGISTIC, {"columns": PER_COLUMN}),
    "catboost, per-column numeric steps": ({}, {"columns": PER_COLUMN[:2]}),
}
# steps it leaves to the plain path
UNKNOWN = {
    "target encoding": {"columns": [{"columns": "colour", "steps": [{"op": "impute", "strategy": "constant"}, {"op": "encode", "method": "target"}]}]},
    "bins": {"categorical": {"encode": "onehot"}, "columns": [{"columns": "x1", "steps": [{"op": "impute", "strategy": "median"}, {"op": "bins", "n_bins": 3}]}]},
    "polynomial": {"categorical": {"encode": "onehot"}, "columns": [{"columns": "x*", "steps": [{"op": "impute", "strategy": "median"}, {"op": "polynomial", "degree": 2}]}]},
    "missing indicator": {"categorical": {"encode": "onehot"}, "columns": [{"columns": "x2", "steps": [{"op": "impute", "strategy": "median", "add_indicator": True}]}]},
    "xgboost native categories": {},
}
XGBOOST = {"class_path": "xgboost.XGBClassifier", "params": {"n_estimators": 5, "n_jobs": 1}, "search_space": {}}


def _rows(ts) -> pd.DataFrame:
    """Held-out rows plus the awkward ones: all NULL, an unseen category, values beyond the training range."""
    X = ts.X("test").reset_index(drop=True).astype({"x1": "float64", "x2": "float64"})
    X.loc[0, :] = None
    X.loc[1, "colour"] = "never-seen"
    X.loc[2, ["x1", "x2"]] = [-1e6, 1e6]
    X.loc[3, "x1"] = np.nan
    return X


def _columns(X: pd.DataFrame) -> dict[str, list]:
    """Rows as the server holds them: column → values, None for NULL."""
    return {c: [None if pd.isna(v) else v for v in X[c].tolist()] for c in X.columns}


INPUT_TYPES = {"x1": "double", "x2": "double", "colour": "string"}


@pytest.fixture(scope="module")
def training_set():
    return make_training_set(n=240)


def _same(found: dict, expected: pd.DataFrame) -> None:
    """Same columns and labels; probabilities equal to 1e-12 (a linear model's BLAS sums may differ in the last bit
    between a C- and an F-ordered array; CatBoost's agree exactly)."""
    assert list(found) == list(expected.columns)
    for name, values in found.items():
        if values.dtype.kind == "f":
            np.testing.assert_allclose(values, expected[name].to_numpy(), rtol=0, atol=1e-12)
        else:
            np.testing.assert_array_equal(values, expected[name].to_numpy())
            assert values.dtype == expected[name].dtype


def _check_identical(pipe, ts) -> None:
    model = PipelineModel(pipe, ts.feature_columns, "classification")
    scorer = compile_scorer(pipe, ts.feature_columns, "classification", INPUT_TYPES)
    assert scorer is not None
    X = _rows(ts)
    expected = model.predict(None, X)
    _same(scorer(_columns(X), len(X)), expected)
    for i in range(len(X)):  # one row per request, as served
        _same(scorer(_columns(X.iloc[[i]]), 1), expected.iloc[[i]].reset_index(drop=True))
    # against the fitted Pipeline itself, whose ColumnTransformer and threshold wrapper the scorer steps around
    _same(scorer(_columns(X), len(X)), pd.DataFrame({"prediction": pipe.predict(X), "probability": pipe.predict_proba(X)[:, 1]}))


@pytest.mark.parametrize("case", list(KNOWN))
def test_the_compiled_scorer_answers_like_the_pyfunc_and_the_pipeline(case, training_set):
    model, preprocessing = KNOWN[case]
    recipe = make_recipe(model=model, preprocessing=preprocessing) if model else make_recipe(preprocessing=preprocessing)
    _check_identical(fit_final(recipe, training_set, {"depth": 3} if not model else {}, threshold=0.37), training_set)


@pytest.mark.parametrize("case", list(UNKNOWN))
def test_steps_it_does_not_know_leave_the_plain_path(case, training_set):
    model = XGBOOST if case.startswith("xgboost") else LOGISTIC
    pipe = fit_final(make_recipe(model=model, preprocessing=UNKNOWN[case]), training_set, {}, threshold=0.5)
    assert compile_scorer(pipe, training_set.feature_columns, "classification", INPUT_TYPES) is None


def test_multiclass_and_regression_compile_and_match(training_set):
    ts = training_set
    frame = ts.frame.assign(is_bad=pd.cut(ts.frame["x1"], [-np.inf, -0.5, 0.5, np.inf], labels=["low", "mid", "high"]).astype(str))
    multi = type(ts)(**{**ts.__dict__, "frame": frame})
    pipe = fit_final(make_recipe(tuning={"metric": "f1_macro"}), multi, {"depth": 3})
    X = _rows(multi)
    scorer = compile_scorer(pipe, multi.feature_columns, "classification", INPUT_TYPES)
    _same(scorer(_columns(X), len(X)), PipelineModel(pipe, multi.feature_columns, "classification").predict(None, X))

    reg = make_training_set(n=240, task="regression")
    recipe = make_recipe(task="regression", preprocessing={"categorical": {"encode": "onehot"}}, model=LOGISTIC | {"class_path": "sklearn.linear_model.Ridge", "params": {}},
                         tuning={"metric": "rmse"})
    pipe = fit_final(recipe, reg, {})
    X = _rows(reg)
    scorer = compile_scorer(pipe, reg.feature_columns, "regression", INPUT_TYPES)
    _same(scorer(_columns(X), len(X)), PipelineModel(pipe, reg.feature_columns, "regression").predict(None, X))


def test_a_column_typed_otherwise_than_the_pipeline_expects_leaves_the_plain_path(training_set):
    pipe = fit_final(make_recipe(), training_set, {"depth": 2}, threshold=0.5)
    assert compile_scorer(pipe, training_set.feature_columns, "classification", {**INPUT_TYPES, "x1": "long"}) is None
    assert compile_scorer(pipe, training_set.feature_columns, "uplift", INPUT_TYPES) is None
    assert compile_scorer(pipe, ["x1", "x2"], "classification", INPUT_TYPES) is None  # a pipeline column the pyfunc does not take
