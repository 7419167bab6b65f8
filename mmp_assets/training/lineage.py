"""What a registered model version records about itself: its inputs, where it came from, what its search found.

The inputs digest decides whether a retrain registers anything: a version is a function of the
model code version and the training-set content, so equal digests mean nothing to do.
"""

from __future__ import annotations

import json

from mmp_assets import tags
from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.common import digest
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.versions import model_code_version
from mmp_assets.training.search import SearchResult


def inputs_digest(recipe: ModelRecipe, training_set: TrainingSet) -> str:
    """What a version is a function of: the model code version and the training-set content."""
    return digest("model-inputs", model_code_version(recipe, "model"), training_set.content_hash)


def lineage_tags(recipe: ModelRecipe, training_set: TrainingSet, *, dagster_run_id: str, asset_key: str) -> dict[str, str]:
    """Tags of the tuning run and of the version it registers: where the version came from."""
    return {
        tags.DAGSTER_RUN_ID: dagster_run_id,
        tags.ASSET_KEY: asset_key,
        tags.CODE_VERSION: model_code_version(recipe, "model"),
        tags.TRAINING_SET_VERSION: str(training_set.version),
        tags.TRAINING_SET_HASH: training_set.content_hash,
        tags.PINNED_VIEWS: json.dumps(training_set.pinned_views, sort_keys=True),
        tags.INPUTS_DIGEST: inputs_digest(recipe, training_set),
    }


def search_tags(recipe: ModelRecipe, result: SearchResult, *, trainer: str, mlflow_run_id: str) -> dict[str, str]:
    """Tags of the registered version: who trained it and what the search found."""
    found = {
        tags.TRAINER: trainer,
        tags.BEST_PARAMS: json.dumps(result.best_params, sort_keys=True, default=str),
        tags.BEST_SCORE: repr(result.best_value),
        tags.METRIC: recipe.tuning.metric,
        tags.MLFLOW_RUN_ID: mlflow_run_id,
        tags.STUDY_NAME: result.study_name,
    }
    if result.threshold is not None:
        found[tags.THRESHOLD] = repr(result.threshold)
    return found
