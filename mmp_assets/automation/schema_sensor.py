"""`schema_change_sensor`: a source observed with a new schema retrains exactly the recipes it concerns.

Feature views refresh on any new source data version through their own `eager` condition; this
sensor adds what declarative automation cannot say: *only a schema change* retrains models (new
rows alone do not; drift does), scoped by column lineage, with `mmp/trigger=schema_change:sources/<x>`
on the run. The cursor is the storage id of the newest observation handled, so each observation is
judged once; the schema before it is the one of the newest observation at or below the cursor.

Each recipe's cause then passes `gate.judge`: a queued retrain of the recipe covers it, a running one
holds it (kept under `pending` in the cursor and judged again on the next tick), and a recipe whose
inputs are all those of its current version is not retrained.
"""

from __future__ import annotations

import json

import dagster as dg

from mmp_assets import keys
from mmp_assets.automation.gate import HELD, judge
from mmp_assets.automation.retrain import known_keys, retrain_request, retrain_target
from mmp_assets.automation.schema_impact import RecipeImpact, SchemaChange, impact_of
from mmp_assets.feature_store.partitions import newest_partition
from mmp_assets.recipes import RecipeSet

SCHEMA_METADATA = "dagster/column_schema"
FINGERPRINT_METADATA = "mmp/schema_fingerprint"


def _observation(instance: dg.DagsterInstance, key: dg.AssetKey, *, after: int | None = None, before: int | None = None):
    records = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=key, after_storage_id=after, before_storage_id=before), limit=1
    ).records
    return records[0] if records else None


def _columns(record) -> tuple[str | None, dict[str, str]]:
    metadata = record.asset_observation.metadata
    schema = metadata.get(SCHEMA_METADATA)
    columns = {c.name: c.type for c in schema.value.columns} if schema is not None else {}
    fingerprint = metadata.get(FINGERPRINT_METADATA)
    return (fingerprint.value if fingerprint is not None else None), columns


def observed_changes(instance: dg.DagsterInstance, sources: list[str], after: int) -> tuple[list[tuple[SchemaChange, int]], int]:
    """(schema changes of sources observed after storage id `after`, with the observation id; the new cursor)."""
    changes, newest = [], after
    for name in sources:
        key = keys.source_key(name)
        latest = _observation(instance, key, after=after)
        if latest is None:
            continue
        newest = max(newest, latest.storage_id)
        previous = _observation(instance, key, before=after + 1) if after else None
        if previous is None:
            continue  # the first observation sensed sets the baseline; it is not a change
        (old_fp, old_cols), (new_fp, new_cols) = _columns(previous), _columns(latest)
        if old_fp != new_fp:
            changes.append((SchemaChange.between(name, old_cols, new_cols), latest.storage_id))
    return changes, newest


def plan_retrains(changes: list[tuple[SchemaChange, int]], recipes: RecipeSet) -> tuple[dict[str, list[tuple[RecipeImpact, int]]], list[str]]:
    """recipe → the impacts that retrain it; plus one line per recipe a compatible change leaves alone."""
    retrain: dict[str, list[tuple[RecipeImpact, int]]] = {}
    skipped = []
    for change, storage_id in changes:
        for impact in impact_of(change, recipes):
            if impact.retrain:
                retrain.setdefault(impact.recipe, []).append((impact, storage_id))
            else:
                skipped.append(f"{impact.recipe}: sources/{change.source}: {impact.reason}")
    return retrain, skipped


def merge_pending(pending: dict, retrain: dict[str, list[tuple[RecipeImpact, int]]]) -> dict:
    """The causes still to act on per recipe, with this tick's added: sources, views, reasons, newest observation id."""
    out = {recipe: dict(cause) for recipe, cause in pending.items()}
    for recipe, found in retrain.items():
        cause = out.setdefault(recipe, {"sources": [], "views": [], "reasons": [], "since": 0})
        cause["sources"] = sorted({*cause["sources"], *(f"sources/{i.source}" for i, _ in found)})
        cause["views"] = list(dict.fromkeys([*cause["views"], *(v for impact, _ in found for v in impact.views)]))
        cause["reasons"] = list(dict.fromkeys([*cause["reasons"], *(i.reason for i, _ in found)]))
        cause["since"] = max(cause["since"], *(s for _, s in found))
    return out


def build_schema_change_sensor(recipes: RecipeSet, *, minimum_interval_seconds: int = 30) -> dg.SensorDefinition:
    sources = sorted(recipes.sources)

    @dg.sensor(
        name="schema_change_sensor",
        target=retrain_target(recipes.models),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Retrains the recipes whose training sets read a column a source's schema change touched.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        state = json.loads(context.cursor) if context.cursor else {}
        changes, newest = observed_changes(context.instance, sources, state.get("after", 0))
        retrain, skipped = plan_retrains(changes, recipes)
        for line in skipped:
            context.log.info(f"no retrain: {line}")
        pending = merge_pending(state.get("pending", {}), retrain)
        requests, known, held = [], known_keys(context), {}
        for recipe, cause in sorted(pending.items()):
            if recipe not in recipes.models:
                continue  # the recipe was removed since the change was seen
            partition = newest_partition(recipes.models[recipe])
            verdict = judge(context, recipe, cause["views"], partition)
            if verdict.go:
                context.log.info(f"retrain {recipe}: " + "; ".join(cause["reasons"]))
                requests.append(retrain_request(recipe, "schema_change:" + ",".join(cause["sources"]), f"schema_change:{recipe}:{cause['since']}",
                                                views=cause["views"], known=known, partition=partition))
            elif verdict.kind == HELD:
                context.log.info(f"{recipe}: schema change of {', '.join(cause['sources'])} held: {verdict.reason}")
                held[recipe] = cause
            else:
                context.log.info(f"no retrain of {recipe} for {', '.join(cause['sources'])}: {verdict.reason}")
        cursor = json.dumps({"after": newest, **({"pending": held} if held else {})}, sort_keys=True)
        if not requests:
            return dg.SensorResult(skip_reason=f"no schema change retrains a recipe ({len(changes)} schema change(s) seen, "
                                               f"{len(held)} held behind a running retrain)", cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return _sensor
