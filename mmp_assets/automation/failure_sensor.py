"""`run_failure_alert_sensor`: every failed run is announced on the evaluation alerts channel."""

from __future__ import annotations

import dagster as dg

from mmp_resources.settings import PlatformConfig


def failure_details(run: dg.DagsterRun, message: str | None) -> dict:
    """What an on-call person needs to find the run: no config values, only names, tags and the error."""
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "assets": sorted(k.to_user_string() for k in (run.asset_selection or [])),
        "trigger": run.tags.get("mmp/trigger", "manual"),
        "recipe": run.tags.get("mmp/recipe"),
        "error": (message or "").strip()[:2000],
    }


def build_run_failure_alert_sensor(config: PlatformConfig) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alert_sensor",
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="Sends each failed run to the alerts webhook (alerts.webhook_url), like gate and drift alerts.",
    )
    def _sensor(context: dg.RunFailureSensorContext) -> None:
        from mmp_assets.evaluation.alerts import send_alert  # the evaluation stage owns the channel

        run = context.dagster_run
        details = failure_details(run, context.failure_event.message if context.failure_event else None)
        delivered = send_alert(config, f"mmp run failed: {run.job_name}", details)
        context.log.info(f"run {run.run_id} failed; alert {'sent' if delivered else 'not sent (no webhook or unreachable)'}")

    return _sensor
