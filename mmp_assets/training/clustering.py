"""Tuning a clustering model: no label, so a trial is judged by the clusters it finds in held-out rows.

Each trial fits its pipeline (preprocessing + clusterer) on the fit rows only, assigns the held-out
rows (validation, or each CV fold's held-out part) to its clusters, and scores those rows with the
recipe's metric in the space the model sees them (after preprocessing). A trial whose held-out rows
fall into one cluster, or into one cluster each, has no defined score: it fails with that reason,
and the search fails only when every trial did.
"""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd

from mmp_assets.catalog.clustering import CLUSTERERS
from mmp_assets.catalog.metrics import Metric, get_metric
from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import Choice, ModelRecipe
from mmp_assets.training.objective import search_data
from mmp_assets.training.space import suggest
from mmp_resources.errors import Problem


class DegenerateClustering(ValueError):
    """The clusters found leave the metric undefined (one cluster, or every row its own)."""


def cluster_ids(pipe, X: pd.DataFrame) -> np.ndarray:
    return np.asarray(pipe.predict(X)).reshape(len(X))


def held_out_score(pipe, X_score: pd.DataFrame, metric: Metric) -> float:
    """`metric` of the held-out rows as the fitted pipeline's preprocessing sees them, and the clusters it assigns them."""
    ids = cluster_ids(pipe, X_score)
    found = len(np.unique(ids))
    if found < 2:
        raise DegenerateClustering(f"all {len(ids)} held-out rows fell in one cluster; {metric.name} is undefined for one cluster")
    if found >= len(ids):
        raise DegenerateClustering(f"each of the {len(ids)} held-out rows is its own cluster; {metric.name} is undefined")
    return metric(pipe[:-1].transform(X_score), ids)


def clustering_objective(recipe: ModelRecipe, data, pipeline_factory):
    """The function Optuna calls per trial: the mean held-out score over the folds (pruned per fold with `cv_folds`)."""
    metric = get_metric(recipe.tuning.metric, "clustering")
    folds = data.fold_frames()

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, recipe)
        scores = []
        for step, (X_fit, _, X_score, _) in enumerate(folds):
            pipe = pipeline_factory(recipe, params, data.numeric, data.categorical)
            pipe.fit(X_fit)
            scores.append(held_out_score(pipe, X_score, metric))
            if len(folds) > 1:
                trial.report(float(np.mean(scores)), step)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"pruned after fold {step + 1}")
        return float(np.mean(scores))

    return objective


def _largest_size(recipe: ModelRecipe) -> tuple[str, int] | None:
    """(recipe field, the most clusters any trial may ask for)."""
    clusterer = CLUSTERERS[recipe.model.class_path]
    name = clusterer.size_param
    if name in recipe.model.params:
        return f"model.params.{name}", int(recipe.model.params[name])
    spec = recipe.model.search_space.get(name)
    if spec is None:
        return f"model.search_space ({name} left at its default)", clusterer.default_size
    if isinstance(spec, Choice):
        return f"model.search_space.{name}.choices", int(max(spec.choices))
    return f"model.search_space.{name}.high", int(spec.high)


def constant_columns(training_set: TrainingSet) -> list[str]:
    """Feature columns holding one value (NULLs aside) in every training row: they cannot separate clusters."""
    X = training_set.X("train")
    return [c for c in training_set.feature_columns if X[c].notna().any() and X[c].nunique(dropna=True) == 1]


def clustering_problems_before_tuning(recipe: ModelRecipe, training_set: TrainingSet, shown: str) -> list[Problem]:
    """More clusters than rows to fit them on, too few held-out rows to score, or nothing to tell rows apart."""
    problems = []
    data = search_data(recipe, training_set)
    fit_rows = min(len(fit) for fit, _ in data.folds)
    scored_rows = min(len(scored) for _, scored in data.folds)
    largest = _largest_size(recipe)
    if largest is not None and largest[1] > fit_rows:
        problems.append(Problem(shown, largest[0], f"{largest[1]} clusters but a trial fits on only {fit_rows} rows; "
                                                   f"ask for at most {fit_rows} clusters, or give the training set more rows"))
    if scored_rows < 3:
        problems.append(Problem(shown, "split.validation", f"a trial scores its clusters on {scored_rows} held-out row(s); "
                                                           "the metrics need at least 3: raise split.validation or give the training set more rows"))
    constant, X = constant_columns(training_set), training_set.X("train")
    informative = [c for c in training_set.feature_columns if c not in constant and X[c].notna().any()]
    if not informative:
        problems.append(Problem(shown, "spine.columns", f"every feature column is constant (or NULL) across the {len(X)} training "
                                                        "rows; clustering cannot separate rows that are all alike"))
    return problems


def constant_column_warnings(training_set: TrainingSet) -> list[str]:
    return [f"feature column {c!r} holds a single value in every training row; it cannot separate clusters "
            "(scaled, it is all zeros)" for c in constant_columns(training_set)]
