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
