"""`mmp plan`: which assets are stale for the current recipes and data, and why — before anything runs.

Staleness is Dagster's own (`CachingStaleStatusResolver`: code version vs the last materialization's,
each input's data version vs the one it was built from). mmp adds the words a person needs: *which
recipe section* changed (code versions are per-section digests) and, for a source input, whether its
*schema* or only its content changed (the observation behind each data version carries both
fingerprints). Assets downstream of a change are listed as following it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import dagster as dg
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView
from dagster._core.definitions.temporal_context import TemporalContext
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleCauseCategory, StaleStatus
from dagster._time import get_current_datetime

from mmp_assets.audit.lineage_dagster import CODE_VERSION, INPUT_PREFIX
from mmp_assets.recipes.versions import MODEL_STAGE_SECTIONS


@dataclass
class PlanRow:
    asset: str
    action: str  # build | rebuild | follows | ok
    reasons: list[str] = field(default_factory=list)


def _latest_tags(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict[str, str]:
    records = instance.fetch_materializations(key, limit=1).records
    return dict(records[0].asset_materialization.tags or {}) if records else {}


def _source_change(instance: dg.DagsterInstance, source: dg.AssetKey, built_from: str | None, limit: int = 500) -> str:
    """'schema changed' or 'content changed', comparing the observation the asset was built from with the newest."""
    schema_of, newest = {}, None
    for record in instance.fetch_observations(source, limit=limit).records:
        tags = record.event_log_entry.asset_observation.tags or {}
        fingerprint = getattr(record.asset_observation.metadata.get("mmp/schema_fingerprint"), "value", None)
        newest = newest or fingerprint
        schema_of.setdefault(tags.get("dagster/data_version"), fingerprint)
    before = schema_of.get(built_from)
    if before is None or newest is None:
        return "new data version"
    return f"schema changed ({before} → {newest})" if before != newest else "content changed, same schema"


def _code_reason(key: dg.AssetKey, was: str | None, now: str | None) -> str:
    stage = key.path[-1]
    sections = MODEL_STAGE_SECTIONS.get(stage)
    if len(key.path) == 2 and sections and key.path[0] not in ("sources", "features"):
        where = "recipe section " + (", ".join(sections[:-1]) + " or " + sections[-1] if len(sections) > 1 else sections[0])
    else:
        where = "its recipe"
    return f"{where} changed: code version {was or '?'} → {now}"


def plan(defs: dg.Definitions, instance: dg.DagsterInstance) -> list[PlanRow]:
    """One row per materializable asset, in dependency order."""
    graph = defs.resolve_asset_graph()
    # the loading context Dagster's own stale-status test helper builds (there is no public constructor)
    view = AssetGraphView(temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
                          instance=instance, asset_graph=graph)
    resolver = CachingStaleStatusResolver(instance=instance, asset_graph=graph, loading_context=view)
    # one query for every asset record the resolver reads, instead of one per asset (Dagster's own batching)
    resolver.instance_queryer.prefetch_asset_records([k for k in graph.toposorted_asset_keys if graph.get(k).is_materializable])
    rows: dict[dg.AssetKey, PlanRow] = {}
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if not node.is_materializable or key.path[0] == "invalid_recipes":
            continue
        status = resolver.get_status(key)
        if status == StaleStatus.MISSING:
            rows[key] = PlanRow(key.to_user_string(), "build", ["never materialized"])
            continue
        row = PlanRow(key.to_user_string(), "ok")
        causes = resolver.get_stale_causes(key)
        tags = _latest_tags(instance, key) if causes else {}  # read only to explain a cause
        for cause in causes:
            if cause.category == StaleCauseCategory.CODE:
                row.reasons.append(_code_reason(key, tags.get(CODE_VERSION), node.code_version))
            elif cause.dependency_asset_key is not None and graph.get(cause.dependency_asset_key).is_observable:
                dep = cause.dependency_asset_key
                built_from = tags.get(INPUT_PREFIX + dep.to_user_string())
                row.reasons.append(f"upstream {dep.to_user_string()}: {_source_change(instance, dep, built_from)}")
            elif cause.dependency_asset_key is not None:
                row.reasons.append(f"upstream {cause.dependency_asset_key.to_user_string()} has a new data version")
            else:
                row.reasons.append(cause.reason)
        if row.reasons:
            row.action = "rebuild"
        else:
            moving = [p.to_user_string() for p in sorted(node.parent_keys, key=str) if p in rows and rows[p].action != "ok"]
            if moving:
                row.action, row.reasons = "follows", [f"downstream of {', '.join(moving)}"]
        rows[key] = row
    return list(rows.values())


def plan_dicts(rows: list[PlanRow]) -> list[dict]:
    return [asdict(r) for r in rows]
