"""The shipped model: refit, threshold, calibration, and the pyfunc's output frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import FixedThresholdClassifier

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.training.final import fit_final
from mmp_assets.training.pipeline import base_estimator
from mmp_assets.training.pyfunc import PipelineModel
from tests.training.toys import make_recipe, make_training_set


def test_binary_model_without_a_given_threshold_chooses_one_on_validation():
    ts = make_training_set(positive_rate=0.06)
    pipe = fit_final(make_recipe(), ts, {"depth": 3})  # the backtest path: no trial threshold
    cut = pipe[-1].threshold
    assert isinstance(pipe[-1], FixedThresholdClassifier) and 0 < cut < 0.5
    X = ts.X("test")
    np.testing.assert_array_equal(pipe.predict(X), (pipe.predict_proba(X)[:, 1] >= cut).astype(int))
    assert type(base_estimator(pipe)).__name__ == "CatBoostClassifier"


def test_calibrated_model_is_calibrated_on_validation_rows():
    ts = make_training_set()
    pipe = fit_final(make_recipe(model={"calibration": "isotonic"}), ts, {"depth": 3}, threshold=0.5)
    calibrated = pipe[-1].estimator.estimator
    assert isinstance(calibrated, CalibratedClassifierCV) and calibrated.method == "isotonic"
    # isotonic regression maps scores onto steps learnt from the validation rows
    assert len(np.unique(pipe.predict_proba(ts.X("test"))[:, 1])) <= len(ts.part("validation"))
    assert base_estimator(pipe).tree_count_ == make_recipe().model.params["iterations"]


def test_multiclass_pyfunc_returns_one_probability_column_per_class():
    ts = make_training_set(n=450)
    frame = ts.frame.assign(is_bad=pd.cut(ts.frame["x1"], [-np.inf, -0.5, 0.5, np.inf], labels=["low", "mid", "high"]).astype(str))
    multi = TrainingSet(**{**ts.__dict__, "frame": frame})
    pipe = fit_final(make_recipe(tuning={"metric": "f1_macro"}), multi, {"depth": 3})
    out = PipelineModel(pipe, multi.feature_columns, "classification").predict(None, multi.X("test"))
    assert list(out.columns) == ["prediction", "proba_high", "proba_low", "proba_mid"]
    np.testing.assert_allclose(out.filter(like="proba_").sum(axis=1), 1.0)
    assert set(out["prediction"]) <= {"low", "mid", "high"}


def test_regression_pyfunc_returns_predictions_only():
    ts = make_training_set(n=300, task="regression")
    recipe = make_recipe(task="regression", preprocessing={"categorical": {"encode": "onehot"}},
                         model={"class_path": "sklearn.linear_model.Ridge", "params": {}, "search_space": {}}, tuning={"metric": "rmse"})
    pipe = fit_final(recipe, ts, {})
    out = PipelineModel(pipe, ts.feature_columns, "regression").predict(None, ts.X("test"))
    assert list(out.columns) == ["prediction"] and len(out) == len(ts.X("test"))
    np.testing.assert_allclose(out["prediction"], pipe.predict(ts.X("test")))  # one-hot blocks, applied directly


def test_the_serving_fast_path_answers_like_the_pyfunc_on_nulls_and_unseen_categories():
    ts = make_training_set(n=300)
    model = PipelineModel(fit_final(make_recipe(), ts, {"depth": 3}), ts.feature_columns, "classification")
    X = ts.X("test").reset_index(drop=True)
    X.loc[0, :] = None  # an all-null row
    X.loc[1, "colour"] = "never-seen"
    X[X.select_dtypes("number").columns] = X.select_dtypes("number").astype("float64")
    fast = model.predict_frame(X)
    pd.testing.assert_frame_equal(pd.DataFrame(fast), model.predict(None, X))
    # against the fitted Pipeline itself, whose ColumnTransformer the fast path steps around
    np.testing.assert_array_equal(fast["probability"], model.pipeline.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(fast["prediction"], model.pipeline.predict(X))
