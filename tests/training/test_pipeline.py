"""The per-trial pipeline: recipe preprocessing + estimator, CatBoost native categories, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from tests.training.toys import BASE_RECIPE, make_recipe, make_training_set

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


@pytest.mark.parametrize("class_path", ["xgboost.XGBClassifier", "lightgbm.LGBMClassifier", "catboost.CatBoostClassifier"])
def test_a_native_encode_step_gives_each_booster_its_own_categorical_input(class_path):
    """`encode: native` as a per-column step means what the shorthand means: text for CatBoost, categories for the others."""
    ts = make_training_set(n=200)
    params = {"n_estimators": 10, "n_jobs": 1} if not class_path.startswith("catboost") else BASE_RECIPE["model"]["params"]
    columns = [{"columns": "colour", "steps": [{"op": "impute", "strategy": "most_frequent"}, {"op": "encode", "method": "native"}]},
               {"columns": "x*", "steps": [{"op": "impute", "strategy": "median"}, {"op": "clip", "lower_quantile": 0.05, "upper_quantile": 0.95}]}]
    recipe = make_recipe(model={"class_path": class_path, "params": params, "search_space": {}},
                         preprocessing={"categorical": {"encode": "onehot"}, "columns": columns})
    pipe = build_pipeline(recipe, {}, ts.numeric_columns, ts.categorical_columns).fit(ts.X("train"), ts.y("train"))
    out = pipe[:-1].transform(ts.X("test"))
    model = base_estimator(pipe)
    if class_path.startswith("catboost"):
        assert model.get_params()["cat_features"] == ["colour"] and out["colour"].dtype == object
    else:
        assert str(out["colour"].dtype) == "category"
        assert model.get_params().get("enable_categorical") is (True if class_path.startswith("xgboost") else None)
    rows = ts.X("test").head(3).assign(colour=["red", "purple", None])  # purple never seen in training
    assert np.isfinite(pipe.predict_proba(rows)).all()


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


STEPS = [
    {"columns": ["x1"], "steps": [{"op": "clip", "lower_quantile": 0.05, "upper_quantile": 0.95}, {"op": "log"},
                                   {"op": "scale", "method": "robust"}]},
    {"columns": "x*", "steps": [{"op": "impute", "strategy": "mean", "add_indicator": True},
                                 {"op": "bins", "n_bins": 4, "encode": "onehot"}]},
    {"dtype": "categorical", "steps": [{"op": "impute", "strategy": "most_frequent"}, {"op": "encode", "method": "target"}]},
]


def _sklearn_recipe(task: str = "classification", **preprocessing):
    model = "sklearn.linear_model.LogisticRegression" if task == "classification" else "sklearn.linear_model.Ridge"
    return make_recipe(task=task, preprocessing=preprocessing, model={"class_path": model, "params": {}, "search_space": {}},
                       tuning={"metric": "roc_auc" if task == "classification" else "rmse"})


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_per_column_steps_fit_raw_rows_with_missing_values(task):
    ts = make_training_set(n=300, task=task)
    ts.frame.loc[ts.frame.index[:5], "colour"] = None
    pipe = build_pipeline(_sklearn_recipe(task, columns=STEPS), {}, ts.numeric_columns, ts.categorical_columns)
    pipe.fit(ts.X("train"), ts.y("train"))
    out = pipe[:-1].transform(ts.X("test"))
    # x1 by the first entry (one column), x2 by the glob (x1 is taken): indicator + 4 one-hot bins; colour target-encoded
    assert list(out.columns) == ["x1", "x2_0.0", "x2_1.0", "x2_2.0", "x2_3.0", "colour", "missingindicator_x2"]
    assert np.isfinite(out.astype(float).to_numpy()).all() and np.isfinite(pipe.predict(ts.X("test")).astype(float)).all()


def test_polynomial_terms_and_fixed_clip():
    ts = make_training_set(n=200)
    steps = [{"columns": ["x1", "x2"], "steps": [{"op": "impute", "strategy": "median"}, {"op": "clip", "lower": -1, "upper": 1},
                                                  {"op": "polynomial", "degree": 2, "interaction_only": True}]}]
    recipe = _sklearn_recipe(columns=steps, categorical={"encode": "onehot"})
    pipe = build_pipeline(recipe, {}, ts.numeric_columns, ts.categorical_columns).fit(ts.X("train"), ts.y("train"))
    out = pipe[:-1].transform(ts.X("test"))
    assert {"x1", "x2", "x1 x2"} <= set(out.columns) and out[["x1", "x2"]].abs().max().max() <= 1


def test_every_step_learns_from_the_rows_it_is_fitted_on_only():
    """The fitted state equals what the training rows alone give: nothing from validation or test."""
    from sklearn.preprocessing import TargetEncoder

    ts = make_training_set(n=400)
    pipe = build_pipeline(_sklearn_recipe(columns=STEPS), {}, ts.numeric_columns, ts.categorical_columns)
    train = ts.X("train")
    pipe.fit(train, ts.y("train"))
    groups = pipe.named_steps["preprocess"].named_transformers_
    clip = groups["columns_0"].named_steps["0_clip"]
    assert np.allclose([clip.lower_[0], clip.upper_[0]], np.nanquantile(train["x1"], [0.05, 0.95]))
    impute = groups["columns_1"].named_steps["0_impute"]
    assert np.isclose(impute.statistics_[0], train["x2"].mean())
    bins = groups["columns_1"].named_steps["1_bins"]
    assert np.allclose(bins.bin_edges_[0][[0, -1]], [train["x2"].min(), train["x2"].max()])
    target = groups["columns_2"].named_steps["1_encode"]
    filled = train["colour"].fillna(train["colour"].mode()[0]).to_frame()
    alone = TargetEncoder().fit(filled, ts.y("train"))
    assert np.allclose(target.encodings_[0], alone.encodings_[0]) and np.isclose(target.target_mean_, ts.y("train").mean())


def test_target_encoding_is_cross_fitted_on_the_training_rows():
    """A training row's encoding comes from the other folds, so a category seen once does not encode its own label."""
    ts = make_training_set(n=300)
    recipe = _sklearn_recipe(columns=[{"columns": "colour", "steps": [{"op": "impute", "strategy": "constant"}, {"op": "encode", "method": "target"}]}])
    prep = build_pipeline(recipe, {}, ts.numeric_columns, ts.categorical_columns)[:-1]
    train = ts.X("train")
    crossed = prep.fit_transform(train, ts.y("train"))["colour"]
    refit = prep.transform(train)["colour"]
    assert not np.allclose(crossed, refit)  # fit_transform (what the pipeline does in fit) used held-out folds


BAD_STEPS = {
    "glob matching nothing": ([{"columns": "amount_*", "steps": [{"op": "scale"}]}],
                              "recipe toy: preprocessing.columns[0].columns: 'amount_*' matches no feature column; feature columns: x1, x2, colour"),
    "mixed kinds": ([{"columns": ["x1", "colour"], "steps": [{"op": "impute", "strategy": "most_frequent"}]}],
                    "recipe toy: preprocessing.columns[0].columns: selects categorical (colour), numeric (x1) columns; an entry's steps "
                    "apply to one kind: add dtype or split it"),
    "number step on text": ([{"columns": "colour", "steps": [{"op": "scale"}]}],
                            "recipe toy: preprocessing.columns[0].steps[0]: scale applies to numbers and colour are categorical; encode them first"),
    "mean of text": ([{"columns": "colour", "steps": [{"op": "impute", "strategy": "mean"}, {"op": "encode", "method": "onehot"}]}],
                     "recipe toy: preprocessing.columns[0].steps[0].strategy: mean needs numbers; use most_frequent or constant for categorical columns"),
    "never encoded": ([{"columns": "colour", "steps": [{"op": "impute", "strategy": "constant"}]}],
                      "recipe toy: preprocessing.columns[0].steps: colour are categorical and are never encoded; add an encode step"),
    "entry whose columns an earlier one took": ([{"dtype": "numeric", "steps": [{"op": "scale"}]}, {"columns": "x1", "steps": [{"op": "log"}]}],
                                                "recipe toy: preprocessing.columns[1].columns: every column it selects (x1) is taken by an earlier "
                                                "entry; a column follows the first entry that selects it: move this entry up or narrow the earlier one"),
    "native without catboost": ([{"columns": "colour", "steps": [{"op": "encode", "method": "native"}]}],
                                "recipe toy: preprocessing.columns[0].steps[0].method: 'native' needs a CatBoost, XGBoost or LightGBM model; use onehot, ordinal or target"),
}


@pytest.mark.parametrize("case", sorted(BAD_STEPS))
def test_steps_that_cannot_apply_fail_before_any_trial_with_one_line(case):
    from tests.training.test_search import budget

    from mmp_assets.training.search import run_search

    columns, expected = BAD_STEPS[case]
    ts = make_training_set(n=100)
    with pytest.raises(ValueError) as error:
        run_search(_sklearn_recipe(columns=columns), ts, budget(2), None)
    assert str(error.value) == expected
