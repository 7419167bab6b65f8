"""A column NULL in every row a model is fitted on (a column just added to a source) is left out of
every fit the same way, with a warning naming it, for numeric and categorical columns, CatBoost-native
and one-hot alike; it used to make every trial fail ("'shade' is not in list")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mmp_assets.training.budget import Budget
from mmp_assets.training.final import fit_final
from mmp_assets.training.objective import search_data
from mmp_assets.training.search import run_search
from mmp_assets.training.tuning import _empty_column_warnings
from tests.training.toys import make_recipe, make_training_set

BUDGET = Budget(n_trials=2, n_trials_from="test", timeout_s=None, timeout_from=None, n_jobs=1, n_jobs_from="test")
FOREST = {"class_path": "sklearn.ensemble.RandomForestClassifier", "params": {"n_estimators": 5, "random_state": 0},
          "search_space": {"max_depth": {"type": "int", "low": 2, "high": 4}}}


def with_new_columns(n: int = 200):
    """`x3` (numeric) and `shade` (categorical) were added lately: only the newest rows (test) have values."""
    ts = make_training_set(n)
    frame = ts.frame.assign(x3=np.nan, shade=None)
    frame.loc[frame.index[-30:], ["x3", "shade"]] = [1.0, "dark"]
    return dataclasses.replace(ts, frame=frame, feature_columns=[*ts.feature_columns, "x3", "shade"],
                               categorical_columns=[*ts.categorical_columns, "shade"])


@pytest.mark.parametrize("recipe", [
    make_recipe(tuning={"n_trials": 2, "metric": "roc_auc", "pruner": "none", "seed": 3}),
    make_recipe(tuning={"n_trials": 2, "metric": "roc_auc", "pruner": "none", "seed": 3, "cv_folds": 3}),
    make_recipe(model=FOREST, preprocessing={"categorical": {"impute": "most_frequent", "encode": "onehot"}}),
    # per-column steps: the x3 entry and the shade entry select only all-NULL columns; `x*` then takes x1, x2 only
    make_recipe(model=FOREST, preprocessing={"columns": [
        {"columns": "x3", "steps": [{"op": "impute", "strategy": "mean", "add_indicator": True}, {"op": "scale"}]},
        {"columns": "x*", "steps": [{"op": "impute", "strategy": "median"}, {"op": "bins", "n_bins": 3}]},
        {"columns": "shade", "steps": [{"op": "impute", "strategy": "constant"}, {"op": "encode", "method": "target"}]},
        {"dtype": "categorical", "steps": [{"op": "encode", "method": "onehot"}]},
    ]}),
    make_recipe(model={"class_path": "xgboost.XGBClassifier", "params": {"n_estimators": 5, "n_jobs": 1}, "search_space": {}},
                preprocessing={"columns": [{"dtype": "categorical", "steps": [{"op": "encode", "method": "native"}]}]}),
], ids=["catboost_native", "catboost_native_cv", "forest_onehot", "forest_column_steps", "xgboost_native_step"])
def test_an_all_null_column_is_left_out_of_every_fit_and_named(recipe):
    ts = with_new_columns()
    assert search_data(recipe, ts).empty == ["x3", "shade"]
    result = run_search(recipe, ts, BUDGET, None)
    assert result.counts["complete"] == 2
    model = fit_final(recipe, ts, result.best_params, result.threshold)
    assert model.predict_proba(ts.X("test")).shape == (len(ts.X("test")), 2)  # scoring rows still carry the columns
    assert _empty_column_warnings(recipe, ts) == [
        f"feature column {c!r} is NULL in every training row (or every row of a tuning fold); the model leaves it out "
        "until it has values there" for c in ("x3", "shade")]
