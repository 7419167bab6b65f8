"""`drift_retrain_sensor`: a failing drift check requests one retrain of its recipe.

The newest evaluation of each check on `<recipe>/drift` is read from the instance; its storage id
keys the cursor, so one breach gives one run however many ticks it stays failed, and the
cooldown and daily budget of `automation` are enforced in `drift_budget.decide`.
"""

from __future__ import annotations

import json
import time

import dagster as dg

from mmp_assets import keys
from mmp_assets.automation.drift_budget import RetrainLedger, decide, record
from mmp_assets.automation.retrain import known_keys, retrain_request, retrain_target
from mmp_assets.feature_store.partitions import newest_partition
from mmp_assets.recipes import RecipeSet
from mmp_resources.settings import PlatformConfig


def latest_breach(instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey]) -> int | None:
    """Storage id of the newest failing evaluation among the newest evaluation of each drift check."""
    failing = []
    for check_key in check_keys:
        found = instance.get_latest_asset_check_evaluation_record(check_key)
        evaluation = found.evaluation if found is not None else None
        if evaluation is not None and not evaluation.passed:
            failing.append(found.id)
    return max(failing) if failing else None


def drift_check_keys(context: dg.SensorEvaluationContext, recipe: str) -> list[dg.AssetCheckKey]:
    repository = context.repository_def
    if repository is None:
        return []
    asset = keys.recipe_key(recipe, "drift")
    return sorted(repository.asset_graph.get_check_keys_for_assets({asset}), key=lambda k: k.name)


def build_drift_retrain_sensor(recipes: RecipeSet, config: PlatformConfig, *, minimum_interval_seconds: int = 60) -> dg.SensorDefinition:
    watched = sorted(name for name, recipe in recipes.models.items() if recipe.monitoring.retrain_on_drift)
    settings = config.automation

    @dg.sensor(
        name="drift_retrain_sensor",
        target=retrain_target(recipes.models),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="A failing drift check retrains its recipe once, within the configured cooldown and daily budget.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        state = json.loads(context.cursor) if context.cursor else {}
        now, requests, known = time.time(), [], known_keys(context)
        for recipe in watched:
            ledger = RetrainLedger.from_json(state.get(recipe))
            breach = latest_breach(context.instance, drift_check_keys(context, recipe))
            decision = decide(breach, ledger, now, cooldown_minutes=settings.retrain_cooldown_minutes,
                              daily_budget=settings.daily_retrain_budget)
            if decision.retrain:
                ledger = record(ledger, breach, now)
                requests.append(retrain_request(recipe, "drift", f"drift:{recipe}:{breach}", known=known,
                                                tags={"mmp/drift_evaluation": str(breach)},
                                                partition=newest_partition(recipes.models[recipe])))
            if breach is not None:
                context.log.info(f"{recipe}: {'retrain' if decision.retrain else 'no retrain'}: {decision.reason}")
            state[recipe] = ledger.to_json(now)
        cursor = json.dumps(state, sort_keys=True)
        if not requests:
            return dg.SensorResult(skip_reason="no drift breach to act on", cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return _sensor
