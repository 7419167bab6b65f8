"""Registered versions of `<recipe>`: lineage tags, aliases, and the fitted pipeline inside.

Other stages (training, evaluation, backtest, SHAP, serving) read models through these helpers.
"""

from __future__ import annotations

import json

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.pipeline import Pipeline

TAG_PREFIX = "mmp."


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
