"""`drift_retrain_sensor`: a failing drift check requests one retrain of its recipe — when one can help.

The newest *completed* evaluation of each check on `<recipe>/drift` is read from the instance; its
storage id keys the cursor, so one breach gives one run however many ticks it stays failed, and the
cooldown and daily budget of `automation` are enforced in `drift_budget.decide`. An evaluation that is
only planned (its run is still going) is waited for, never read as a result. A breach is retrained
only through `gate.judge`: not while a retrain of the recipe is in flight, and not when nothing the
retrain reads changed since the current version was built (the breach then stays pending).
"""

from __future__ import annotations

import json
import time

import dagster as dg

from mmp_assets import keys
from mmp_assets.automation.drift_budget import RetrainLedger, decide, record
from mmp_assets.automation.gate import COVERED, judge
from mmp_assets.automation.retrain import known_keys, retrain_request, retrain_target
from mmp_assets.feature_store.partitions import newest_partition
from mmp_assets.recipes import RecipeSet
from mmp_resources.settings import PlatformConfig


def _completed(instance: dg.DagsterInstance, check_key: dg.AssetCheckKey):
    from dagster._core.storage.asset_check_execution_record import COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES

    history = instance.event_log_storage.get_asset_check_execution_history(
        check_key, limit=1, status=set(COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES))
    return history[0] if history else None


def drift_state(instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey]) -> tuple[int | None, str | None]:
    """(storage id of the newest failing evaluation among the newest completed evaluation of each drift
    check; a line when an evaluation is planned in a run still going — then no decision is made).

    A planned evaluation (`AssetCheckEvaluationPlanned`, no `passed`) of a finished run never completed:
    the newest completed evaluation before it stands."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    failing = []
    for check_key in check_keys:
        found = instance.get_latest_asset_check_evaluation_record(check_key)
        if found is not None and found.status == AssetCheckExecutionRecordStatus.PLANNED:
            run = instance.get_run_by_id(found.run_id)
            if run is not None and not run.is_finished:
                return None, f"drift check {check_key.name} is being evaluated in run {found.run_id}; deciding after it"
            found = _completed(instance, check_key)
        evaluation = found.evaluation if found is not None else None
        if evaluation is not None and not evaluation.passed:
            failing.append(found.id)
    return (max(failing) if failing else None), None


def drift_check_keys(context: dg.SensorEvaluationContext, recipe: str) -> list[dg.AssetCheckKey]:
    repository = context.repository_def
    if repository is None:
        return []
    asset = keys.recipe_key(recipe, "drift")
    return sorted(repository.asset_graph.get_check_keys_for_assets({asset}), key=lambda k: k.name)


def build_drift_retrain_sensor(recipes: RecipeSet, config: PlatformConfig, *, minimum_interval_seconds: int | None = None) -> dg.SensorDefinition:
    watched = sorted(name for name, recipe in recipes.models.items() if recipe.monitoring.retrain_on_drift)
    settings = config.automation

    @dg.sensor(
        name="drift_retrain_sensor",
        target=retrain_target(recipes.models),
        minimum_interval_seconds=minimum_interval_seconds or settings.sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="A failing drift check retrains its recipe once, within the configured cooldown and daily budget, "
                    "when its inputs changed since the current version.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        state = json.loads(context.cursor) if context.cursor else {}
        now, requests, known = time.time(), [], known_keys(context)
        for recipe in watched:
            ledger = RetrainLedger.from_json(state.get(recipe))
            breach, waiting = drift_state(context.instance, drift_check_keys(context, recipe))
            if waiting:
                context.log.info(f"{recipe}: {waiting}")
                state[recipe] = ledger.to_json(now)
                continue
            decision = decide(breach, ledger, now, cooldown_minutes=settings.retrain_cooldown_minutes,
                              daily_budget=settings.daily_retrain_budget)
            if decision.retrain:
                partition = newest_partition(recipes.models[recipe])
                verdict = judge(context, recipe, [ref.view for ref in recipes.models[recipe].features], partition)
                if verdict.go:
                    ledger = record(ledger, breach, now)
                    requests.append(retrain_request(recipe, "drift", f"drift:{recipe}:{breach}", known=known, views=verdict.stale_views,
                                                    tags={"mmp/drift_evaluation": str(breach)}, partition=partition))
                    context.log.info(f"{recipe}: retrain: {decision.reason}; {verdict.reason}")
                elif verdict.kind == COVERED:
                    ledger = RetrainLedger(handled=breach, retrains=ledger.retrains)
                    context.log.info(f"{recipe}: no retrain for drift evaluation {breach}: {verdict.reason}")
                else:
                    context.log.info(f"{recipe}: no retrain for drift evaluation {breach} yet: {verdict.reason}")
            elif breach is not None:
                context.log.info(f"{recipe}: no retrain: {decision.reason}")
            state[recipe] = ledger.to_json(now)
        cursor = json.dumps(state, sort_keys=True)
        if not requests:
            return dg.SensorResult(skip_reason="no drift breach to act on", cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return _sensor
