"""Fixtures for the training tests; the builders live in toys.py so tests can import them."""

from __future__ import annotations

import pytest

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from tests.training.toys import make_recipe, make_training_set


@pytest.fixture
def recipe() -> ModelRecipe:
    return make_recipe()


@pytest.fixture
def training_set() -> TrainingSet:
    return make_training_set()


@pytest.fixture(scope="session")
def mlflow_tracking(tmp_path_factory):
    """One real MLflow SQLite store for the session's log-and-reload tests (creating its tables costs seconds);
    yields an experiment id with the tracking URI set, and restores the previous URI after."""
    import mlflow

    root = tmp_path_factory.mktemp("mlflow")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    yield mlflow.create_experiment("model-inputs", artifact_location=(root / "artifacts").as_uri())
    mlflow.set_tracking_uri(previous)
