"""Live automation under the sensors' own rules, on the tiny project with the model stages stubbed:
a retrain that cannot change anything is never requested, an evaluation still being planned is
waited for, one cause gives one run, and a failed retrain is retried once after its cause is fixed."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluationPlanned
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.utils import make_new_run_id

from mmp_assets.automation.retrain import RECIPE_TAG, TRIGGER_TAG
from tests.automation.synthetic import DRIFT_CHECK, feature_store_definitions, frames, materialize, write_source

DRIFT = dg.AssetKey(["alpha", "drift"])
ALPHA_CHAIN = ["features/user_view", "features/merchant_view", "alpha/training_set", "alpha/model", "alpha/evaluation"]


class Ticker:
    """Evaluates one sensor again and again the way the daemon does, the cursor carried over."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, name: str):
        self.defs, self.instance, self.sensor, self.cursor = defs, instance, defs.resolve_sensor_def(name), None

    def __call__(self) -> list[dg.RunRequest]:
        result = self.sensor(dg.build_sensor_context(instance=self.instance, definitions=self.defs, cursor=self.cursor))
        self.cursor = result.cursor
        return list(result.run_requests or [])


@pytest.fixture
def world(tiny_project: Path):
    defs = feature_store_definitions(tiny_project)
    with dg.instance_for_test() as instance:
        observe = defs.resolve_job_def("observe_sources")
        assert observe.execute_in_process(instance=instance).success
        yield tiny_project, defs, instance, lambda: observe.execute_in_process(instance=instance).success


def _launched(instance: dg.DagsterInstance, request: dg.RunRequest, status: dg.DagsterRunStatus) -> dg.DagsterRun:
    """What the daemon does with a request: a run with its tags, here in the given status."""
    run = dg.DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id(), status=status,
                        tags={**request.tags, "dagster/run_key": request.run_key})
    return instance.add_run(run)


def _set_status(instance: dg.DagsterInstance, run: dg.DagsterRun, status: dg.DagsterRunStatus) -> dg.DagsterRun:
    instance.delete_run(run.run_id)
    return instance.add_run(run.with_status(status))


def test_a_drift_breach_with_unchanged_inputs_launches_nothing_until_new_data_arrives(world) -> None:
    root, defs, instance, observe = world
    assert materialize(defs, instance, ALPHA_CHAIN).success
    tick = Ticker(defs, instance, "drift_retrain_sensor")
    assert tick() == []
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=DRIFT, check_name=DRIFT_CHECK, passed=False))
    assert tick() == [], "the training set would be rebuilt from the very inputs of the current version"
    assert observe() and tick() == [], "an observation that found the same data changes nothing"

    events = frames()["events"]
    write_source(root, "events", events.assign(x=events["x"] + 1.0))  # the live data moved: new rows to learn from
    assert observe()
    requests = tick()
    assert [(r.tags[RECIPE_TAG], r.tags[TRIGGER_TAG]) for r in requests] == [("alpha", "drift")]
    assert [k.to_user_string() for k in requests[0].asset_selection] == ["alpha/training_set", "alpha/model", "alpha/evaluation"]


def test_a_planned_drift_evaluation_is_waited_for_not_read(world) -> None:
    root, defs, instance, observe = world
    tick = Ticker(defs, instance, "drift_retrain_sensor")
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=DRIFT, check_name=DRIFT_CHECK, passed=False))
    run = instance.add_run(dg.DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id(), status=dg.DagsterRunStatus.STARTED))
    instance.report_dagster_event(DagsterEvent(
        event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED.value, job_name="__ASSET_JOB",
        event_specific_data=AssetCheckEvaluationPlanned(asset_key=DRIFT, check_name=DRIFT_CHECK)), run_id=run.run_id)
    assert tick() == [], "the newest evaluation is only planned: its run decides"
    _set_status(instance, run, dg.DagsterRunStatus.FAILURE)  # the run died before evaluating the check
    requests = tick()
    assert [r.tags[RECIPE_TAG] for r in requests] == ["alpha"], "the newest completed evaluation (a breach) stands"


def test_one_cause_gives_one_run_while_a_retrain_is_queued_or_running(world) -> None:
    root, defs, instance, observe = world
    assert materialize(defs, instance, ALPHA_CHAIN).success
    tick = Ticker(defs, instance, "schema_change_sensor")
    assert tick() == []  # baseline
    profiles = frames()["profiles"]
    write_source(root, "profiles", profiles.assign(p3=profiles["p1"]))
    assert observe()
    first = tick()
    assert [r.tags[RECIPE_TAG] for r in first] == ["alpha"]
    run = _launched(instance, first[0], dg.DagsterRunStatus.NOT_STARTED)

    write_source(root, "profiles", profiles.assign(p3=profiles["p1"], p4=profiles["p2"]))
    assert observe()
    assert tick() == [], "the run not started yet has read nothing: it covers the second change"

    run = _set_status(instance, run, dg.DagsterRunStatus.STARTED)
    assert materialize(defs, instance, ALPHA_CHAIN).success  # what the run reads: p3 and p4
    write_source(root, "profiles", profiles.assign(p3=profiles["p1"], p4=profiles["p2"], p5=profiles["p1"]))
    assert observe()
    assert tick() == [], "a change while the retrain runs waits for it"
    assert json.loads(tick.cursor)["pending"]["alpha"]["sources"] == ["sources/profiles"]

    _set_status(instance, run, dg.DagsterRunStatus.SUCCESS)
    again = tick()
    assert [r.tags[RECIPE_TAG] for r in again] == ["alpha"], "the run read its inputs before p5 arrived"
    assert again[0].run_key != first[0].run_key
    _launched(instance, again[0], dg.DagsterRunStatus.NOT_STARTED)
    assert tick() == []

    assert materialize(defs, instance, ALPHA_CHAIN).success
    assert observe() and tick() == [], "everything current: nothing to request"


def test_a_failed_retrain_is_retried_once_after_its_cause_is_fixed_and_is_never_silent(world, webhook, monkeypatch) -> None:
    root, defs, instance, observe = world
    url, received = webhook
    monkeypatch.setenv("MMP_ALERT_WEBHOOK_URL", url)
    defs = feature_store_definitions(root)  # the config now holds the webhook
    assert materialize(defs, instance, ALPHA_CHAIN).success
    tick = Ticker(defs, instance, "retrain_retry_sensor")
    assert tick() == []

    events = frames()["events"]
    events = events.assign(x=events["x"] + 1.0)  # new data, with the label column lost: the training set fails
    write_source(root, "events", events.drop(columns=["label"]))
    assert observe()
    tags = {TRIGGER_TAG: "drift", RECIPE_TAG: "alpha"}
    failed = materialize(defs, instance, ALPHA_CHAIN[2:], tags=tags)
    assert not failed.success

    assert tick() == [], "nothing changed since the failure: a retry would fail the same way"
    assert len(received) == 1
    alert = received[0][1]
    assert alert["title"] == "mmp model stale: alpha" and alert["details"]["failed_run"] == failed.run_id
    assert alert["details"]["error"].startswith("alpha__training_set: ") and "label" in alert["details"]["error"]
    assert "s3cret" not in json.dumps(alert["details"])
    assert tick() == [] and len(received) == 1, "one alert per failed run; the state stays in the sensor's log"

    write_source(root, "events", events)  # fixed
    assert observe()
    retry = tick()
    assert [(r.run_key, r.tags[TRIGGER_TAG], r.tags["mmp/retry_of"]) for r in retry] == [
        (f"retry:{failed.run_id}", "retry:drift", failed.run_id)]
    rerun = materialize(defs, instance, [k.to_user_string() for k in retry[0].asset_selection], tags=retry[0].tags)
    assert rerun.success
    assert tick() == [], "the retry succeeded: the recipe is current"
