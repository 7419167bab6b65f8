"""A failing drift check retrains its recipe once, then not again within the cooldown or over budget."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from mmp_assets.automation.drift_budget import RetrainLedger, decide, record
from mmp_assets.automation.retrain import TRIGGER_TAG
from tests.automation.synthetic import DRIFT_CHECK, feature_store_definitions

DRIFT = dg.AssetKey(["alpha", "drift"])


def _report(instance: dg.DagsterInstance, passed: bool) -> None:
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=DRIFT, check_name=DRIFT_CHECK, passed=passed))


def test_a_breach_requests_one_retrain_and_not_a_second_within_the_cooldown(tiny_project: Path) -> None:
    defs = feature_store_definitions(tiny_project)
    sensor = defs.resolve_sensor_def("drift_retrain_sensor")
    with dg.instance_for_test() as instance:
        cursor = None

        def tick() -> list[dg.RunRequest]:
            nonlocal cursor
            result = sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor))
            cursor = result.cursor
            return list(result.run_requests or [])

        assert tick() == []
        _report(instance, passed=True)
        assert tick() == []
        _report(instance, passed=False)
        first = tick()
        assert len(first) == 1
        assert first[0].tags[TRIGGER_TAG] == "drift" and first[0].tags["mmp/recipe"] == "alpha"
        # nothing was ever materialized: the view the training set reads is refreshed first
        assert [k.to_user_string() for k in first[0].asset_selection] == ["features/user_view", "alpha/training_set", "alpha/model", "alpha/evaluation"]
        assert tick() == [], "the same breach is not retrained on every tick"
        _report(instance, passed=False)
        assert tick() == [], "a new breach inside the 360-minute cooldown waits"


@pytest.mark.parametrize(
    ("ledger", "now", "retrain"),
    [
        (RetrainLedger(), 1000.0, True),
        (RetrainLedger(handled=7, retrains=[0.0]), 10_000.0, False),  # breach 7 already handled
        (RetrainLedger(handled=5, retrains=[0.0]), 60.0 * 59, False),  # inside a 60-minute cooldown
        (RetrainLedger(handled=5, retrains=[0.0]), 60.0 * 61, True),  # cooldown over
        (RetrainLedger(handled=5, retrains=[0.0, 4000.0]), 8000.0, False),  # budget of 2 a day spent
        (RetrainLedger(handled=5, retrains=[0.0, 4000.0]), 4000.0 + 86_400, True),  # a day later
    ],
)
def test_cooldown_and_daily_budget(ledger: RetrainLedger, now: float, retrain: bool) -> None:
    decision = decide(7, ledger, now, cooldown_minutes=60, daily_budget=2)
    assert decision.retrain is retrain, decision.reason


def test_a_passing_check_clears_the_breach() -> None:
    ledger = record(RetrainLedger(), 3, 0.0)
    assert decide(None, ledger, 10**6, cooldown_minutes=0, daily_budget=5).reason == "drift check is passing"
    assert RetrainLedger.from_json(ledger.to_json(now=90_000.0)).retrains == []  # older than a day: forgotten


def test_drift_runs_once_per_cron_tick_once_its_model_exists(tiny_project: Path) -> None:
    from datetime import UTC, datetime, timedelta

    defs = feature_store_definitions(tiny_project)
    start = datetime(2026, 3, 1, 5, 0, tzinfo=UTC)  # the default drift_cron is 06:00 daily
    with dg.instance_for_test() as instance:
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=dg.AssetKey(["alpha", "model"])))
        requested = []
        cursor = None
        for hours in (0, 2, 3):
            result = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=start + timedelta(hours=hours), cursor=cursor)
            cursor = result.cursor
            requested.append({r: result.get_num_requested(dg.AssetKey([r, "drift"])) for r in ("alpha", "beta")})
    assert requested == [{"alpha": 0, "beta": 0}, {"alpha": 1, "beta": 0}, {"alpha": 0, "beta": 0}]  # beta has no model yet
