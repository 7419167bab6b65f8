"""The demo's definitions carry mmp's automation: conditions where they belong, every sensor on."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from mmp_assets.definitions import build_definitions


def test_views_refresh_drift_runs_on_cron_and_models_wait_for_a_sensor(project: Path) -> None:
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()

    def label(key: str) -> str | None:
        condition = graph.get(dg.AssetKey(key.split("/"))).automation_condition
        return condition.get_label() if condition else None

    assert label("features/user_profile") == label("features/merchant_profile") == "refresh when a source's data version changes"
    assert label("fraud/drift") == "drift check on cron 0 6 * * *"
    for stage in ("training_set", "model", "evaluation"):
        assert label(f"fraud/{stage}") is None  # new rows alone never retrain; the sensors do, with a reason


def test_every_sensor_and_schedule_starts_running(project: Path) -> None:
    defs = build_definitions()
    sensors = {s.name: s.default_status for s in defs.sensors}
    assert set(sensors) == {"mmp_automation", "schema_change_sensor", "drift_retrain_sensor", "retrain_retry_sensor", "run_failure_alert_sensor"}
    assert set(sensors.values()) == {dg.DefaultSensorStatus.RUNNING}
    assert {s.default_status for s in defs.schedules} == {dg.DefaultScheduleStatus.RUNNING}
