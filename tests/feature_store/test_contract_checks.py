"""Each contract violation fails the view's blocking check, publishes nothing and stops downstream."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from mmp_assets.feature_store import catalog

T = pd.Timestamp
GOOD = pd.DataFrame({"user_id": ["a", "b"], "t": [T("2024-01-01"), T("2024-01-02")], "spend": [1.5, 2.5]})
SCHEMA = {"user_id": "VARCHAR", "t": "TIMESTAMP_NS", "spend": "DOUBLE"}
# enough labelled rows of both classes for a training set a model can be trained on
EVENTS = pd.DataFrame({"user_id": ["a", "b"] * 5, "t": pd.date_range("2024-02-01", periods=10, freq="D"), "y": [0, 1] * 5})


def _setup(project, snapshots: pd.DataFrame, schema: dict | None) -> None:
    project.source("snaps", snapshots)
    project.source("events", EVENTS)
    extra = {"schema": schema} if schema else {}
    project.view("spend", entity="user_id", timestamp="t", source="snaps", **extra)
    project.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y"}, features=[{"view": "spend"}])


def _outcome(result) -> tuple[bool, set[str]]:
    checks = [e for e in result.get_asset_check_evaluations() if e.check_name == "schema_contract"]
    assert len(checks) == 1
    return checks[0].passed, {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


BAD = {
    "missing column": (GOOD.drop(columns="spend"), SCHEMA, "column 'spend' is missing"),
    "type change": (GOOD.assign(spend=["1", "2"]), SCHEMA, "column 'spend' changed type from DOUBLE to VARCHAR"),
    "null entity": (GOOD.assign(user_id=["a", None]), None, "NULL key (user_id, t)"),
    "null timestamp": (GOOD.assign(t=[T("2024-01-01"), None]), None, "NULL key (user_id, t)"),
    "duplicate key": (GOOD.assign(user_id=["a", "a"], t=[T("2024-01-01")] * 2), None, "share their key (user_id, t)"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_violation_fails_the_blocking_check_and_nothing_downstream_runs(fs_project, instance, case):
    frame, schema, message = BAD[case]
    _setup(fs_project, frame, schema)
    result = fs_project.materialize(instance)
    passed, materialized = _outcome(result)
    assert not passed and not result.success
    assert "m/training_set" not in materialized
    check = next(e for e in result.get_asset_check_evaluations())
    assert message in check.description
    with fs_project.connect() as conn:
        assert catalog.current_version(conn, "view", "spend") is None


def test_undeclared_schema_is_frozen_at_the_first_version(fs_project, instance):
    _setup(fs_project, GOOD, None)
    first = fs_project.materialize(instance)
    assert first.success and _outcome(first) == (True, {"features/spend", "m/training_set"})
    built = next(e for e in first.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["m", "training_set"]))
    meta = built.materialization.metadata
    lineage = meta["dagster/column_lineage"].value.deps_by_column
    assert lineage["spend"] == [dg.TableColumnDep(asset_key=dg.AssetKey(["features", "spend"]), column_name="spend")]
    assert lineage["y"] == [dg.TableColumnDep(asset_key=dg.AssetKey(["sources", "events"]), column_name="y")]
    assert meta["mmp/pinned_views"].value == {"spend": 1} and meta["dagster/table_name"].value == "ts_m__v1"
    fs_project.source("snaps", GOOD.assign(spend=[1, 2]))  # DOUBLE → BIGINT
    second = fs_project.materialize(instance)
    passed, materialized = _outcome(second)
    assert not passed and "m/training_set" not in materialized
    event = next(e for e in second.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["features", "spend"]))
    assert event.materialization.metadata["mmp/status"].value == "rejected"
    assert "type_changed" in event.materialization.metadata["mmp/schema_changes"].value
    with fs_project.connect() as conn:
        assert catalog.current_version(conn, "view", "spend") == 1
        assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 4.0


def test_passing_view_carries_catalog_metadata(fs_project, instance):
    _setup(fs_project, GOOD, SCHEMA)
    result = fs_project.materialize(instance, selection="features/spend")
    event = result.get_asset_materialization_events()[0]
    meta = event.materialization.metadata
    assert meta["dagster/row_count"].value == 2 and meta["dagster/table_name"].value == "fv_spend__v1"
    assert [c.name for c in meta["dagster/column_schema"].value.columns] == ["user_id", "t", "spend"]
    assert meta["mmp/version"].value == 1
    again = fs_project.materialize(instance, selection="features/spend")
    assert again.get_asset_materialization_events()[0].materialization.metadata["mmp/status"].value == "unchanged"
