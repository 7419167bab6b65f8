"""Bad uplift data and recipes get one line naming the file, the field, the value and what is allowed;
a refused training set is not published and the current version stays."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import yaml

from mmp_assets.factory import build_recipe_assets
from mmp_assets.feature_store import catalog
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config

from .conftest import example_module

RECIPE = "recipes/promo_uplift.yaml"


def _frame(rows: int = 800):
    return example_module().promo_frame(rows)


def _materialize(root: Path, instance, selection: str):
    recipes, config = load_recipes(root), load_config(root)
    recipes.raise_if_problems()
    assets = build_recipe_assets(recipes, config, root)
    return dg.materialize(assets, resources=build_resources(config, root), instance=instance, raise_on_error=False,
                          selection=selection), config


BAD_DATA = {
    "treatment not binary": (
        lambda f: f.assign(treated=np.where(f.index % 7 == 0, 2, f["treated"])),
        "uplift.treatment", "treatment column 'treated' must hold 0/1 or true/false in every row; it holds '0', '1', '2'"),
    "treatment NULL": (
        lambda f: f.assign(treated=f["treated"].astype("Float64").mask(f.index == 3)),
        "uplift.treatment", "treatment column 'treated' must hold 0/1 or true/false in every row; it holds NULL, '0.0', '1.0'"),
    "one arm empty": (
        lambda f: f.assign(treated=1),
        "uplift.min_arm_rows", "the train split has 400 treated and 0 control row(s); each arm needs at least 50 (uplift.min_arm_rows)"),
    "one arm too small": (
        lambda f: f.assign(treated=(f.index < 60).astype(int)),
        "uplift.min_arm_rows", "the train split has 31 treated and 371 control row(s); each arm needs at least 50 (uplift.min_arm_rows)"),
    "outcome not binary": (
        lambda f: f.assign(converted=f["converted"] * 3),
        "spine.label", "an uplift outcome must be 0/1 or true/false; 'converted' holds '0', '3'"),
    "outcome constant": (
        lambda f: f.assign(converted=0),
        "spine.label", "every train row has converted = 0; a classifier needs at least two classes"),
}


def test_bad_experiment_data_is_refused_and_the_current_version_stays(uplift_project: Path) -> None:
    with dg.instance_for_test() as instance:
        result, config = _materialize(uplift_project, instance, "promo_uplift/training_set")
        assert result.success
        for case, (change, field, reason) in BAD_DATA.items():
            change(_frame()).to_parquet(uplift_project / "data" / "promo.parquet", index=False)
            result, _ = _materialize(uplift_project, instance, "promo_uplift/training_set")
            assert not result.success, case
            failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data.description
            assert failure == (f"{RECIPE}: {field}: training set promo_uplift v2 not published, no model can be trained on it: "
                               f"{reason}; version 1 stays current"), case
            import duckdb

            with duckdb.connect(str(config.duckdb_path), read_only=True) as conn:
                assert catalog.current_version(conn, "training_set", "promo_uplift") == 1


def _edit(root: Path, change) -> None:
    path = root / RECIPE
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


BROKEN = {
    "treatment listed as a feature": (
        lambda d: d["spine"].update(columns=["tenure", "treated"], exclude=[]),
        "spine.columns[1]: 'treated' is uplift.treatment; the treatment is never a feature (the model predicts the effect of it); "
        "remove it from spine.columns"),
    "treatment is the label": (
        lambda d: d["uplift"].update(treatment="converted"),
        "uplift.treatment: 'converted' is the label (the outcome); name the column holding the arm"),
    "no uplift section": (
        lambda d: d.pop("uplift"),
        "uplift: task: uplift needs an uplift section naming the treatment column, such as uplift: {treatment: treated}"),
    "uplift section on a classifier": (
        lambda d: d.update(task="classification", tuning={**d["tuning"], "metric": "roc_auc"}, evaluation={}),
        "uplift: an uplift section needs task: uplift (task is classification); remove it or set task: uplift"),
    "unknown learner": (
        lambda d: d["uplift"].update(learner="r"),
        "uplift.learner: Input should be 's', 't' or 'x' (got 'r')"),
    "propensity out of range": (
        lambda d: d["uplift"].update(propensity=1.5),
        "uplift.propensity: Input should be less than 1 (got 1.5)"),
    "unknown uplift field": (
        lambda d: d["uplift"].update(treatment_column="treated"),
        "uplift.treatment_column: unknown field (value 'treated'); remove it or check its spelling"),
    "min_arm_rows zero": (
        lambda d: d["uplift"].update(min_arm_rows=0),
        "uplift.min_arm_rows: Input should be greater than or equal to 1 (got 0)"),
    "classification metric": (
        lambda d: d["tuning"].update(metric="roc_auc"),
        "tuning.metric: unknown uplift metric 'roc_auc'; allowed: qini, auuc, uplift_at_30"),
    "x-learner without a regressor twin": (
        lambda d: d["model"].update(class_path="sklearn.linear_model.LogisticRegression", params={}, search_space={}),
        "uplift.effect_model: the X-learner needs a regressor for the imputed effects and sklearn.linear_model.LogisticRegression "
        "has no Regressor twin; name one, such as sklearn.ensemble.RandomForestRegressor"),
    "target encoding": (
        lambda d: d["preprocessing"].update(columns=[{"columns": ["segment"], "steps": [{"op": "encode", "method": "target"}]}]),
        "preprocessing.columns[0].steps[0].method: 'target' encoding learns from the label, and an uplift model's target is "
        "outcome and treatment together; use onehot, ordinal or native"),
    "backtest": (
        lambda d: d["evaluation"].update(backtest={"windows": 3}),
        "evaluation.backtest: a backtest replays time windows, and this spine has no timestamp; remove backtest or give the spine a timestamp"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_uplift_recipe_is_one_line(uplift_project: Path, case: str) -> None:
    change, expected = BROKEN[case]
    _edit(uplift_project, change)
    problems = [str(p) for p in load_recipes(uplift_project).problems]
    assert problems and problems[0] == f"{RECIPE}: {expected}", problems


def test_a_regressor_as_the_outcome_model_is_one_line(uplift_project: Path) -> None:
    from mmp_assets.recipes.estimators import catalog_problems

    def change(d):
        d["model"].update(class_path="catboost.CatBoostRegressor", params={}, search_space={})
        d["uplift"]["learner"] = "t"

    _edit(uplift_project, change)
    recipe = load_recipes(uplift_project).models["promo_uplift"]
    assert [str(p) for p in catalog_problems(recipe, RECIPE)] == [
        f"{RECIPE}: model.class_path: catboost.CatBoostRegressor is a regression model but task is uplift; use catboost.CatBoostClassifier"]


def test_the_example_validates(uplift_project: Path) -> None:
    recipes = load_recipes(uplift_project)
    assert not recipes.problems
    recipe = recipes.models["promo_uplift"]
    assert recipe.split.strategy == "stratified" and recipe.uplift.learner == "x"


MISSING = {
    "outcome column missing": (
        lambda d: d["spine"].update(label="bought"), lambda f: f,
        "spine.label: column 'bought' is not in source 'promo'; its columns: customer_id, tenure, spend, visits, segment, "
        "treated, converted, true_effect"),
    "treatment column missing": (
        lambda d: d["uplift"].update(treatment="got_promo"), lambda f: f,
        "uplift.treatment: column 'got_promo' is not in source 'promo'; its columns: customer_id, tenure, spend, visits, "
        "segment, treated, converted, true_effect"),
    "outcome NULL everywhere": (
        lambda d: None, lambda f: f.assign(converted=None),
        "spine.label: training set promo_uplift v1 not published, no model can be trained on it: it has no labelled rows "
        "(800 spine row(s) have a NULL 'converted'); no version is current yet"),
    "a single row": (
        lambda d: None, lambda f: f.head(1),
        "spine.label: training set promo_uplift v1 not published, no model can be trained on it: every train row has "
        "converted = 0; a classifier needs at least two classes; no version is current yet"),
}


@pytest.mark.parametrize("case", sorted(MISSING))
def test_missing_outcome_or_treatment_is_one_line(uplift_project: Path, case: str) -> None:
    """Sources without a declared schema: found when the data is read, before anything is staged."""
    change_recipe, change_data, expected = MISSING[case]
    _edit(uplift_project, change_recipe)
    change_data(_frame()).to_parquet(uplift_project / "data" / "promo.parquet", index=False)
    with dg.instance_for_test() as instance:
        result, _ = _materialize(uplift_project, instance, "promo_uplift/training_set")
    assert not result.success
    assert result.get_step_failure_events()[0].step_failure_data.user_failure_data.description == f"{RECIPE}: {expected}"


def test_an_effect_model_that_does_not_import_is_one_line(uplift_project: Path) -> None:
    from mmp_assets.recipes.estimators import estimator_problems

    _edit(uplift_project, lambda d: d["uplift"].update(effect_model="sklearn.ensemble.RandomForestRegresor"))
    recipe = load_recipes(uplift_project).models["promo_uplift"]
    problems = [str(p) for p in estimator_problems(recipe, RECIPE)]
    assert len(problems) == 1 and problems[0].startswith(
        f"{RECIPE}: uplift.effect_model: cannot import 'sklearn.ensemble.RandomForestRegresor'")
