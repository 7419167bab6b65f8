"""End to end: materialize two recipes, add a column to one source, tick the automation, and see
only the recipe that reads it retrain, with a new model version whose audit is complete and verified."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from mmp_assets.audit.lineage import audit_model_version
from mmp_assets.automation.retrain import TRIGGER_TAG
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config
from tests.automation.synthetic import frames, materialize, project_definitions, write_source

RECIPES = ("alpha", "beta")  # gamma does not read profiles at all; the schema-change tests cover it


def _versions(client, name: str) -> list[int]:
    return sorted(int(v.version) for v in client.search_model_versions(f"name = '{name}'"))


@pytest.mark.slow
def test_a_schema_change_retrains_only_the_affected_recipe_and_its_audit_is_complete(tiny_project: Path) -> None:
    root = tiny_project
    defs = project_definitions(root)
    resources = build_resources(load_config(root), root)
    client = resources["mlflow"].client()
    schema_sensor = defs.resolve_sensor_def("schema_change_sensor")
    with dg.instance_for_test() as instance:
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        everything = ["features/user_view", "features/merchant_view"] + [f"{r}/{s}" for r in RECIPES for s in ("training_set", "model", "evaluation")]
        assert materialize(defs, instance, everything).success
        assert {r: _versions(client, r) for r in RECIPES} == {r: [1] for r in RECIPES}
        baseline = schema_sensor(dg.build_sensor_context(instance=instance, definitions=defs))
        conditions = dg.evaluate_automation_conditions(defs=defs, instance=instance)

        profiles = frames()["profiles"]
        # a new nullable column with values (an all-NULL one breaks the evaluation's Evidently drift section)
        write_source(root, "profiles", profiles.assign(p3=profiles["p1"].where(profiles.index % 5 != 0)))
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        tick = schema_sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=baseline.cursor))
        refreshed = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=conditions.cursor)
        assert [r.tags["mmp/recipe"] for r in tick.run_requests] == ["alpha"]
        assert refreshed.get_num_requested(dg.AssetKey(["features", "user_view"])) == 1
        request = tick.run_requests[0]
        run = materialize(defs, instance, [k.to_user_string() for k in request.asset_selection], tags=request.tags)
        assert run.success

        assert {r: _versions(client, r) for r in RECIPES} == {"alpha": [1, 2], "beta": [1]}
        report = audit_model_version("alpha", 2, feature_store=resources["feature_store"], mlflow=resources["mlflow"],
                                     instance=instance, recipes=load_recipes(root))
    assert report.verified, report.problems()
    assert report.training_set["version"] == 2 and [(v["name"], v["version"]) for v in report.views] == [("user_view", 2)]
    assert "p3" in report.views[0]["columns"]
    model_run = next(r for r in report.dagster_runs if r["role"] == "model")
    assert model_run["trigger"] == request.tags[TRIGGER_TAG] == "schema_change:sources/profiles"
    assert report.evaluation["gate"] == "passed"
    assert next(r for r in report.dagster_runs if r["role"] == "evaluation")["trigger"] == "schema_change:sources/profiles"
