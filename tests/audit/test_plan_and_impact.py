"""`mmp plan` names why each asset is stale; `mmp lineage impact` lists what a change reaches."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml

from mmp_assets.audit.impact import impact, impact_text, resolve_key
from mmp_assets.audit.plan import plan
from mmp_assets.cli.plan import format_plan
from mmp_assets.recipes import load_recipes
from tests.automation.synthetic import feature_store_definitions, frames, materialize, write_source


def test_plan_says_build_then_nothing_then_why_each_asset_is_stale(tiny_project: Path) -> None:
    root = tiny_project
    defs = feature_store_definitions(root)
    with dg.instance_for_test() as instance:
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        assert {r.action for r in plan(defs, instance)} == {"build"}
        built = ["features/user_view", "features/merchant_view", "alpha/training_set", "beta/training_set", "gamma/training_set"]
        assert materialize(defs, instance, built).success
        assert {r.action for r in plan(defs, instance) if r.asset in built} == {"ok"}

        write_source(root, "profiles", frames()["profiles"].assign(p3=1.0))
        merchants = frames()["merchants"]
        write_source(root, "merchants", merchants.assign(m1=merchants["m1"] + 1))
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        recipe = yaml.safe_load((root / "recipes" / "gamma.yaml").read_text())
        recipe["split"]["test"] = 0.25
        (root / "recipes" / "gamma.yaml").write_text(yaml.safe_dump(recipe))
        rows = {r.asset: r for r in plan(feature_store_definitions(root), instance)}

    assert rows["features/user_view"].action == "rebuild"
    assert rows["features/user_view"].reasons[0].startswith("upstream sources/profiles: schema changed")
    assert rows["features/merchant_view"].reasons == ["upstream sources/merchants: content changed, same schema"]
    assert rows["alpha/training_set"].action == "follows"
    assert rows["gamma/training_set"].reasons[0].startswith("recipe section task, spine, features, split, forecast or uplift changed")
    assert "~ features/user_view" in format_plan(list(rows.values()))


def test_impact_of_a_source_lists_views_and_recipes_with_what_they_read(tiny_project: Path) -> None:
    defs = feature_store_definitions(tiny_project)
    graph, recipes = defs.resolve_asset_graph(), load_recipes(tiny_project)
    found = impact(graph, resolve_key(graph, "profiles"), recipes)
    assert found["views"] == ["features/user_view"]
    assert set(found["recipes"]) == {"alpha", "beta"}
    assert found["recipes"]["beta"]["reads"] == "via features/user_view (p1)"
    assert found["recipes"]["alpha"]["retrains"] == ["alpha/training_set", "alpha/model", "alpha/evaluation"]
    assert "alpha/drift" in found["recipes"]["alpha"]["also"]
    assert "recipe alpha (reads via features/user_view (all columns))" in impact_text(found)
    view = impact(graph, resolve_key(graph, "features/merchant_view"), recipes)
    assert set(view["recipes"]) == {"beta", "gamma"} and view["views"] == []
