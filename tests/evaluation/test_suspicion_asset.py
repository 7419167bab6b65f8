"""The suspicion check on a real evaluation: a feature that is the label in disguise is named in a recorded
WARN check and a logged warning; the run still succeeds (the check never blocks)."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest
import yaml

from mmp_assets import keys
from mmp_assets.evaluation.assets import SUSPICION_CHECK, build_evaluation_assets
from mmp_assets.feature_store.assets import build_feature_store_assets, build_training_set_assets
from mmp_assets.recipes import load_recipes
from mmp_assets.training.assets import build_model_assets
from mmp_resources import load_config
from mmp_resources.resources import build_resources
from tests.evaluation.test_assets import RECIPE, toy_project  # noqa: F401  (the fixture)


@pytest.mark.slow
def test_a_feature_that_is_the_label_in_disguise_is_named_and_nothing_is_blocked(toy_project):  # noqa: F811
    events = pd.read_parquet(toy_project / "data" / "events.parquet")
    events["refund"] = events["label"] * 3.0 + 1  # known only after the fact
    events.to_parquet(toy_project / "data" / "events.parquet")
    recipe = {**RECIPE, "evaluation": {**RECIPE["evaluation"], "gate": {}, "backtest": None},
              "spine": {**RECIPE["spine"], "columns": [*RECIPE["spine"]["columns"], "refund"]}}
    recipe.pop("monitoring")
    (toy_project / "recipes" / "toy.yaml").write_text(yaml.safe_dump(recipe))
    recipes = load_recipes(toy_project)
    assert not recipes.problems, recipes.problems
    config, toy = load_config(toy_project), recipes.models["toy"]
    assets = [*build_feature_store_assets(recipes, config, toy_project), *build_training_set_assets(toy, recipes, config, toy_project),
              *build_model_assets(toy, recipes, config, toy_project), *build_evaluation_assets(toy, recipes, config, toy_project)]
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, resources=build_resources(config, toy_project), instance=instance, raise_on_error=False,
                                selection=dg.AssetSelection.assets(*[a.key for a in assets if a.key != keys.recipe_key("toy", "predictions")]))
        warned = [r.user_message for r in instance.all_logs(result.run_id) if r.level == 30 and not r.is_dagster_event
                  and r.step_key == "toy__evaluation"]
    assert result.success  # never blocks
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == SUSPICION_CHECK)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.description.startswith("toy v1: suspicious: feature 'refund' (AUC 1.000) alone all but determines 'label' on the "
                                        "training rows")
    assert check.description.endswith(": a feature that determines the label is usually the label in disguise (leakage); look "
                                      "before promoting")
    assert warned == [check.description]
    assert check.metadata["associations"].value["refund"] == {"AUC": 1.0}
