"""Whether retraining a recipe can change anything: Dagster's data-version provenance, read before a run.

A retrain runs `<recipe>/training_set → model → evaluation` (and, for a schema change, the views on
the path). Every one of those assets records, on its materialization, the data versions of its inputs
and its own code version. The training set's content — hence the model's inputs digest — can differ
from the current version's only if one of these differs from what the current chain was built from:

- a source the recipe reads (through its spine or a view) was observed with a new data version
  (its schema or content fingerprint changed);
- a view the recipe reads published a new version, or is itself behind its source (Dagster does not
  carry staleness across an asset, so the views are judged on their own and refreshed by the run);
- the recipe changed (the code version of its training set, model or evaluation);
- a stage has never been materialized (or its last materialization failed and left it missing).

Dagster's stale-status resolver computes exactly this (`STALE` / `MISSING` with root causes). When
every stage is `FRESH`, the run would rebuild an identical training set and the model asset would
say "inputs unchanged; nothing tuned or registered": the sensors request nothing. When something is
stale the run may still find identical content (new source rows without labels, say); that costs a
training-set rebuild, never a search.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from mmp_assets import keys
from mmp_assets.automation.retrain import RETRAIN_STAGES


@dataclass(frozen=True)
class RetrainNeed:
    """What a retrain of one recipe could change: the reasons (empty: nothing) and the views behind their sources."""

    reasons: list[str]
    stale_views: list[str]

    @property
    def can_change(self) -> bool:
        return bool(self.reasons)

    def describe(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "every input is the one its current version was built from"


def _resolver(instance: dg.DagsterInstance, asset_graph):
    from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
    from dagster._core.definitions.data_version import CachingStaleStatusResolver
    from dagster._time import get_current_datetime

    view = AssetGraphView(temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
                          instance=instance, asset_graph=asset_graph)
    return CachingStaleStatusResolver(instance=instance, asset_graph=asset_graph, loading_context=view)


def _cause_line(cause) -> str:
    where = cause.key.asset_key.to_user_string() + (f"[{cause.key.partition_key}]" if cause.key.partition_key else "")
    line = f"{where}: {cause.reason}"
    if cause.dependency is not None:
        line += f" ({cause.dependency.asset_key.to_user_string()})"
    return line


def retrain_need(instance: dg.DagsterInstance, asset_graph, recipe: str, views: list[str], partition: str | None = None) -> RetrainNeed:
    """What retraining `recipe` could change, judged on the stages that exist in `asset_graph`."""
    from dagster._core.definitions.data_version import StaleStatus

    resolver = _resolver(instance, asset_graph)
    present = set(asset_graph.get_all_asset_keys())
    reasons: list[str] = []
    for stage in RETRAIN_STAGES:
        key = keys.recipe_key(recipe, stage)
        if key not in present:
            continue
        part = partition if asset_graph.get(key).is_partitioned else None
        status = resolver.get_status(key, part)
        if status == StaleStatus.MISSING:
            reasons.append(f"{key.to_user_string()} has no materialization")
        elif status == StaleStatus.STALE:
            reasons += [_cause_line(c) for c in resolver.get_stale_root_causes(key, part)]
    # Dagster does not carry staleness across an asset: a view behind its source leaves the training set
    # FRESH. The retrain refreshes such views first, so they are reasons of their own.
    stale_views = []
    for view in views:
        key = keys.view_key(view)
        if key not in present:
            continue
        status = resolver.get_status(key)
        if status == StaleStatus.MISSING:
            reasons.append(f"{key.to_user_string()} has no materialization")
        elif status == StaleStatus.STALE:
            reasons += [_cause_line(c) for c in resolver.get_stale_root_causes(key)]
        if status != StaleStatus.FRESH:
            stale_views.append(view)
    return RetrainNeed(list(dict.fromkeys(reasons)), stale_views)
