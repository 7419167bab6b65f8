"""The per-trial pipeline: recipe preprocessing + estimator, CatBoost native categories, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from tests.training.toys import make_recipe, make_training_set

from mmp_assets.training.pipeline import base_estimator, build_pipeline


@pytest.mark.parametrize("encode", ["native", "onehot", "ordinal"])
def test_each_encoding_fits_raw_rows_with_missing_values(encode):
    ts = make_training_set(n=200)
    ts.frame.loc[ts.frame.index[:5], "colour"] = None  # DuckDB hands NULL strings over as None
    recipe = make_recipe(preprocessing={"categorical": {"impute": "constant", "encode": encode}})
    pipe = build_pipeline(recipe, {"depth": 2}, ts.numeric_columns, ts.categorical_columns)
    pipe.fit(ts.X("train"), ts.y("train"))
    proba = pipe.predict_proba(ts.X("test"))
    assert proba.shape == (len(ts.X("test")), 2) and np.isfinite(proba).all()
    native = base_estimator(pipe).get_params().get("cat_features")
    assert native == (["colour"] if encode == "native" else None)


def test_native_encoding_needs_a_boosting_library():
    recipe = make_recipe(
        model={"class_path": "sklearn.linear_model.LogisticRegression", "params": {}, "search_space": {}},
    )
    with pytest.raises(ValueError, match="preprocessing.categorical.encode: 'native' needs a CatBoost, XGBoost or LightGBM model; use onehot or ordinal"):
        build_pipeline(recipe, {}, ["x1"], ["colour"])


@pytest.mark.parametrize("class_path", ["xgboost.XGBClassifier", "lightgbm.LGBMClassifier"])
def test_xgboost_and_lightgbm_take_categories_natively_and_survive_unseen_ones(class_path):
    ts = make_training_set()
    recipe = make_recipe(model={"class_path": class_path, "params": {"n_estimators": 10, "n_jobs": 1}, "search_space": {}})
    pipe = build_pipeline(recipe, {}, ts.numeric_columns, ts.categorical_columns).fit(ts.X("train"), ts.y("train"))
    assert str(pipe[:-1].transform(ts.X("test"))["colour"].dtype) == "category"
    rows = ts.X("test").head(3).assign(colour=["red", "purple", None])  # purple never seen in training: treated as missing
    proba = pipe.predict_proba(rows)
    assert proba.shape == (3, 2) and np.isfinite(proba).all()


def test_unknown_trial_parameter_names_the_recipe_field():
    recipe = make_recipe()
    with pytest.raises(ValueError, match=r"model.params: catboost.CatBoostClassifier has no parameter 'depht'"):
        build_pipeline(recipe, {"depht": 3}, ["x1"], ["colour"])


def test_unimportable_class_names_the_recipe_field():
    recipe = make_recipe(model={"class_path": "sklearn.ensemble.NoSuchForest", "params": {}, "search_space": {}})
    with pytest.raises(ValueError, match=r"recipe toy: model.class_path: cannot import 'sklearn.ensemble.NoSuchForest'"):
        build_pipeline(recipe, {}, ["x1"], [])


def test_scaling_and_onehot_for_sklearn_models():
    ts = make_training_set(n=200, task="regression")
    recipe = make_recipe(
        task="regression",
        preprocessing={"numeric": {"impute": "mean", "scale": "standard"}, "categorical": {"impute": "most_frequent", "encode": "onehot"}},
        model={"class_path": "sklearn.linear_model.Ridge", "params": {}, "search_space": {"alpha": {"type": "float", "low": 0.1, "high": 10}}},
        tuning={"metric": "rmse"},
    )
    pipe = build_pipeline(recipe, {"alpha": 1.0}, ts.numeric_columns, ts.categorical_columns).fit(ts.X("train"), ts.y("train"))
    transformed = pipe[:-1].transform(ts.X("validation"))
    assert abs(transformed["x1"].mean()) < 0.5 and {"colour_red", "colour_blue"} <= set(transformed.columns)


@pytest.mark.parametrize("labels", [{0: "good", 1: "bad"}, {0: 1, 1: 3}])
def test_xgboost_classifier_answers_in_the_recipes_own_labels(labels):
    """XGBoost's classifier takes 0..k-1 only; mmp's subclass encodes text or any integers and answers in them."""
    ts = make_training_set(n=300)
    ts.frame["is_bad"] = ts.frame["is_bad"].map(labels)
    recipe = make_recipe(model={"class_path": "xgboost.XGBClassifier", "params": {"n_estimators": 5, "n_jobs": 1}, "search_space": {}})
    pipe = build_pipeline(recipe, {}, ts.numeric_columns, ts.categorical_columns).fit(ts.X("train"), ts.y("train"))
    assert list(pipe.classes_) == sorted(labels.values())
    assert set(pipe.predict(ts.X("test"))) <= set(labels.values()) and pipe.predict_proba(ts.X("test")).shape[1] == 2
