"""Assemble the scoring app of one recipe from the active environment: model from MLflow, features from Redis."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from mmp_assets.serving.app import create_app
from mmp_assets.serving.features import OnlineFeatures
from mmp_assets.serving.model import CANDIDATE, CHAMPION, ServedModel, load_served_model
from mmp_resources.errors import MmpValidationError, Problem
from mmp_resources.online_store import OnlineStoreResource
from mmp_resources.tracking import MlflowResource


def build_serving_app(root: Path, recipe_name: str, env: str, aliases: tuple[str, ...] = (CHAMPION, CANDIDATE)) -> tuple[FastAPI, ServedModel]:
    """The app for `recipes/<recipe_name>.yaml` in `env`; a clear error when the recipe, model or online store is missing."""
    from mmp_assets.recipes import load_recipes

    recipes = load_recipes(root)
    recipe = recipes.models.get(recipe_name)
    if recipe is None:
        problems = [p for p in recipes.problems if Path(p.file).stem == recipe_name]
        if problems:
            raise MmpValidationError(problems)
        known = ", ".join(sorted(recipes.models)) or "none"
        raise MmpValidationError([Problem(f"recipes/{recipe_name}.yaml", "", f"no such model recipe; known recipes: {known}")])
    store = OnlineStoreResource(project_dir=str(root), env=env)
    if not store.enabled:
        raise MmpValidationError([Problem(
            f"config/{env}.yaml", "online_store.kind",
            "is 'none': mmp serve looks features up in the online store; run with MMP_ENV=dev (Redis) or configure online_store",
        )])  # fmt: skip
    tracking = MlflowResource(project_dir=str(root), env=env)
    served = load_served_model(tracking.client(), recipe.name, aliases)  # client() activates this env's registry
    return create_app(served, OnlineFeatures(store, recipe, recipes)), served
