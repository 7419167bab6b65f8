"""A source's schema change retrains exactly the recipes that read a changed column; nothing else moves."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from mmp_assets.automation.retrain import TRIGGER_TAG
from tests.automation.synthetic import build_project, feature_store_definitions, frames, write_source

USER_VIEW = dg.AssetKey(["features", "user_view"])
MERCHANT_VIEW = dg.AssetKey(["features", "merchant_view"])


class Automation:
    """The definitions, one instance, and the cursors of both automation mechanisms between ticks."""

    def __init__(self, root: Path, instance: dg.DagsterInstance):
        self.root, self.instance = root, instance
        self.defs = feature_store_definitions(root)
        self.sensor = self.defs.resolve_sensor_def("schema_change_sensor")
        self.sensor_cursor, self.condition_cursor = None, None

    def observe(self) -> None:
        assert self.defs.resolve_job_def("observe_sources").execute_in_process(instance=self.instance).success

    def tick(self) -> tuple[list[dg.RunRequest], set[dg.AssetKey]]:
        """(runs the schema sensor requests, assets the declarative conditions request) on one tick."""
        context = dg.build_sensor_context(instance=self.instance, definitions=self.defs, cursor=self.sensor_cursor)
        result = self.sensor(context)
        self.sensor_cursor = result.cursor
        evaluated = dg.evaluate_automation_conditions(defs=self.defs, instance=self.instance, cursor=self.condition_cursor)
        self.condition_cursor = evaluated.cursor
        graph = self.defs.resolve_asset_graph()
        return list(result.run_requests or []), {k for k in graph.get_all_asset_keys() if evaluated.get_num_requested(k)}


def _by_recipe(requests: list[dg.RunRequest]) -> dict[str, dg.RunRequest]:
    return {r.tags["mmp/recipe"]: r for r in requests}


@pytest.fixture
def automation(tiny_project: Path):
    with dg.instance_for_test() as instance:
        auto = Automation(tiny_project, instance)
        auto.observe()
        assert auto.tick() == ([], set())  # the first observation is the baseline
        yield auto


def test_each_kind_of_source_change_moves_exactly_what_it_concerns(automation: Automation) -> None:
    root, original = automation.root, frames()

    automation.observe()
    assert automation.tick() == ([], set()), "an unchanged observation requests nothing"

    profiles = original["profiles"]
    write_source(root, "profiles", profiles.assign(p2=profiles["p2"] + 1))
    automation.observe()
    assert automation.tick() == ([], {USER_VIEW}), "new content refreshes the view and retrains no model"

    write_source(root, "merchants", original["merchants"].assign(unused=1))
    automation.observe()
    assert automation.tick() == ([], {MERCHANT_VIEW}), "a column the view's SQL does not select reaches no recipe"

    write_source(root, "profiles", profiles.assign(p3=float("nan")))
    automation.observe()
    requests, refreshed = automation.tick()
    runs = _by_recipe(requests)
    assert set(runs) == {"alpha"}, "beta reads only p1 of user_view; gamma does not read profiles"
    assert runs["alpha"].tags[TRIGGER_TAG] == "schema_change:sources/profiles"
    assert [k.to_user_string() for k in runs["alpha"].asset_selection] == [
        "features/user_view", "alpha/training_set", "alpha/model", "alpha/evaluation"]
    assert refreshed == {USER_VIEW}
    assert automation.tick() == ([], set()), "each observation is judged once"

    write_source(root, "profiles", profiles.astype({"p1": "string"}).assign(p3=float("nan")))
    automation.observe()
    assert set(_by_recipe(automation.tick()[0])) == {"alpha", "beta"}, "a retyped column retrains every recipe reading it"


def test_compatible_change_retrains_a_recipe_that_asks_for_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_project(tmp_path / "p", beta_retrains_on_compatible=True)
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    with dg.instance_for_test() as instance:
        auto = Automation(root, instance)
        auto.observe()
        auto.tick()
        write_source(root, "profiles", frames()["profiles"].assign(p3=float("nan")))
        auto.observe()
        runs = _by_recipe(auto.tick()[0])
    assert set(runs) == {"alpha", "beta"}
    assert json.loads(auto.sensor_cursor)["after"] > 0


def test_an_incompatible_change_stops_at_the_view_contract_with_its_message(tiny_project: Path) -> None:
    from tests.automation.synthetic import materialize, project_definitions

    root = tiny_project
    defs = project_definitions(root)
    sensor = defs.resolve_sensor_def("schema_change_sensor")
    with dg.instance_for_test() as instance:
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        assert materialize(defs, instance, ["features/user_view", "alpha/training_set"]).success
        baseline = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
        write_source(root, "profiles", frames()["profiles"].astype({"p1": "string"}))
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        request = _by_recipe(sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=baseline.cursor)).run_requests)["alpha"]
        run = materialize(defs, instance, [k.to_user_string() for k in request.asset_selection], tags=request.tags)
    checks = [e.event_specific_data for e in run.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert not run.success
    assert [(c.check_name, c.passed) for c in checks] == [("schema_contract", False)]
    assert "column 'p1' changed type from DOUBLE to VARCHAR" in checks[0].description
    assert not any(e.asset_key == dg.AssetKey(["alpha", "training_set"]) for e in run.get_asset_materialization_events() if e.asset_key)
