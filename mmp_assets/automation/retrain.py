"""The one shape of a retrain request: a recipe's training set → model → evaluation, tagged with why."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from mmp_assets import keys

TRIGGER_TAG = "mmp/trigger"
RECIPE_TAG = "mmp/recipe"
RETRAIN_STAGES = ("training_set", "model", "evaluation")


def retrain_keys(recipe: str, views: Iterable[str] = ()) -> list[dg.AssetKey]:
    """The views to refresh first (their blocking contract checks gate the rest), then the recipe's chain."""
    return [*(keys.view_key(v) for v in views), *(keys.recipe_key(recipe, stage) for stage in RETRAIN_STAGES)]


def retrain_request(
    recipe: str, trigger: str, run_key: str, *, views: Iterable[str] = (), known: set[dg.AssetKey] | None = None,
    tags: dict[str, str] | None = None, partition: str | None = None,
) -> dg.RunRequest:
    """A run of `retrain_keys`, restricted to the keys that exist (a stage may not be deployed yet);
    `partition` is the newest window of a partitioned training set, the one its model trains on."""
    selection = [k for k in retrain_keys(recipe, views) if known is None or k in known]
    return dg.RunRequest(run_key=run_key, asset_selection=selection, partition_key=partition,
                         tags={TRIGGER_TAG: trigger, RECIPE_TAG: recipe, **(tags or {})})


def retrain_target(recipes: Iterable[str]) -> dg.AssetSelection:
    """Everything a retrain request may select: the feature views and every recipe's group."""
    return dg.AssetSelection.groups(keys.FEATURES_GROUP, *recipes)


def known_keys(context: dg.SensorEvaluationContext) -> set[dg.AssetKey] | None:
    """Asset keys of the code location the sensor runs in (None when it is evaluated bare)."""
    repository = getattr(context, "repository_def", None)
    if repository is None:
        return None
    return set(repository.asset_graph.get_all_asset_keys())
