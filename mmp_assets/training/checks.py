"""What can be found wrong with a model before its search starts, so no trial time is spent on a model
that could never be logged or registered: the pip requirement of `model.class_path` and column types
no preprocessing step takes."""

from __future__ import annotations

import pandas as pd

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_resources.errors import Problem


def problems_before_tuning(recipe: ModelRecipe, training_set: TrainingSet, shown: str) -> list[Problem]:
    """One Problem per thing that would fail only after the search; empty when tuning can start."""
    from mmp_assets.training.pyfunc import requirements

    problems = []
    try:
        requirements(recipe.model.class_path)
    except ValueError as exc:
        problems.append(Problem(shown, "model.class_path", str(exc)))
    for column in training_set.numeric_columns:
        dtype = training_set.frame[column].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            field = "spine.columns" if column in recipe.spine.listed_columns else "features"  # `all` refused dates already
            kind = "date/time" if pd.api.types.is_datetime64_any_dtype(dtype) else str(dtype)
            problems.append(Problem(shown, field, f"column {column!r} holds {kind} values, which no preprocessing step takes; "
                                                  "models read numbers and categories: derive a number from it in SQL "
                                                  "(such as date_diff('day', signup_date, event_time)) or drop it"))
    if recipe.task == "clustering" and not problems:
        from mmp_assets.training.clustering import clustering_problems_before_tuning

        problems += clustering_problems_before_tuning(recipe, training_set, shown)
    from mmp_assets.training.regression import label_problems

    return problems + label_problems(recipe, training_set, shown)
