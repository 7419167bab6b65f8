"""One trial: draw params, fit a fresh pipeline on each fold's fit rows only, score its held-out rows.

The test split never enters: `search_data` keeps train + validation rows and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import optuna
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit

from mmp_assets.feature_store.contracts import TrainingSet, empty_columns
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.training.pipeline import build_pipeline
from mmp_assets.training.pruning import FULL_FIT_STEP, fit_with_round_reports, report_growing_subsamples, reports_per_round
from mmp_assets.training.regression import reshapes_target, tuning_metric
from mmp_assets.training.scoring import align_outputs, best_threshold, class_codes, held_out_outputs, score_outputs, threshold_metric
from mmp_assets.training.space import suggest

PipelineFactory = Callable[..., object]


@dataclass(frozen=True)
class SearchData:
    """Rows a search may see (train + validation) and how they divide into fit / score folds."""

    X: pd.DataFrame
    y: pd.Series | None  # None for clustering: no label
    folds: list[tuple[np.ndarray, np.ndarray]]  # positions into X: (fit rows, scored rows)
    numeric: list[str]
    categorical: list[str]
    empty: list[str]  # feature columns left out: NULL in every fit row of some fold

    def fold_frames(self) -> list[tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.Series]]:
        """(X_fit, y_fit, X_score, y_score) per fold, sliced once per search rather than per trial."""
        y = self.y
        return [(self.X.iloc[f], None if y is None else y.iloc[f], self.X.iloc[s], None if y is None else y.iloc[s]) for f, s in self.folds]


def _cv_splitter(recipe: ModelRecipe, k: int):
    strategy, seed = recipe.split.strategy, recipe.split.seed
    if strategy == "temporal":
        return TimeSeriesSplit(n_splits=k)  # always fit on the past, score the future
    if strategy == "group":
        return GroupKFold(n_splits=k)
    if strategy == "stratified":
        return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return KFold(n_splits=k, shuffle=True, random_state=seed)


def search_data(recipe: ModelRecipe, training_set: TrainingSet) -> SearchData:
    dev = training_set.part("train", "validation")
    k = recipe.tuning.cv_folds
    if not k:
        is_train = (dev[training_set.split_column] == "train").to_numpy()
        folds = [(np.flatnonzero(is_train), np.flatnonzero(~is_train))]
    else:
        if recipe.split.strategy == "temporal":
            dev = dev.sort_values(training_set.timestamp, kind="stable")
        groups = dev[recipe.split.group or training_set.entity[0]] if recipe.split.strategy == "group" else None
        folds = list(_cv_splitter(recipe, k).split(dev, dev[training_set.label] if training_set.label else None, groups))
    X = dev[training_set.feature_columns]
    empty = empty_columns(*(X.iloc[fit] for fit, _ in folds))
    return SearchData(
        X, dev[training_set.label] if training_set.label else None, folds, [c for c in training_set.numeric_columns if c not in empty],
        [c for c in training_set.categorical_columns if c not in empty], empty,
    )


def make_objective(recipe: ModelRecipe, data: SearchData, pipeline_factory: PipelineFactory = build_pipeline):
    """The function Optuna calls per trial; it returns the mean held-out score over the folds.

    With a pruner, a trial reports the recipe's metric as it goes (see pruning.py): per boosting round
    on a hold-out split, per growing training subsample for other models on a hold-out split, per fold
    with `cv_folds`.
    """
    metric, task = tuning_metric(recipe), recipe.task
    hold_out = recipe.tuning.pruner != "none" and len(data.folds) == 1
    # a wrapped booster (label transform, one per quantile) is pruned on training subsamples instead
    round_reports = hold_out and reports_per_round(recipe.model.class_path) and not reshapes_target(recipe)
    subsample_reports = hold_out and not round_reports
    folds = data.fold_frames()
    labels = np.unique(data.y).tolist() if task == "classification" else None

    def outputs_of(pipe, X_score) -> tuple[np.ndarray, object]:
        """Held-out outputs with one column per class of the search (a fit without a rare class gives it 0)."""
        outputs, classes = held_out_outputs(pipe, X_score, task), getattr(pipe, "classes_", None)
        if labels is not None and np.asarray(classes).tolist() != labels:
            outputs, classes = align_outputs(outputs, classes, labels)
        return outputs, classes

    def score(pipe, X_score, y_score) -> float:
        outputs, classes = outputs_of(pipe, X_score)
        return score_outputs(metric, task, classes, y_score, outputs)

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, recipe)
        scores, pooled_y, pooled_out = [], [], []

        def make_pipe():
            return pipeline_factory(recipe, params, data.numeric, data.categorical)

        for step, (X_fit, y_fit, X_score, y_score) in enumerate(folds):
            if subsample_reports:
                report_growing_subsamples(make_pipe, X_fit, y_fit, trial, lambda p: score(p, X_score, y_score), recipe.tuning.seed, task)
            pipe = make_pipe()
            if round_reports:
                fit_with_round_reports(pipe, X_fit, y_fit, X_score, y_score, trial, metric, task)
            else:
                pipe.fit(X_fit, y_fit)
            outputs, classes = outputs_of(pipe, X_score)
            scores.append(score_outputs(metric, task, classes, y_score, outputs))
            if subsample_reports:
                trial.report(scores[-1], FULL_FIT_STEP)
            pooled_y.append(class_codes(classes, y_score) if task == "classification" else y_score)
            pooled_out.append(outputs)
            if len(folds) > 1:
                trial.report(float(np.mean(scores)), step)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"pruned after fold {step + 1}")
        out = np.concatenate(pooled_out)
        if task == "classification" and out.shape[1] == 2:
            trial.set_user_attr("threshold", best_threshold(np.concatenate(pooled_y), out[:, 1], threshold_metric(metric)))
        return float(np.mean(scores))

    return objective
