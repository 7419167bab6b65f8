"""The Optuna study of one recipe version on one training set: named so a re-run resumes it.

`<recipe>__<model code_version>__<training-set hash[:12]>`: the same recipe version on the same
data finds its earlier trials in the configured storage and only runs what is missing.
"""

from __future__ import annotations

import os
import socket

import optuna
from optuna.storages import BaseStorage
from optuna.storages._heartbeat import is_heartbeat_enabled
from optuna.trial import TrialState

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.versions import model_code_version
from mmp_assets.training.pruning import REPORTS_PER_FIT, reports_per_round

DONE = (TrialState.COMPLETE, TrialState.PRUNED)


def study_name(recipe: ModelRecipe, training_set: TrainingSet) -> str:
    return f"{recipe.name}__{model_code_version(recipe, 'model')}__{training_set.content_hash[:12]}"


def make_sampler(recipe: ModelRecipe, n_trials: int) -> optuna.samplers.TPESampler:
    # TPE's default 10 random start-up trials would leave a small budget all random
    return optuna.samplers.TPESampler(seed=recipe.tuning.seed, n_startup_trials=max(2, min(10, n_trials // 3)))


def make_pruner(recipe: ModelRecipe, n_trials: int) -> optuna.pruners.BasePruner:
    kind = recipe.tuning.pruner
    if kind == "median":
        # steps are report indices (20 per boosting fit, or one per CV fold or training subsample);
        # early rounds favour high learning rates, so a boosting fit is judged only after a fifth of its rounds
        per_round = reports_per_round(recipe.model.class_path) and not recipe.tuning.cv_folds
        warmup = REPORTS_PER_FIT // 5 if per_round else 0
        return optuna.pruners.MedianPruner(n_startup_trials=max(2, min(5, n_trials // 4)), n_warmup_steps=warmup)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, reduction_factor=3)
    return optuna.pruners.NopPruner()


def open_study(recipe: ModelRecipe, name: str, storage: BaseStorage | None, n_trials: int) -> optuna.Study:
    """Create the study or join the existing one of the same name."""
    return optuna.create_study(
        study_name=name,
        storage=storage,
        sampler=make_sampler(recipe, n_trials),
        pruner=make_pruner(recipe, n_trials),
        direction=recipe.direction,
        load_if_exists=True,
    )


def release_interrupted(study: optuna.Study, alone: bool) -> int:
    """Fail trials left RUNNING by a process that died, so they neither count nor block.

    With a heartbeat (RDB storage) Optuna knows which are stale. Without one (journal file),
    RUNNING trials can only be declared dead when this process is the study's only runner.
    """
    storage = study._storage  # noqa: SLF001 - Optuna exposes no public handle to a study's storage
    if is_heartbeat_enabled(storage):
        before = len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,)))
        optuna.storages.fail_stale_trials(study)
        return len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,))) - before
    if not alone:
        return 0
    running = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)) if _owner_is_gone(t)]
    for trial in running:
        storage.set_trial_user_attr(trial._trial_id, "error", "interrupted: its process ended before it finished")  # noqa: SLF001
        storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)  # noqa: SLF001
    return len(running)


def _owner_is_gone(trial: optuna.trial.FrozenTrial) -> bool:
    """A RUNNING trial is dead when its recorded `host:pid` is this host and that process no longer exists.

    A worker on another host, or one still alive here, keeps its trial: failing it would lose its result.
    """
    host, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
    if not pid.isdigit():
        return True  # no owner recorded: written before workers recorded themselves, nothing can finish it
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return int(pid) == os.getpid()


def trial_counts(study: optuna.Study) -> dict[str, int]:
    """complete / pruned / failed, ignoring the surplus trials a worker declined to run."""
    counts = {"complete": 0, "pruned": 0, "failed": 0}
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.COMPLETE:
            counts["complete"] += 1
        elif trial.state == TrialState.PRUNED:
            counts["pruned"] += 1
        elif trial.state == TrialState.FAIL and not trial.user_attrs.get("surplus"):
            counts["failed"] += 1
    return counts
