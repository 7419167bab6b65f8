"""A trial scores the recipe's uplift metric on the validation rows (or CV folds) from the predicted uplift."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest

from mmp_assets.recipes import load_recipes
from mmp_assets.training.uplift_fit import build_uplift_pipeline, make_uplift_objective

from .test_awkward_data import _training_set
from .test_metrics import _direct
from .conftest import example_module


@pytest.fixture
def setup(uplift_project: Path):
    recipe = load_recipes(uplift_project).models["promo_uplift"]
    frame = example_module().promo_frame(600)
    return recipe, _training_set(frame, ["tenure", "spend", "visits"], ["segment"])


def test_trial_scores_qini_on_the_validation_rows(setup) -> None:
    recipe, ts = setup
    params = {"min_samples_leaf": 30, "max_depth": 4}
    value = make_uplift_objective(recipe, ts)(optuna.trial.FixedTrial(params))
    train, valid = ts.part("train"), ts.part("validation")
    pipe = build_uplift_pipeline(recipe, params, ["tenure", "spend", "visits"], ["segment"])
    pipe.fit(train[ts.feature_columns], train[["converted", "treated"]].to_numpy(float))
    uplift = pipe.predict(valid[ts.feature_columns])
    assert value == pytest.approx(_direct(valid["converted"].to_numpy(), valid["treated"].to_numpy(), uplift, "qini"))


def test_trial_with_cv_folds_averages_the_folds(setup) -> None:
    recipe, ts = setup
    recipe = recipe.model_copy(update={"tuning": recipe.tuning.model_copy(update={"cv_folds": 3, "metric": "auuc"})})
    value = make_uplift_objective(recipe, ts)(optuna.trial.FixedTrial({"min_samples_leaf": 30, "max_depth": 4}))
    assert np.isfinite(value) and -1 <= value <= 1
