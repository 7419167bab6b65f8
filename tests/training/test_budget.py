"""Budgets: the recipe asks, the environment caps, the stricter limit wins and is named."""

from __future__ import annotations

from mmp_assets.training.budget import resolve_budget
from mmp_resources.settings import HpoConfig
from tests.training.toys import make_recipe


def test_environment_caps_win_when_stricter():
    recipe = make_recipe(tuning={"n_trials": 50, "timeout_s": 3600, "n_jobs": 4})
    budget = resolve_budget(recipe, HpoConfig(max_timeout_s=60, n_jobs=2, max_trials=10))
    assert (budget.n_trials, budget.n_trials_from) == (10, "hpo.max_trials")
    assert (budget.timeout_s, budget.timeout_from) == (60, "hpo.max_timeout_s")
    assert (budget.n_jobs, budget.n_jobs_from) == (2, "hpo.n_jobs")


def test_recipe_wins_when_stricter():
    recipe = make_recipe(tuning={"n_trials": 5, "timeout_s": 30, "n_jobs": 1})
    budget = resolve_budget(recipe, HpoConfig(max_timeout_s=900, n_jobs=4, max_trials=None))
    assert (budget.n_trials, budget.n_trials_from) == (5, "tuning.n_trials")
    assert (budget.timeout_s, budget.timeout_from) == (30, "tuning.timeout_s")
    assert (budget.n_jobs, budget.n_jobs_from) == (1, "tuning.n_jobs")


def test_recipe_without_timeout_gets_the_environment_cap():
    budget = resolve_budget(make_recipe(), HpoConfig(max_timeout_s=120))
    assert (budget.timeout_s, budget.timeout_from) == (120, "hpo.max_timeout_s")


def test_cli_trials_override_is_still_capped():
    budget = resolve_budget(make_recipe(), HpoConfig(max_trials=3), trials_override=20)
    assert (budget.n_trials, budget.n_trials_from) == (3, "hpo.max_trials")
    budget = resolve_budget(make_recipe(), HpoConfig(), trials_override=7)
    assert (budget.n_trials, budget.n_trials_from) == (7, "--trials")
