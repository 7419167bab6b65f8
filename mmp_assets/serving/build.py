"""Assemble the scoring app of one recipe from the active environment: model from MLflow, features from
Redis when the environment has an online store, else from a snapshot of the offline store."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from mmp_assets.serving.app import create_app
from mmp_assets.serving.features import FeatureSource
from mmp_assets.serving.metrics import ServingMetrics
from mmp_assets.serving.model import CANDIDATE, CHAMPION, load_served_model
from mmp_assets.serving.state import Served, ServingState
from mmp_resources.errors import MmpValidationError, Problem
from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.online_store import OnlineStoreResource
from mmp_resources.tracking import MlflowResource


def build_serving_app(
    root: Path, recipe_name: str, env: str, aliases: tuple[str, ...] = (CHAMPION, CANDIDATE), reload_interval_s: float | None = None,
    *, fast_path: bool = True,
) -> tuple[FastAPI, ServingState]:
    """The app for `recipes/<recipe_name>.yaml` in `env`; a clear error when the recipe, model or features are missing."""
    from mmp_assets.recipes import load_recipes

    recipes = load_recipes(root)
    recipe = recipes.models.get(recipe_name)
    if recipe is None:
        problems = [p for p in recipes.problems if Path(p.file).stem == recipe_name]
        if problems:
            raise MmpValidationError(problems)
        known = ", ".join(sorted(recipes.models)) or "none"
        raise MmpValidationError([Problem(f"recipes/{recipe_name}.yaml", "", f"no such model recipe; known recipes: {known}")])
    tracking = MlflowResource(project_dir=str(root), env=env)
    client = tracking.client()  # activates this env's registry
    model = load_served_model(client, recipe.name, aliases, fast_path=fast_path)
    features = feature_source(root, env, recipe, recipes)
    interval = tracking.config.serving.reload_interval_s if reload_interval_s is None else reload_interval_s
    state = ServingState(Served.of(model, features), client, aliases, interval, ServingMetrics(), fast_path=fast_path)
    return create_app(state), state


def feature_source(root: Path, env: str, recipe, recipes) -> FeatureSource:
    """Redis when `online_store.kind` is redis; otherwise the offline store's latest values, held in memory
    (read from the DuckDB file, or from the DuckLake lake through a connection kept open)."""
    store = OnlineStoreResource(project_dir=str(root), env=env)
    if store.enabled:
        from mmp_assets.serving.online import OnlineFeatures

        return OnlineFeatures(store, recipe, recipes)
    from mmp_assets.serving.snapshot import LakeSnapshotFeatures, SnapshotFeatures

    offline = FeatureStoreResource(project_dir=str(root), env=env)
    if offline.kind == "ducklake":
        return LakeSnapshotFeatures(offline.connect, f"config/{env}.yaml: feature_store (DuckLake)", recipe, recipes)
    return SnapshotFeatures(offline.database, recipe, recipes)
