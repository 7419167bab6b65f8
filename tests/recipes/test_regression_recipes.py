"""model.target_transform and model.quantiles: each contradiction is one line naming file, field, value and what is allowed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mmp_assets.recipes import load_recipes
from mmp_resources.loader import read_yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "regression" / "recipes"
LOG1P, QUANTILE = "recipes/claim_cost.yaml", "recipes/delivery_time.yaml"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "recipes")
    return tmp_path


def _edit(root: Path, rel: str, **changes) -> None:
    """`model__quantiles=[...]`: nested keys joined by __; a value of None deletes the key."""
    path = root / rel
    data = read_yaml(path)
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _classification(rel: str) -> dict:
    """The recipe turned into a valid classifier, so the only problem left is the regression field."""
    extra = {} if rel == LOG1P else {"spine__columns": ["distance_km", "items", "zone"]}
    return {**extra, "task": "classification", "spine__label": "region" if rel == LOG1P else "rain", "tuning__metric": "accuracy",
            "evaluation__metrics": ["accuracy"], "evaluation__gate": {}, "evaluation__backtest": None,
            "model__class_path": "sklearn.ensemble.HistGradientBoostingClassifier", "model__search_space": {}, "model__params": {}}


CASES = {
    "unknown transform": (LOG1P, {"model__target_transform": "exp"},
                          "recipes/claim_cost.yaml: model.target_transform: Input should be 'none', 'log1p' or 'sqrt' (got 'exp')"),
    "transform on a classifier": (LOG1P, {**_classification(LOG1P), "model__target_transform": "log1p"},
                                  "recipes/claim_cost.yaml: model.target_transform: 'log1p' transforms a regression label, and task "
                                  "is classification; remove it"),
    "quantiles on a classifier": (QUANTILE, {**_classification(QUANTILE), "model__quantiles": [0.1, 0.9]},
                                  "recipes/delivery_time.yaml: model.quantiles: quantiles are predicted by regression models, and task "
                                  "is classification; remove it"),
    "levels out of order": (QUANTILE, {"model__quantiles": [0.9, 0.1]},
                            "recipes/delivery_time.yaml: model.quantiles: [0.9, 0.1] must be strictly ascending without repeats, "
                            "such as [0.1, 0.5, 0.9] (got [0.9, 0.1])"),
    "level outside (0, 1)": (QUANTILE, {"model__quantiles": [0.0, 0.5, 1.2]},
                             "recipes/delivery_time.yaml: model.quantiles: levels [0.0, 1.2] are not between 0.001 and 0.999 with "
                             "at most 3 decimals (got [0.0, 0.5, 1.2])"),
    "no level": (QUANTILE, {"model__quantiles": []},
                 "recipes/delivery_time.yaml: model.quantiles: name 1 to 9 quantile levels (one model is fitted per level), "
                 "such as [0.1, 0.5, 0.9] (got [])"),
    "estimator without quantiles": (QUANTILE, {"model__class_path": "sklearn.ensemble.RandomForestRegressor"},
                                    "recipes/delivery_time.yaml: model.class_path: sklearn.ensemble.RandomForestRegressor cannot fit "
                                    "quantiles; with model.quantiles use one of catboost.CatBoostRegressor, lightgbm.LGBMRegressor, "
                                    "xgboost.XGBRegressor, sklearn.ensemble.GradientBoostingRegressor, "
                                    "sklearn.ensemble.HistGradientBoostingRegressor, sklearn.linear_model.QuantileRegressor"),
    "quantile parameter fixed by hand": (QUANTILE, {"model__params__alpha": 0.3},
                                         "recipes/delivery_time.yaml: model.params.alpha: set by model.quantiles for each level "
                                         "(level 0.1: objective='quantile', alpha=0.1); remove it"),
    "quantile parameter tuned": (QUANTILE, {"model__search_space__objective": {"type": "categorical", "choices": ["l2"]}},
                                 "recipes/delivery_time.yaml: model.search_space.objective: set by model.quantiles for each level "
                                 "(level 0.1: objective='quantile', alpha=0.1); remove it"),
    "quantiles tuned on a point metric": (QUANTILE, {"tuning__metric": "mae"},
                                          "recipes/delivery_time.yaml: tuning.metric: 'mae' does not judge quantiles; with "
                                          "model.quantiles tune on pinball_loss"),
    "quantiles tuned on coverage": (QUANTILE, {"tuning__metric": "interval_coverage"},
                                    "recipes/delivery_time.yaml: tuning.metric: 'interval_coverage' is a report and gate figure (a "
                                    "wider interval always covers more); with model.quantiles tune on pinball_loss"),
    "pinball without quantiles": (LOG1P, {"evaluation__metrics": ["mae", "pinball_loss"]},
                                  "recipes/claim_cost.yaml: evaluation.metrics[1]: 'pinball_loss' scores quantile predictions; set "
                                  "model.quantiles, or pick a point metric (rmse, mae, r2, mape)"),
    "coverage gate with one level": (QUANTILE, {"model__quantiles": [0.9]},
                                     "recipes/delivery_time.yaml: evaluation.metrics[0]: 'interval_coverage' needs an interval, and "
                                     "model.quantiles has one level; name two or more levels or drop it"),
}


def test_the_examples_are_valid(root: Path) -> None:
    recipes = load_recipes(root)
    assert [str(p) for p in recipes.problems] == []
    assert recipes.models["claim_cost"].model.target_transform == "log1p"
    assert recipes.models["delivery_time"].model.quantiles == [0.1, 0.5, 0.9]


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_regression_recipe_gives_one_clear_line(root: Path, case: str) -> None:
    rel, changes, expected = CASES[case]
    _edit(root, rel, **changes)
    problems = [str(p) for p in load_recipes(root).problems]
    assert problems[0] == expected, f"\n got: {problems}\nwant: {expected}"
    if case != "coverage gate with one level":  # that one names the metric and the gate, two lines
        assert len(problems) == 1, problems


def test_list_tasks_names_the_quantile_estimators() -> None:
    from mmp_assets.cli.catalog import metrics, tasks

    shown = tasks()
    assert "model.target_transform: none, log1p, sqrt (labels >= 0)" in shown
    assert "model.quantiles (tune on pinball_loss): catboost.CatBoostRegressor, lightgbm.LGBMRegressor" in shown
    assert "    quantile metrics: pinball_loss (min), interval_coverage (max), interval_coverage_error (min)" in shown.splitlines()
    assert [line.split()[:4] for line in metrics().splitlines() if line.startswith("pinball_loss")] == [
        ["pinball_loss", "regression", "minimize", "quantiles"]]


def test_the_new_fields_leave_existing_recipes_code_versions_alone(root: Path) -> None:
    """A recipe that sets neither field keeps the code version it had before they existed (no retrain on upgrade)."""
    from mmp_assets.recipes.common import digest
    from mmp_assets.recipes.versions import model_code_version

    recipe = load_recipes(root).models["claim_cost"]
    plain = recipe.model_copy(update={"model": recipe.model.model_copy(update={"target_transform": "none"})})
    dumped = plain.model_dump(mode="json", by_alias=True)
    dumped["model"] = {k: v for k, v in dumped["model"].items() if k not in ("target_transform", "quantiles")}
    assert model_code_version(plain, "model") == digest("model", {s: dumped[s] for s in ("task", "preprocessing", "model", "tuning")})
    assert model_code_version(recipe, "model") != model_code_version(plain, "model")
