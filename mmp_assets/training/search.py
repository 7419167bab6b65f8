"""Run (or resume, or join) the Optuna search of one recipe on one training set.

Only the trials still missing are run: a study interrupted after k of n trials resumes to n, and
several workers on one RDB study stop together at n. A trial that raises is recorded as failed
with its error; the search fails only when no trial completes.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna
import pandas as pd
from optuna.trial import TrialState

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.training.budget import Budget
from mmp_assets.training.objective import PipelineFactory, make_objective, search_data
from mmp_assets.training.pipeline import build_pipeline
from mmp_assets.training.preprocessing import check_preprocessing
from mmp_assets.training.study import DONE, open_study, release_interrupted, study_name, trial_counts


class TuningFailed(RuntimeError):
    """No trial of the search completed; the message leads with the first trial's error."""


@dataclass
class SearchResult:
    study_name: str
    direction: str
    best_params: dict
    best_value: float
    best_trial: int
    threshold: float | None
    counts: dict[str, int]
    ran_here: int
    stopped_by: str  # n_trials | timeout | already_complete
    stopped_by_setting: str | None
    elapsed_s: float
    history: pd.DataFrame = field(repr=False)
    study: optuna.Study | None = field(default=None, repr=False)


class _Surplus(Exception):
    """The study already has its n trials finished or running: this trial is not needed."""


def _guarded(objective, target: int):
    def run(trial: optuna.Trial) -> float:
        ahead = trial.study.get_trials(deepcopy=False, states=(*DONE, TrialState.RUNNING))
        if sum(1 for t in ahead if t.number < trial.number) >= target:
            trial.set_user_attr("surplus", True)
            trial.study.stop()
            raise _Surplus(f"the study already has {target} trials")
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        try:
            return objective(trial)
        except optuna.TrialPruned:
            raise
        except Exception as exc:
            first_line = next(iter(str(exc).strip().splitlines()), "")
            trial.set_user_attr("error", f"{type(exc).__name__}: {first_line}"[:2000])
            raise

    return run


def _progress(target: int, log: Callable[[str], None] | None, ran: list[int]):
    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.user_attrs.get("surplus"):
            return
        ran.append(trial.number)
        done = len(study.get_trials(deepcopy=False, states=DONE))
        if done >= target:
            study.stop()
        if log is None and trial.state == TrialState.FAIL:  # a failure is always told, in one line
            print(f"trial {trial.number} failed: {trial.user_attrs.get('error', '')}", file=sys.stderr)
        if log is not None:
            try:
                best = f"{study.best_value:.5g} (trial {study.best_trial.number})"
            except ValueError:
                best = "none yet"
            value = f"{trial.value:.5g}" if trial.value is not None else trial.user_attrs.get("error", "")
            log(f"trial {trial.number} {trial.state.name.lower()} {value}; {done}/{target} done; best so far {best}")

    return callback


def run_search(
    recipe: ModelRecipe,
    training_set: TrainingSet,
    budget: Budget,
    storage: optuna.storages.BaseStorage | None,
    *,
    worker: bool = False,
    log: Callable[[str], None] | None = None,
    pipeline_factory: PipelineFactory = build_pipeline,
    progress_bar: bool = False,
) -> SearchResult:
    """Bring the recipe's study to `budget.n_trials` finished trials (or stop at the timeout)."""
    # `_progress` tells one line per trial; Optuna would log a full traceback for every failed one
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    check_preprocessing(recipe, training_set.numeric_columns, list(training_set.categorical_columns))
    name = study_name(recipe, training_set)
    study = open_study(recipe, name, storage, budget.n_trials)
    release_interrupted(study, alone=not worker)
    remaining = budget.n_trials - len(study.get_trials(deepcopy=False, states=DONE))
    started, ran = time.perf_counter(), []
    if remaining > 0:
        if recipe.task == "uplift":  # a two-column target and its own metrics (uplift_fit.py)
            from mmp_assets.training.uplift_fit import make_uplift_objective

            inner = make_uplift_objective(recipe, training_set)
        elif recipe.task == "clustering":  # no label: a trial scores the clusters it finds in the held-out rows
            from mmp_assets.training.clustering import clustering_objective

            inner = clustering_objective(recipe, search_data(recipe, training_set), pipeline_factory)
        else:
            inner = make_objective(recipe, search_data(recipe, training_set), pipeline_factory)
        objective = _guarded(inner, budget.n_trials)
        study.optimize(
            objective,
            n_trials=remaining,
            timeout=budget.timeout_s,
            n_jobs=budget.n_jobs,
            catch=(Exception,),
            callbacks=[_progress(budget.n_trials, log, ran)],
            show_progress_bar=progress_bar,
        )
    elapsed = time.perf_counter() - started
    return _result(study, budget, remaining, len(ran), elapsed)


def _result(study: optuna.Study, budget: Budget, remaining: int, ran_here: int, elapsed: float) -> SearchResult:
    counts = trial_counts(study)
    if counts["complete"] == 0:
        errors = [t.user_attrs["error"] for t in study.trials if "error" in t.user_attrs]
        cause = f"every trial failed; first error: {errors[0]}" if errors else "no trial completed"
        raise TuningFailed(f"{cause} (study {study.study_name}: {counts['failed']} failed, {counts['pruned']} pruned)")
    if remaining <= 0:
        stopped, setting = "already_complete", None
    elif counts["complete"] + counts["pruned"] < budget.n_trials and budget.timeout_s and elapsed >= budget.timeout_s:
        stopped, setting = "timeout", budget.timeout_from
    else:
        stopped, setting = "n_trials", budget.n_trials_from
    best = study.best_trial
    history = study.trials_dataframe(attrs=("number", "value", "state", "params", "user_attrs", "duration", "datetime_start"))
    return SearchResult(
        study_name=study.study_name,
        direction=study.direction.name.lower(),
        best_params=dict(best.params),
        best_value=float(best.value),
        best_trial=best.number,
        threshold=best.user_attrs.get("threshold"),
        counts=counts,
        ran_here=ran_here,
        stopped_by=stopped,
        stopped_by_setting=setting,
        elapsed_s=elapsed,
        history=history,
        study=study,
    )
