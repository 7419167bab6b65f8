"""The feature store's asset factories: what the definitions entry point merges."""

from __future__ import annotations

from pathlib import Path

from mmp_assets.feature_store.source_assets import build_source_asset
from mmp_assets.feature_store.training_assets import build_training_set_asset
from mmp_assets.feature_store.view_assets import build_view_asset
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_resources.settings import PlatformConfig


def build_feature_store_assets(recipes: RecipeSet, config: PlatformConfig, root: Path) -> list:
    """`sources/<name>` for every source and `features/<view>` (with its contract check) for every view."""
    sources = [build_source_asset(source, recipes, root) for source in recipes.sources.values()]
    views = [build_view_asset(view, recipes, config, root) for view in recipes.views.values()]
    return sources + views


def build_training_set_assets(recipe: ModelRecipe, recipes: RecipeSet, config: PlatformConfig, root: Path) -> list:
    """`<recipe>/training_set` with its leakage check."""
    return [build_training_set_asset(recipe, recipes, config, root)]
