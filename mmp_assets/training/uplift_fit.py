"""Tune and fit a `task: uplift` model: the recipe's preprocessing and a `MetaLearner` in one Pipeline.

The target is two columns, [outcome, treatment] (`uplift_target`); trials score the recipe's uplift
metric (qini, auuc, uplift_at_30) on the validation rows (or CV folds) from the predicted uplift.
Uplift trials are not pruned: no boosting-round or subsample reports (see docs/training.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
from sklearn.pipeline import Pipeline

from mmp_assets.catalog.estimators import estimator_params
from mmp_assets.catalog.metrics import get_metric
from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.uplift import effect_class_path
from mmp_assets.training.objective import search_data
from mmp_assets.training.pipeline import build_preprocessor, make_estimator
from mmp_assets.training.space import suggest
from mmp_assets.training.uplift import MetaLearner

_TRUE = {"1", "1.0", "true"}


def as_arm(values) -> np.ndarray:
    """0/1 treatment from 0/1, 0.0/1.0, booleans or their text."""
    return np.array([1 if str(v).strip().lower() in _TRUE else 0 for v in values], dtype=int)


def uplift_target(recipe: ModelRecipe, frame) -> np.ndarray:
    """(n, 2) float array [outcome, treatment] of these training-set rows."""
    outcome = as_arm(frame[recipe.spine.label])
    return np.column_stack([outcome, as_arm(frame[recipe.uplift.treatment])]).astype(float)


def _effect_model(recipe: ModelRecipe, params: dict[str, Any], numeric: list[str], categorical: list[str]):
    """The X-learner's regressor, given the classifier's fixed and trial params it takes too."""
    path = effect_class_path(recipe)
    twin = recipe.model_copy(update={"model": recipe.model.model_copy(update={"class_path": path, "search_space": {}, "params": {}})})
    accepted = estimator_params(path)
    merged = {**recipe.model.params, **params}
    shared = merged if accepted is None else {k: v for k, v in merged.items() if k in accepted}
    return make_estimator(twin, shared, numeric, categorical)


def build_uplift_pipeline(recipe: ModelRecipe, params: dict[str, Any], numeric: list[str], categorical: list[str]) -> Pipeline:
    """Unfitted preprocessing + meta-learner for one set of trial params."""
    spec = recipe.uplift
    effect = _effect_model(recipe, params, numeric, categorical) if spec.learner == "x" else None
    learner = MetaLearner(spec.learner, make_estimator(recipe, params, numeric, categorical), effect, spec.propensity)
    return Pipeline([("preprocess", build_preprocessor(recipe, numeric, categorical)), ("model", learner)])


def make_uplift_objective(recipe: ModelRecipe, training_set: TrainingSet):
    """The function Optuna calls per trial: mean uplift metric of the held-out rows over the folds."""
    metric = get_metric(recipe.tuning.metric, recipe.task)
    data = search_data(recipe, training_set)
    target = uplift_target(recipe, training_set.frame.loc[data.X.index])
    folds = [(data.X.iloc[f], target[f], data.X.iloc[s], target[s]) for f, s in data.folds]

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, recipe)
        scores = []
        for step, (X_fit, y_fit, X_score, y_score) in enumerate(folds):
            pipe = build_uplift_pipeline(recipe, params, data.numeric, data.categorical).fit(X_fit, y_fit)
            scores.append(metric(y_score, pipe.predict(X_score)))
            if len(folds) > 1:
                trial.report(float(np.nanmean(scores)), step)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"pruned after fold {step + 1}")
        value = float(np.mean(scores))
        if np.isnan(value):
            raise ValueError(f"{metric.name} is undefined on the held-out rows (an arm or an outcome class is missing there)")
        return value

    return objective


def fit_uplift_final(recipe: ModelRecipe, training_set: TrainingSet, params: dict[str, Any]) -> Pipeline:
    """Best params refit on train + validation (columns NULL in every train row left out, as for any model)."""
    pipe = build_uplift_pipeline(recipe, params, *training_set.model_columns("train"))
    rows = training_set.part("train", "validation")
    return pipe.fit(rows[training_set.feature_columns], uplift_target(recipe, rows))
