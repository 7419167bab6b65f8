"""Jinja params in a source's `sql`: bound values, overridable per run from Dagster run config, recorded
on the materialization and in the catalog."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from mmp_assets.feature_store import load_training_set, read_feature_view
from mmp_assets.feature_store.catalog import find_entry

INJECTION = "x' OR '1'='1"
SCORES = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "t": pd.to_datetime(["2024-01-01"] * 4), "score": [1, 2, 3, 4]})


@pytest.fixture
def project(fs_project):
    fs_project.source("raw", SCORES)
    fs_project.source("picked", sql="SELECT * FROM raw WHERE score >= {{ floor }} AND user_id <> {{ skip }}",
                      params={"floor": 2, "skip": "none"})
    fs_project.view("v", entity="user_id", timestamp="t", source="picked")
    return fs_project


def _view_run(project, instance, params: dict | None = None):
    config = {"ops": {"features__v": {"config": {"params": params}}}} if params else None
    result = project.materialize(instance, selection="features/v", run_config=config)
    assert result.success
    materialization = result.asset_materializations_for_node("features__v")[0]
    with project.connect(read_only=True) as conn:
        return read_feature_view(conn, "v")["user_id"].tolist(), materialization.metadata


def test_recipe_params_then_run_config_values_filter_the_source(project, instance):
    users, metadata = _view_run(project, instance)
    assert users == ["b", "c", "d"]
    assert metadata["mmp/params"].value == {"view": {}, "sources": {"picked": {"floor": 2, "skip": "none"}}}
    users, metadata = _view_run(project, instance, {"floor": 3, "skip": "d"})
    assert users == ["c"]
    assert metadata["mmp/params"].value["sources"]["picked"] == {"floor": 3, "skip": "d"}
    with project.connect(read_only=True) as conn:
        details = find_entry(conn, "view", "v").details
    assert details["source_params"] == {"picked": {"floor": 3, "skip": "d"}}


def test_an_injection_attempt_in_run_config_stays_data(project, instance):
    users, _ = _view_run(project, instance, {"floor": 0, "skip": INJECTION})
    assert users == ["a", "b", "c", "d"]  # no user is literally named x' OR '1'='1, so none is skipped
    result = project.materialize(instance, selection="features/v",
                                 run_config={"ops": {"features__v": {"config": {"params": {"floor": INJECTION}}}}})
    assert not result.success  # a text where a number is compared is a conversion error, never SQL
    error = result.get_step_failure_events()[0].event_specific_data.error
    assert "Could not convert string" in str(error.cause or error)


def test_training_set_run_config_reaches_the_spine_source(fs_project, instance):
    rng = np.random.default_rng(0)
    events = pd.DataFrame({"user_id": [f"u{i % 9}" for i in range(120)], "y": rng.integers(0, 2, 120), "x": rng.normal(size=120),
                           "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(120), unit="h")})
    fs_project.source("raw_events", events)
    fs_project.source("events", sql="SELECT * FROM raw_events WHERE t < {{ until }}", params={"until": "2030-01-01"})
    fs_project.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y", "columns": ["x"]})
    config = {"ops": {"m__training_set": {"config": {"params": {"until": "2024-01-03"}}}}}
    result = fs_project.materialize(instance, selection="m/training_set", run_config=config)
    assert result.success
    metadata = result.asset_materializations_for_node("m__training_set")[0].metadata
    assert metadata["mmp/params"].value == {"events": {"until": "2024-01-03"}}
    recipes = fs_project.recipes()
    with fs_project.connect(read_only=True) as conn:
        loaded = load_training_set(conn, recipes.models["m"])
        assert find_entry(conn, "training_set", "m").details["source_params"] == {"events": {"until": "2024-01-03"}}
    assert len(loaded.frame) == 48 and loaded.frame["t"].max() < pd.Timestamp("2024-01-03")


def test_command_line_params_are_typed_checked_and_reach_the_run(project, tmp_path, monkeypatch):
    from mmp_assets.cli.materialize import materialize_selection
    from mmp_assets.cli.run_params import check_params_used, parse_params
    from mmp_resources.errors import MmpValidationError

    assert parse_params(["floor=3", "skip=b", "since=2024-01-01", "flag=true", "none="]) == {
        "floor": 3, "skip": "b", "since": "2024-01-01", "flag": True, "none": None}
    with pytest.raises(MmpValidationError) as bad:
        parse_params(["floor", "a-b=1", "skip=a", "skip=b"])
    assert [str(p) for p in bad.value.problems] == [
        "--param: 'floor': write KEY=VALUE, KEY made of letters, digits and _, such as --param start=2024-01-01",
        "--param: 'a-b=1': write KEY=VALUE, KEY made of letters, digits and _, such as --param start=2024-01-01",
        "--param: skip: given twice; give each parameter once",
    ]
    with pytest.raises(MmpValidationError) as unused:
        check_params_used({"flor": 3, "floor": 3}, project.recipes())
    assert [str(p) for p in unused.value.problems] == ["--param: flor: no source or feature view template uses {{ flor }}; used: floor, skip"]

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    assert materialize_selection("features/v", params=parse_params(["floor=4"])) == 0
    with project.connect(read_only=True) as conn:
        assert read_feature_view(conn, "v")["user_id"].tolist() == ["d"]
