"""Automation definitions merged by the entry point: what observes, what reacts, what it may run."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from mmp_assets import keys
from mmp_assets.recipes import RecipeSet
from mmp_resources.settings import PlatformConfig


def build_automation(recipes: RecipeSet, config: PlatformConfig, root: Path) -> tuple[list, list, list]:
    """(sensors, schedules, jobs). Every sensor and schedule starts RUNNING: models stay right unattended."""
    from mmp_assets.automation.drift_sensor import build_drift_retrain_sensor
    from mmp_assets.automation.failure_sensor import build_run_failure_alert_sensor
    from mmp_assets.automation.retry_sensor import build_retrain_retry_sensor
    from mmp_assets.automation.schema_sensor import build_schema_change_sensor

    observe_sources = dg.define_asset_job(
        "observe_sources",
        # named keys rather than groups(..., include_sources=True), a beta flag that warns on every load
        selection=dg.AssetSelection.assets(*(keys.source_key(name) for name in recipes.sources)),
        description="Observe every source: its schema and content fingerprints become its data version.",
    )
    schedule = dg.ScheduleDefinition(
        name="observe_sources_schedule",
        job=observe_sources,
        cron_schedule=config.automation.source_observation_cron,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    # Dagster's built-in automation sensor starts STOPPED; a named one can start RUNNING.
    automation = dg.AutomationConditionSensorDefinition(
        "mmp_automation",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=config.automation.sensor_interval_seconds,
        description="Evaluates every asset's automation condition: feature views refresh on new source data, drift runs on its cron.",
    )
    sensors = [
        automation,
        build_schema_change_sensor(recipes, minimum_interval_seconds=config.automation.sensor_interval_seconds),
        build_drift_retrain_sensor(recipes, config),
        build_retrain_retry_sensor(recipes, config),
        build_run_failure_alert_sensor(config),
    ]
    return sensors, [schedule], [observe_sources]
