"""`retrain_retry_sensor`: a failed retrain is retried once after its cause is fixed, and is never silent.

A recipe whose newest retrain run (any trigger) failed keeps serving its previous version. On every
tick the sensor logs a warning naming the failed run and its root-cause line, and on first sight it
posts the same to the alerts webhook: the model is stale and why.

It retries when something the failed run read has changed since it failed — a source observed with a
new data version, a view or other input materialized with a new data version, or the recipe (the code
version of any asset upstream of the model, or of its stages) — because re-running unchanged inputs
would fail the same way. The retry's run key is `retry:<failed run id>`, so one failure gets at most
one retry; a retry that fails again waits for the next change. The retry passes `gate.judge` like any
retrain: not while another retrain of the recipe is in flight, and not when nothing can change (a
manual run already repaired it, or the inputs went back to those of the current version: then the
recipe is current again and the warning stops).
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from mmp_assets import keys
from mmp_assets.automation.gate import FUTILE, judge
from mmp_assets.automation.retrain import RETRAIN_STAGES, TRIGGER_TAG, known_keys, retrain_request, retrain_target
from mmp_assets.automation.runs import config_secrets, retrain_runs, root_cause
from mmp_assets.feature_store.partitions import newest_partition
from mmp_assets.recipes import RecipeSet
from mmp_resources.settings import PlatformConfig

RETRY_OF_TAG = "mmp/retry_of"


def _chain(asset_graph, recipe: str) -> list[dg.AssetKey]:
    present = set(asset_graph.get_all_asset_keys())
    return [k for k in (keys.recipe_key(recipe, s) for s in RETRAIN_STAGES) if k in present]


def upstream_keys(asset_graph, recipe: str) -> list[dg.AssetKey]:
    """Every asset the recipe's retrain reads, directly or through a view: sources, views, other inputs."""
    chain = set(_chain(asset_graph, recipe))
    seen: set[dg.AssetKey] = set()
    todo = list(chain)
    while todo:
        key = todo.pop()
        for parent in asset_graph.get(key).parent_keys:
            if parent not in seen and parent not in chain:
                seen.add(parent)
                todo.append(parent)
    return sorted(seen, key=lambda k: k.to_user_string())


def code_digest(asset_graph, recipe: str) -> str:
    """Digest of the code versions of the retrain's stages and everything upstream: the recipe as Dagster sees it."""
    parts = [f"{k.to_user_string()}={asset_graph.get(k).code_version}" for k in [*_chain(asset_graph, recipe), *upstream_keys(asset_graph, recipe)]]
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:16]


def _data_version(instance: dg.DagsterInstance, asset_graph, key: dg.AssetKey, at: float | None) -> str | None:
    """The key's data version as of time `at` (None: now). Timestamps, not storage ids: on SQLite a run's
    own events and the asset index number their records separately."""
    from dagster._core.definitions.data_version import extract_data_version_from_entry

    node = asset_graph.get(key)
    fetch = instance.fetch_observations if node.is_observable and not node.is_materializable else instance.fetch_materializations
    for record in fetch(dg.AssetRecordsFilter(asset_key=key), limit=100).records:  # newest first
        if at is None or record.timestamp <= at:
            version = extract_data_version_from_entry(record.event_log_entry)
            return version.value if version is not None else None
    return None


def failed_at(instance: dg.DagsterInstance, run: dg.DagsterRun) -> float | None:
    record = instance.get_run_record_by_id(run.run_id)
    return record.end_time if record is not None else None


def changes_since_failure(instance: dg.DagsterInstance, asset_graph, recipe: str, run: dg.DagsterRun, code: str) -> list[str]:
    """What the failed run read that is different now: one entry per input with a new data version, and the recipe."""
    changed = []
    when = failed_at(instance, run)
    for key in upstream_keys(asset_graph, recipe):
        if _data_version(instance, asset_graph, key, None) != _data_version(instance, asset_graph, key, when):
            changed.append(f"{key.to_user_string()} has a new data version")
    if code_digest(asset_graph, recipe) != code:
        changed.append("the recipe (a code version) changed")
    return changed


def repaired(instance: dg.DagsterInstance, recipe: str, run: dg.DagsterRun) -> bool:
    """Whether the recipe's model was materialized (by any run, say a manual one) after the failure."""
    when = failed_at(instance, run)
    latest = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=keys.recipe_key(recipe, "model")), limit=1).records
    return when is not None and bool(latest) and latest[0].timestamp > when


def build_retrain_retry_sensor(recipes: RecipeSet, config: PlatformConfig) -> dg.SensorDefinition:
    names = sorted(recipes.models)
    secrets = config_secrets(config)

    @dg.sensor(
        name="retrain_retry_sensor",
        target=retrain_target(recipes.models),
        minimum_interval_seconds=config.automation.sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Warns while a recipe's newest retrain has failed (its model is stale) and retries it once after its inputs or recipe change.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        from mmp_assets.evaluation.alerts import send_alert  # the evaluation stage owns the channel

        state = json.loads(context.cursor) if context.cursor else {}
        repository = context.repository_def
        if repository is None:
            return dg.SensorResult(skip_reason="no definitions to judge failed retrains on", cursor=context.cursor)
        graph, known = repository.asset_graph, known_keys(context)
        requests, stale = [], []
        for recipe in names:
            runs = retrain_runs(context.instance, recipe)[:1]
            if not runs or runs[0].status != dg.DagsterRunStatus.FAILURE or repaired(context.instance, recipe, runs[0]):
                state.pop(recipe, None)  # never retrained, in flight, the newest retrain succeeded, or a later run repaired it
                continue
            failed = runs[0]
            entry = state.get(recipe)
            if entry is None or entry.get("run") != failed.run_id:
                cause = root_cause(context.instance, failed.run_id, secrets) or "the run failed before any step ran"
                entry = {"run": failed.run_id, "code": code_digest(graph, recipe), "cause": cause}
                delivered = send_alert(config, f"mmp model stale: {recipe}", {
                    "recipe": recipe, "failed_run": failed.run_id, "trigger": failed.tags.get(TRIGGER_TAG),
                    "error": cause, "state": "the previous model version stays in use; retried once after its inputs or recipe change",
                })
                context.log.info(f"{recipe}: stale-model alert {'sent' if delivered else 'not sent (no webhook or unreachable)'}")
            state[recipe] = entry
            if entry.get("resolved"):
                continue
            trigger = failed.tags.get(TRIGGER_TAG, "")
            line = f"{recipe}: model is stale: retrain run {failed.run_id} ({trigger}) failed: {entry['cause']}"
            changed = changes_since_failure(context.instance, graph, recipe, failed, entry["code"])
            if not changed:
                context.log.warning(f"{line}; the previous version stays in use; retried once after its inputs or recipe change")
                stale.append(recipe)
                continue
            partition = newest_partition(recipes.models[recipe])
            verdict = judge(context, recipe, [ref.view for ref in recipes.models[recipe].features], partition)
            if not verdict.go:
                context.log.info(f"{line}; {', '.join(changed)}, no retry: {verdict.reason}")
                entry["resolved"] = verdict.kind == FUTILE  # the inputs are back to those of the current version
                continue
            context.log.info(f"{line}; retrying once: {', '.join(changed)}")
            original = trigger.removeprefix("retry:")
            requests.append(retrain_request(recipe, f"retry:{original}", f"retry:{failed.run_id}", views=verdict.stale_views,
                                            known=known, tags={RETRY_OF_TAG: failed.run_id}, partition=partition))
        cursor = json.dumps(state, sort_keys=True)
        if not requests:
            why = f"stale after a failed retrain: {', '.join(stale)}" if stale else "no failed retrain to retry"
            return dg.SensorResult(skip_reason=why, cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return _sensor
