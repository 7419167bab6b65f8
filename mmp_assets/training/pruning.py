"""Intermediate scores for Optuna's pruners: per boosting round where the model allows it.

A pruner only acts on what a trial reports. CatBoost evaluates the validation rows every round
and calls `after_iteration`, so a bad trial is stopped mid-fit rather than after the whole fit.
"""

from __future__ import annotations

import optuna
from sklearn.pipeline import Pipeline

# mmp metric → CatBoost eval metric with the same direction (label metrics use AUC as a proxy,
# since a 0.5-threshold F1 per round is mostly 0 on imbalanced data)
_CATBOOST_BINARY = {"roc_auc": "AUC", "pr_auc": "PRAUC", "log_loss": "Logloss", "brier": "BrierScore"}
_CATBOOST_MULTI = {"roc_auc": "AUC:type=Mu", "pr_auc": "AUC:type=Mu", "log_loss": "MultiClass", "brier": "MultiClass"}
REPORTS_PER_FIT = 50
_CATBOOST_REGRESSION = {"rmse": "RMSE", "mae": "MAE", "r2": "R2", "mape": "MAPE"}


def catboost_eval_metric(metric: str, task: str, n_classes: int) -> str:
    if task == "regression":
        return _CATBOOST_REGRESSION[metric]
    if n_classes > 2:
        return _CATBOOST_MULTI.get(metric, "Accuracy")
    return _CATBOOST_BINARY.get(metric, "AUC")


class CatBoostPruningCallback:
    """Reports the validation metric every `every` rounds; stops the fit when Optuna says prune.

    Steps are report indices (round // every), so pruner warm-up reads as a share of the fit.
    """

    def __init__(self, trial: optuna.Trial, metric: str, every: int):
        self.trial, self.metric, self.every = trial, metric, max(1, every)
        self.pruned_at: int | None = None

    def after_iteration(self, info) -> bool:
        if info.iteration % self.every:
            return True
        step = info.iteration // self.every
        values = info.metrics["validation"]
        key = self.metric if self.metric in values else next(k for k in values if k.split(":")[0] == self.metric.split(":")[0])
        self.trial.report(float(values[key][-1]), step)
        if self.trial.should_prune():
            self.pruned_at = info.iteration
            return False  # CatBoost stops training
        return True


def fit_with_round_reports(pipe: Pipeline, X_fit, y_fit, X_valid, y_valid, trial: optuna.Trial, metric: str, task: str) -> None:
    """Fit `pipe` (CatBoost last) on the fit rows, reporting the validation metric per round.

    Preprocessing is fitted on the fit rows only and merely applied to the validation rows.
    """
    preprocess, model = pipe[:-1], pipe[-1]
    X_fit_t = preprocess.fit_transform(X_fit, y_fit)
    X_valid_t = preprocess.transform(X_valid)
    n_classes = len(set(y_fit)) if task == "classification" else 0
    params = model.get_params()
    eval_metric = params.get("eval_metric") or catboost_eval_metric(metric, task, n_classes)
    every = max(1, (params.get("iterations") or 1000) // REPORTS_PER_FIT)
    # the trial's model must be the model the final refit reproduces: no best-iteration shrinking;
    # the validation metric is only computed when it is reported
    model.set_params(
        eval_metric=eval_metric, use_best_model=params.get("use_best_model") or False, metric_period=params.get("metric_period") or every
    )
    callback = CatBoostPruningCallback(trial, eval_metric, every)
    model.fit(X_fit_t, y_fit, eval_set=(X_valid_t, y_valid), callbacks=[callback])
    if callback.pruned_at is not None:
        raise optuna.TrialPruned(f"pruned at boosting round {callback.pruned_at}")
