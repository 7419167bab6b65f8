"""`run_failure_alert_sensor`: every failed run is announced on the evaluation alerts channel."""

from __future__ import annotations

import dagster as dg

from mmp_resources.settings import PlatformConfig


def failure_details(run: dg.DagsterRun, message: str | None, cause: str | None = None) -> dict:
    """What an on-call person needs to find the run: no config values, only names, tags, the root-cause
    line (the first error of the first failed step) and Dagster's run-level message."""
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "assets": sorted(k.to_user_string() for k in (run.asset_selection or [])),
        "trigger": run.tags.get("mmp/trigger", "manual"),
        "recipe": run.tags.get("mmp/recipe"),
        "error": cause or (message or "").strip()[:2000],
        "run_failure": (message or "").strip()[:2000],
    }


def build_run_failure_alert_sensor(config: PlatformConfig) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alert_sensor",
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=config.automation.sensor_interval_seconds,
        description="Sends each failed run to the alerts webhook (alerts.webhook_url), like gate and drift alerts.",
    )
    def _sensor(context: dg.RunFailureSensorContext) -> None:
        from mmp_assets.evaluation.alerts import send_alert  # the evaluation stage owns the channel

        from mmp_assets.automation.runs import config_secrets, root_cause
        from mmp_resources.secrets import mask

        run = context.dagster_run
        secrets = config_secrets(config)
        cause = root_cause(context.instance, run.run_id, secrets)
        message = mask(context.failure_event.message, *secrets) if context.failure_event and context.failure_event.message else None
        details = failure_details(run, message, cause)
        title = f"mmp run failed: {run.job_name}" + (f": {cause}" if cause else "")
        delivered = send_alert(config, title[:300], details)
        context.log.info(f"run {run.run_id} failed ({cause or message}); alert {'sent' if delivered else 'not sent (no webhook or unreachable)'}")

    return _sensor
