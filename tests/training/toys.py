"""Tiny synthetic training sets and recipes: fast CatBoost, few trials, row ids that show a leak."""

from __future__ import annotations

import copy
import numpy as np
import pandas as pd

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.common import digest
from mmp_assets.recipes.model import ModelRecipe

BASE_RECIPE = {
    "name": "toy",
    "description": "A toy fraud model for tests.",
    "owner": "team:tests",
    "task": "classification",
    "spine": {"source": "events", "entity": "user_id", "timestamp": "event_time", "label": "is_bad", "columns": ["x1", "x2", "colour"]},
    "split": {"strategy": "temporal", "validation": 0.25, "test": 0.2},
    "preprocessing": {"numeric": {"impute": "median", "scale": "none"}, "categorical": {"impute": "constant", "encode": "native"}},
    "model": {
        "class_path": "catboost.CatBoostClassifier",
        "params": {"iterations": 40, "verbose": 0, "thread_count": 1, "allow_writing_files": False, "random_seed": 0},
        "search_space": {
            "depth": {"type": "int", "low": 2, "high": 4},
            "learning_rate": {"type": "float", "low": 0.03, "high": 0.3, "log": True},
        },
    },
    "tuning": {"n_trials": 4, "metric": "roc_auc", "pruner": "none", "seed": 3},
}


def make_recipe(**sections) -> ModelRecipe:
    """BASE_RECIPE with whole sections replaced or (for dicts) merged one level deep."""
    raw = copy.deepcopy(BASE_RECIPE)
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return ModelRecipe.model_validate(raw)


def make_training_set(n: int = 600, positive_rate: float = 0.3, seed: int = 0, task: str = "classification") -> TrainingSet:
    """Rows in time order: first 55% train, next 25% validation, last 20% test."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue", None], size=n, p=[0.3, 0.3, 0.3, 0.1])
    signal = 1.5 * x1 - x2 + np.where(colour == "red", 1.0, 0.0) + rng.normal(scale=0.8, size=n)
    if task == "classification":
        label = (signal > np.quantile(signal, 1 - positive_rate)).astype(int)
    else:
        label = 10 + 3 * signal
    x2[rng.random(n) < 0.05] = np.nan
    split = np.where(np.arange(n) < 0.55 * n, "train", np.where(np.arange(n) < 0.8 * n, "validation", "test"))
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i % 50}" for i in range(n)],
            "event_time": pd.date_range("2024-01-01", periods=n, freq="h"),
            "x1": x1,
            "x2": x2,
            "colour": colour,
            "is_bad": label,
            "split": split,
        },
        index=pd.RangeIndex(1000, 1000 + n),  # row ids distinct from positions, so a leak shows
    )
    return TrainingSet(
        recipe="toy",
        version=1,
        content_hash=digest("toy", n, positive_rate, seed, task) * 4,
        frame=frame,
        entity=["user_id"],
        timestamp="event_time",
        label="is_bad",
        feature_columns=["x1", "x2", "colour"],
        categorical_columns=["colour"],
        pinned_views={"user_profile": 1},
    )
