"""A failed run reaches the alerts webhook through the run-failure sensor, without any config value."""

from __future__ import annotations

import json

import dagster as dg

from mmp_assets.automation.failure_sensor import build_run_failure_alert_sensor
from mmp_resources.settings import PlatformConfig


@dg.op
def _explode() -> None:
    raise RuntimeError("training set has no rows")


@dg.job(tags={"mmp/trigger": "drift", "mmp/recipe": "fraud"})
def _failing_job() -> None:
    _explode()


def test_a_failed_run_is_posted_to_the_webhook(webhook) -> None:
    url, received = webhook
    config = PlatformConfig.model_validate({"alerts": {"webhook_url": url}})
    sensor = build_run_failure_alert_sensor(config)
    with dg.instance_for_test() as instance:
        result = _failing_job.execute_in_process(instance=instance, raise_on_error=False)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=failure, dagster_instance=instance, dagster_run=result.dagster_run
        ).for_run_failure()
        sensor(context)
    assert len(received) == 1
    _, alert = received[0]
    assert alert["title"] == "mmp run failed: _failing_job: _explode: RuntimeError: training set has no rows"
    assert alert["details"]["error"] == "_explode: RuntimeError: training set has no rows"
    assert alert["details"]["run_id"] == result.run_id
    assert alert["details"]["trigger"] == "drift" and alert["details"]["recipe"] == "fraud"
    assert "s3cret" not in json.dumps(alert)


@dg.op
def _unreachable() -> None:
    raise dg.Failure(description="recipes/fraud.yaml: source.url: cannot reach postgresql://mmp:hunter22@db:5432/fraud\nsecond line")


@dg.job(tags={"mmp/trigger": "schema_change:sources/txns", "mmp/recipe": "fraud"})
def _leaky_job() -> None:
    _unreachable()


def test_the_alert_leads_with_the_root_cause_line_with_credentials_masked(webhook) -> None:
    url, received = webhook
    config = PlatformConfig.model_validate({"alerts": {"webhook_url": url}})
    sensor = build_run_failure_alert_sensor(config)
    with dg.instance_for_test() as instance:
        result = _leaky_job.execute_in_process(instance=instance, raise_on_error=False)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        sensor(dg.build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=failure, dagster_instance=instance, dagster_run=result.dagster_run
        ).for_run_failure())
    _, alert = received[0]
    assert alert["details"]["error"] == "_unreachable: recipes/fraud.yaml: source.url: cannot reach postgresql://mmp:***@db:5432/fraud"
    assert "Steps failed" in alert["details"]["run_failure"] and "hunter22" not in json.dumps(alert)
    assert "s3cret" not in json.dumps(alert)


@dg.asset(check_specs=[dg.AssetCheckSpec("schema_contract", asset="toy_view", blocking=True)])
def toy_view():
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(
        check_name="schema_contract", passed=False, description="column 'p1' changed type from DOUBLE to VARCHAR")])


def test_a_failed_blocking_check_is_its_own_root_cause() -> None:
    from mmp_assets.automation.runs import root_cause

    with dg.instance_for_test() as instance:
        result = dg.materialize([toy_view], instance=instance, raise_on_error=False)
        assert not result.success
        assert root_cause(instance, result.run_id) == (
            "toy_view: check toy_view:schema_contract failed: column 'p1' changed type from DOUBLE to VARCHAR")
