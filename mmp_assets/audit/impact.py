"""`mmp lineage impact`: everything downstream of a source or feature view, and what would rebuild it.

Read from the asset graph (the same one Dagster runs), grouped by recipe. Feature views refresh
automatically on a new source data version; a recipe's training set, model and evaluation retrain
on a schema change of a column the recipe reads (see docs/automation.md) or on request.
"""

from __future__ import annotations

import dagster as dg

from mmp_assets import keys
from mmp_assets.automation.retrain import RETRAIN_STAGES
from mmp_assets.automation.schema_impact import reading_views
from mmp_assets.recipes import RecipeSet


def resolve_key(graph, name: str) -> dg.AssetKey:
    """`sources/x`, `features/x`, or a bare source or view name; ValueError listing what exists."""
    all_keys = graph.get_all_asset_keys()
    candidates = [dg.AssetKey(name.split("/")), keys.source_key(name), keys.view_key(name)]
    found = next((k for k in candidates if k in all_keys), None)
    if found is None:
        known = sorted(k.to_user_string() for k in all_keys if k.path[0] in ("sources", "features"))
        raise ValueError(f"{name!r} is not an asset; sources and feature views: {', '.join(known)}")
    return found


def _reads(recipe, key: dg.AssetKey, recipes: RecipeSet) -> str:
    """Which columns of the changed asset the recipe reads, in words."""
    parts = []
    if key.path[0] == "sources":
        source = key.path[-1]
        if recipe.spine.source == source:
            parts.append("spine")
        for view in reading_views(recipe, source, recipes):
            ref = next(r for r in recipe.features if r.view == view)
            parts.append(f"via features/{view} ({', '.join(ref.columns) if ref.columns else 'all columns'})")
    else:
        ref = next((r for r in recipe.features if r.view == key.path[-1]), None)
        if ref is not None:
            parts.append(", ".join(ref.columns) if ref.columns else "all columns")
    return "; ".join(parts) or "indirectly"


def impact(graph, key: dg.AssetKey, recipes: RecipeSet) -> dict:
    """{asset, views (refresh on new data), recipes: {name: {reads, retrains, also}}}."""
    below = dg.AssetSelection.assets(key).downstream().resolve(graph) - {key}
    views = sorted(k.to_user_string() for k in below if k.path[0] == "features")
    by_recipe: dict[str, dict] = {}
    for asset in sorted(below, key=lambda k: k.to_user_string()):
        recipe = recipes.models.get(asset.path[0])
        if recipe is None:
            continue
        entry = by_recipe.setdefault(recipe.name, {"reads": _reads(recipe, key, recipes), "retrains": [], "also": []})
        (entry["retrains"] if asset.path[-1] in RETRAIN_STAGES else entry["also"]).append(asset.to_user_string())
    for entry in by_recipe.values():
        entry["retrains"].sort(key=lambda a: RETRAIN_STAGES.index(a.split("/")[-1]))
    others = sorted(k.to_user_string() for k in below if k.path[0] not in ("features", *by_recipe))
    return {"asset": key.to_user_string(), "views": views, "recipes": by_recipe, "other": others}


def impact_text(found: dict) -> str:
    lines = [f"A change to {found['asset']} reaches:"]
    if found["views"]:
        lines.append(f"  feature views (refresh on its next data version): {', '.join(found['views'])}")
    for name, entry in sorted(found["recipes"].items()):
        lines.append(f"  recipe {name} (reads {entry['reads']})")
        lines.append(f"    retrains on a schema change of what it reads: {' → '.join(entry['retrains']) or '-'}")
        if entry["also"]:
            lines.append(f"    also downstream: {', '.join(entry['also'])}")
    if found["other"]:
        lines.append(f"  other assets: {', '.join(found['other'])}")
    if len(lines) == 1:
        lines.append("  nothing downstream")
    return "\n".join(lines)
