"""Pruning engages: bad trials stop mid-fit (CatBoost rounds) or after a fold (any estimator)."""

from __future__ import annotations

import pytest
from optuna.trial import TrialState

from mmp_assets.training.budget import Budget
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
