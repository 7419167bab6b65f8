"""Registered versions of `<recipe>`: lineage tags, aliases, and the fitted pipeline inside.

Other stages (evaluation, backtest, SHAP, serving) read models through these helpers.
"""

from __future__ import annotations

import json

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.pipeline import Pipeline

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.common import digest
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.versions import model_code_version
from mmp_assets.training.final import fit_final

__all__ = ["best_params", "fit_final", "inputs_digest", "latest_version", "load_pipeline", "version_for_alias"]

TAG_PREFIX = "mmp."


def inputs_digest(recipe: ModelRecipe, training_set: TrainingSet) -> str:
    """What a version is a function of: the model code version and the training-set content."""
    return digest("model-inputs", model_code_version(recipe, "model"), training_set.content_hash)


def load_pipeline(model_uri: str) -> Pipeline:
    """The fitted sklearn Pipeline inside a logged mmp model (`models:/<name>/<version>`, `runs:/...`)."""
    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().pipeline


def version_for_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version behind `alias`, or None when the model or the alias does not exist."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def latest_version(client: MlflowClient, name: str) -> ModelVersion | None:
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None
    return max(versions, key=lambda v: int(v.version), default=None)


def best_params(client: MlflowClient, name: str, version: str | int) -> dict:
    """The tuned parameters a version was refitted with (fixed params come from the recipe)."""
    return json.loads(client.get_model_version(name, str(version)).tags.get(f"{TAG_PREFIX}best_params", "{}"))
