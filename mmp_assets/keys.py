"""Asset keys, groups and tags: fixed names every factory uses, so nothing spells them twice."""

from __future__ import annotations

import dagster as dg

SOURCES_GROUP = "sources"
FEATURES_GROUP = "feature_store"
PROMPTS_GROUP = "prompts"


def source_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["sources", name])


def view_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["features", name])


def recipe_key(recipe: str, stage: str) -> dg.AssetKey:
    """`<recipe>/training_set`, `<recipe>/model`, `<recipe>/evaluation`, `<recipe>/predictions`, `<recipe>/drift`."""
    return dg.AssetKey([recipe, stage])


def prompt_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["prompts", name])


def prompt_evaluation_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["prompts", name, "evaluation"])


def mmp_tags(**extra: str) -> dict[str, str]:
    """Asset tags: Dagster tag keys and values allow letters, digits, -, _ and . only."""
    return {f"mmp/{k}": v for k, v in extra.items()}


def scoring_deps(recipe, source: str | None = None) -> list[dg.AssetKey]:
    """What scoring rows of a source reads (monitoring.scoring_source by default): the model, the source, the views."""
    return [
        recipe_key(recipe.name, "model"),
        source_key(source or recipe.monitoring.scoring_source),
        *(view_key(ref.view) for ref in recipe.features),
    ]
