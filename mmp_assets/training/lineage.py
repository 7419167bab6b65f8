"""What a registered model version is a function of, recorded so an unchanged retrain registers nothing."""

from __future__ import annotations

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.common import digest
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.versions import model_code_version


def inputs_digest(recipe: ModelRecipe, training_set: TrainingSet) -> str:
    """What a version is a function of: the model code version and the training-set content."""
    return digest("model-inputs", model_code_version(recipe, "model"), training_set.content_hash)
