"""Both prompt assets and the blocking gate, materialized on a real Dagster instance, offline."""

from __future__ import annotations

import socket

import dagster as dg
import pytest

from mmp_assets import keys
from mmp_assets.prompts import build_prompt_assets
from mmp_assets.prompts.governance import approve
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config


def _materialize(prompt_project, recipes, mlflow_resource, instance) -> dg.ExecuteInProcessResult:
    config = load_config(prompt_project)
    assets = [a for p in recipes.prompts.values() for a in build_prompt_assets(p, recipes, config, prompt_project)]
    return dg.materialize(assets, resources={"mlflow": mlflow_resource}, instance=instance, raise_on_error=False)


def _metadata(result, key) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.materialization.asset_key == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_demo_prompts_pass_and_fail_their_gate_without_network(prompt_project, recipes, mlflow_resource, registry,
                                                               audit, no_network, monkeypatch):
    with dg.instance_for_test() as instance:
        first = _materialize(prompt_project, recipes, mlflow_resource, instance)
        second = _materialize(prompt_project, recipes, mlflow_resource, instance)
    assert no_network == []

    checks = {e.asset_check_key.asset_key: e.passed for e in first.get_asset_check_evaluations()}
    assert checks == {keys.prompt_evaluation_key("support_reply"): True, keys.prompt_evaluation_key("support_reply_casual"): False}
    good = _metadata(first, keys.prompt_evaluation_key("support_reply"))
    bad = _metadata(first, keys.prompt_evaluation_key("support_reply_casual"))
    assert good["verdict"] == "passed" and good["pass_rate"] == 1.0
    assert bad["verdict"] == "failed" and bad["toxicity_max"] > 0.5 and bad["pii_cases"] == 2 and bad["groundedness_min"] == 0.0

    registered = _metadata(first, keys.prompt_key("support_reply"))
    assert registered["new_version"] is True and registered["version"] == 1
    assert _metadata(second, keys.prompt_key("support_reply"))["new_version"] is False
    assert [v.version for v in registry.versions("support_reply")] == [1]
    assert registry.version("support_reply_casual", 1).verdict == "failed"

    # the MLflow evaluation run is linked to the version and carries metrics and the case table
    run_id = registry.version("support_reply", 1).tags["mmp.evaluation_run_id"]
    run = mlflow_resource.client().get_run(run_id)
    assert run.data.tags["mmp.prompt_version"] == "1" and run.data.metrics["pass_rate"] == 1.0
    assert "cases.json" in [a.path for a in mlflow_resource.client().list_artifacts(run_id)]

    monkeypatch.setenv("MMP_USER", "bob")
    approve(registry, audit, "support_reply", 1)
    assert registry.aliases("support_reply") == {"candidate": 1, "production": 1}
    assert audit.verify() == []


def test_the_network_block_is_real(no_network):
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(OSError, match="blocked"):
        socket.socket().connect(("127.0.0.1", 9))
    assert len(no_network) == 2


def test_definitions_load_without_touching_any_store(project):
    """Building the assets reads no data and contacts no server: no MLflow store appears."""
    config, recipes = load_config(project), load_recipes(project)
    assets = [a for p in recipes.prompts.values() for a in build_prompt_assets(p, recipes, config, project)]
    defs = dg.Definitions(assets=assets, resources=build_resources(config, project))
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    spec = graph.get(keys.prompt_evaluation_key("support_reply"))
    assert spec.owners == ["team:support-ml"] and spec.group_name == keys.PROMPTS_GROUP and spec.code_version
    assert keys.prompt_key("support_reply") in spec.parent_keys
    assert not (project / ".mmp" / "mlflow.db").exists()
