"""The recipe's `search_space` as Optuna suggestions: one trial's parameter values."""

from __future__ import annotations

from typing import Any

import optuna

from mmp_assets.recipes.model import Choice, FloatRange, IntRange, ModelRecipe


def suggest(trial: optuna.Trial, recipe: ModelRecipe) -> dict[str, Any]:
    """Draw every tuned parameter for `trial`; fixed params are added later by the pipeline."""
    params: dict[str, Any] = {}
    for name, spec in recipe.model.search_space.items():
        if isinstance(spec, IntRange):
            params[name] = trial.suggest_int(name, spec.low, spec.high, step=spec.step or 1, log=spec.log)
        elif isinstance(spec, FloatRange):
            params[name] = trial.suggest_float(name, spec.low, spec.high, step=spec.step, log=spec.log)
        elif isinstance(spec, Choice):
            params[name] = trial.suggest_categorical(name, spec.choices)
    return params
