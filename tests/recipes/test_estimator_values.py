"""An estimator of the other task, or a parameter value the estimator refuses, is one line before tuning
(`mmp validate` and the model asset ask the same function), naming the field and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmp_assets.recipes import load_recipes
from mmp_assets.recipes.estimators import estimator_problems
from mmp_assets.recipes.model import FloatRange

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fraud():
    return load_recipes(REPO).models["fraud"]


def _with(recipe, **model):
    onehot = recipe.preprocessing.model_copy(update={"categorical": recipe.preprocessing.categorical.model_copy(update={"encode": "onehot"})})
    return recipe.model_copy(update={"model": recipe.model.model_copy(update=model), "preprocessing": onehot})


def _lines(recipe) -> list[str]:
    return [str(p) for p in estimator_problems(recipe, "recipes/fraud.yaml")]


def test_a_regressor_on_a_classification_task_is_one_line(fraud):
    recipe = _with(fraud, class_path="sklearn.ensemble.HistGradientBoostingRegressor", params={"max_iter": 20}, search_space={})
    assert _lines(recipe) == ["recipes/fraud.yaml: model.class_path: sklearn.ensemble.HistGradientBoostingRegressor is a regressor "
                              "but task is classification; name a classifier"]


def test_a_classifier_on_a_regression_task_is_one_line(fraud):
    recipe = _with(fraud, class_path="sklearn.linear_model.LogisticRegression", params={}, search_space={}).model_copy(update={"task": "regression"})
    assert _lines(recipe) == ["recipes/fraud.yaml: model.class_path: sklearn.linear_model.LogisticRegression is a classifier "
                              "but task is regression; name a regressor"]


def test_a_catboost_parameter_of_the_wrong_type_is_one_line(fraud):
    recipe = fraud.model_copy(update={"model": fraud.model.model_copy(update={"params": fraud.model.params | {"iterations": "many"}})})
    assert _lines(recipe) == ["recipes/fraud.yaml: model.params.iterations: 'many' is not a value CatBoostClassifier takes: "
                              "Can't parse parameter \"iterations\" with value: \"many\""]


def test_a_scikit_learn_parameter_of_the_wrong_type_is_one_line(fraud):
    recipe = _with(fraud, class_path="sklearn.ensemble.HistGradientBoostingClassifier", params={"max_iter": "x"},
                   search_space={"learning_rate": FloatRange(type="float", low=0.05, high=0.3)})
    assert _lines(recipe) == ["recipes/fraud.yaml: model.params.max_iter: 'x' is not a value HistGradientBoostingClassifier takes: "
                              "The 'max_iter' parameter of HistGradientBoostingClassifier must be an int in the range [1, inf). Got 'x' instead."]


def test_a_search_range_end_the_estimator_refuses_is_one_line(fraud):
    recipe = _with(fraud, class_path="sklearn.ensemble.HistGradientBoostingClassifier", params={"max_iter": 20},
                   search_space={"learning_rate": FloatRange(type="float", low=-0.5, high=0.3)})
    assert _lines(recipe) == ["recipes/fraud.yaml: model.search_space.learning_rate.low: -0.5 is not a value HistGradientBoostingClassifier "
                              "takes: The 'learning_rate' parameter of HistGradientBoostingClassifier must be a float in the range (0.0, inf). Got -0.5 instead."]


def test_the_shipped_recipes_have_no_value_problems(fraud):
    recipes = load_recipes(REPO)
    assert [str(p) for name in sorted(recipes.models) for p in estimator_problems(recipes.models[name], name)] == []
