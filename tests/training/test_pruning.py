"""Pruning engages: bad trials stop mid-fit (boosting rounds), after a fold, or after a training subsample; a pruned
trial's value is the recipe's metric."""

from __future__ import annotations

import pytest
from optuna.trial import TrialState

from sklearn.metrics import log_loss

from mmp_assets.catalog.metrics import get_metric
from mmp_assets.training.budget import Budget
from mmp_assets.training.pipeline import build_pipeline
from mmp_assets.training.pruning import REPORTS_PER_FIT
from mmp_assets.training.scoring import score_outputs
from mmp_assets.training.search import run_search
from tests.training.toys import make_recipe, make_training_set

BUDGET = Budget(8, "tuning.n_trials", None, None, 1, "tuning.n_jobs")
# log_loss barely moves at learning_rate 0.0005, so those trials sit far above the median
HOPELESS = {"search_space": {"learning_rate": {"type": "categorical", "choices": [0.3, 0.0005]}}}


@pytest.mark.parametrize("pruner", ["median", "hyperband"])
def test_catboost_trials_with_a_hopeless_learning_rate_are_pruned_mid_fit(pruner):
    # seed 2 samples good trials first, so the pruner has a yardstick before a hopeless one runs
    recipe = make_recipe(model=HOPELESS, tuning={"n_trials": 8, "metric": "log_loss", "pruner": pruner, "seed": 2})
    result = run_search(recipe, make_training_set(), BUDGET, None)
    pruned = result.study.get_trials(states=(TrialState.PRUNED,))
    assert result.counts["pruned"] == len(pruned) >= 1
    assert {t.params["learning_rate"] for t in pruned} == {0.0005}
    rounds = recipe.model.params["iterations"]
    assert all(max(t.intermediate_values) < rounds - 1 for t in pruned)  # stopped before the last round


def test_cv_folds_prune_any_estimator_after_a_fold():
    recipe = make_recipe(
        preprocessing={"categorical": {"encode": "onehot"}},
        model={
            "class_path": "sklearn.linear_model.LogisticRegression",
            "params": {"max_iter": 200},
            "search_space": {"C": {"type": "categorical", "choices": [1.0, 0.000001]}},
        },
        tuning={"n_trials": 8, "metric": "log_loss", "pruner": "median", "cv_folds": 3, "seed": 2},
    )
    result = run_search(recipe, make_training_set(), BUDGET, None)
    pruned = result.study.get_trials(states=(TrialState.PRUNED,))
    assert len(pruned) >= 1 and {t.params["C"] for t in pruned} == {0.000001}
    assert all(len(t.intermediate_values) < 3 for t in pruned)


def test_no_pruner_prunes_nothing():
    recipe = make_recipe(model=HOPELESS, tuning={"n_trials": 4, "metric": "log_loss", "pruner": "none", "seed": 2})
    result = run_search(recipe, make_training_set(n=300), Budget(4, "tuning.n_trials", None, None, 1, "tuning.n_jobs"), None)
    assert result.counts == {"complete": 4, "pruned": 0, "failed": 0}


BOOSTERS = {
    "xgboost.XGBClassifier": {"n_estimators": 40, "max_depth": 3, "n_jobs": 1, "random_state": 0},
    "lightgbm.LGBMClassifier": {"n_estimators": 40, "num_leaves": 7, "n_jobs": 1, "random_state": 0, "verbose": -1},
}


def _booster_recipe(class_path: str, metric: str = "log_loss", pruner: str = "median"):
    return make_recipe(
        model={"class_path": class_path, "params": BOOSTERS[class_path], "search_space": HOPELESS["search_space"]},
        tuning={"n_trials": 8, "metric": metric, "pruner": pruner, "seed": 2},
    )


@pytest.mark.parametrize(("class_path", "n_pruned"), [("xgboost.XGBClassifier", 2), ("lightgbm.LGBMClassifier", 2)])
def test_xgboost_and_lightgbm_trials_are_pruned_mid_fit_on_the_recipe_metric(class_path, n_pruned):
    """Native categories (encode: native in the toy recipe), per-round reports, the hopeless trials stopped."""
    recipe, training_set = _booster_recipe(class_path), make_training_set()
    result = run_search(recipe, training_set, BUDGET, None)
    pruned = result.study.get_trials(states=(TrialState.PRUNED,))
    assert result.counts == {"complete": 8 - n_pruned, "pruned": n_pruned, "failed": 0}  # seeded: the same every run
    assert {t.params["learning_rate"] for t in pruned} == {0.0005}
    every = BOOSTERS[class_path]["n_estimators"] // REPORTS_PER_FIT
    trial = pruned[0]
    rounds = (trial.last_step + 1) * every
    assert rounds < BOOSTERS[class_path]["n_estimators"]
    # the stored value is the recipe's log loss of the model as it stood when stopped, computed independently
    pipe = build_pipeline(recipe, {**trial.params, "n_estimators": rounds}, training_set.numeric_columns, list(training_set.categorical_columns))
    pipe.fit(training_set.X("train"), training_set.y("train"))
    expected = log_loss(training_set.y("validation"), pipe.predict_proba(training_set.X("validation")))
    assert trial.value == pytest.approx(expected, rel=1e-5)


def test_a_pruned_catboost_trial_stores_the_recipe_metric_not_catboosts():
    """CatBoost reports its AUC per round as a proxy for accuracy; the pruned trial's value is the accuracy."""
    recipe = make_recipe(model=HOPELESS, tuning={"n_trials": 8, "metric": "accuracy", "pruner": "median", "seed": 2})
    training_set = make_training_set()
    result = run_search(recipe, training_set, BUDGET, None)
    pruned = result.study.get_trials(states=(TrialState.PRUNED,))
    assert pruned
    trial = pruned[0]
    stopped_at = max(s for s in trial.intermediate_values if s < trial.last_step) * (recipe.model.params["iterations"] // REPORTS_PER_FIT)
    pipe = build_pipeline(recipe, {**trial.params, "iterations": stopped_at + 1}, training_set.numeric_columns, list(training_set.categorical_columns))
    pipe.fit(training_set.X("train"), training_set.y("train"))
    X_valid, y_valid = training_set.X("validation"), training_set.y("validation")
    expected = score_outputs(get_metric("accuracy", "classification"), "classification", pipe.classes_, y_valid, pipe.predict_proba(X_valid))
    assert trial.value == pytest.approx(expected)
    assert trial.value != pytest.approx(trial.intermediate_values[trial.last_step - 1])  # not the AUC it was judged on


def test_a_model_without_rounds_on_a_hold_out_split_is_pruned_on_a_training_subsample():
    recipe = make_recipe(
        preprocessing={"categorical": {"encode": "onehot"}},
        model={
            "class_path": "sklearn.linear_model.LogisticRegression",
            "params": {"max_iter": 200},
            "search_space": {"C": {"type": "categorical", "choices": [1.0, 0.000001]}},
        },
        tuning={"n_trials": 8, "metric": "log_loss", "pruner": "median", "seed": 2},
    )
    result = run_search(recipe, make_training_set(), BUDGET, None)
    pruned = result.study.get_trials(states=(TrialState.PRUNED,))
    complete = result.study.get_trials(states=(TrialState.COMPLETE,))
    assert len(pruned) >= 1 and {t.params["C"] for t in pruned} == {0.000001}
    assert {t.last_step for t in pruned} == {3}  # judged on a third of the fit rows
    assert all(set(t.intermediate_values) == {3, 9} and t.intermediate_values[9] == t.value for t in complete)
