"""Intermediate scores for Optuna's pruners, always in the recipe's metric on the trial's held-out rows.

A pruner only acts on what a trial reports, and a pruned trial's value is its last report, so every
report here is the recipe's metric as `scoring.score_outputs` computes it for a finished trial:

* XGBoost and LightGBM: every 1/20 of the boosting rounds, from the model's predictions so far.
* CatBoost: its own eval metric every 1/20 of the rounds (its callback cannot predict mid-fit; the
  metric is the recipe's where CatBoost has it, a same-direction proxy otherwise). When it prunes,
  the stopped model is scored with the recipe's metric and that is the trial's last report.
* Models without boosting rounds on a hold-out split: fitted on 1/3 of the fit rows before the full
  fit (steps 3 and 9: the rows used, in ninths), so a bad trial stops after a third of the work.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import optuna
import pandas as pd
from sklearn.pipeline import Pipeline

from mmp_assets.catalog.estimators import boosting_rounds, library_of
from mmp_assets.catalog.metrics import Metric
from mmp_assets.training.scoring import score_outputs

REPORTS_PER_FIT = 20  # each report scores the held-out rows in Python (XGBoost, LightGBM): few enough to stay cheap
# ninths of the fit rows a trial is judged on before its full fit (step 9); a 1/9 step was dropped: it cost more
# than it saved where a model's cost is not linear in rows (HistGradientBoosting: no early stopping under 10k rows)
SUBSAMPLE_STEPS = (3,)
FULL_FIT_STEP = 9
MIN_SUBSAMPLE_ROWS = 20

# mmp metric → CatBoost eval metric with the same direction (label metrics use AUC as a proxy,
# since a 0.5-threshold F1 per round is mostly 0 on imbalanced data)
_CATBOOST_BINARY = {"roc_auc": "AUC", "pr_auc": "PRAUC", "log_loss": "Logloss", "brier": "BrierScore"}
_CATBOOST_MULTI = {"roc_auc": "AUC:type=Mu", "pr_auc": "AUC:type=Mu", "log_loss": "MultiClass", "brier": "MultiClass"}
_CATBOOST_REGRESSION = {"rmse": "RMSE", "mae": "MAE", "r2": "R2", "mape": "MAPE"}


def reports_per_round(class_path: str) -> bool:
    return library_of(class_path).prunes_per_round


def catboost_eval_metric(metric: Metric, task: str, n_classes: int) -> str:
    """CatBoost's metric for `metric`, or a proxy with the same direction (the pruner compares values, not names)."""
    if task in ("regression", "forecasting"):
        return _CATBOOST_REGRESSION.get(metric.name, "R2" if metric.direction == "maximize" else "RMSE")
    if n_classes > 2:
        return _CATBOOST_MULTI.get(metric.name, "Accuracy" if metric.direction == "maximize" else "MultiClass")
    return _CATBOOST_BINARY.get(metric.name, "AUC" if metric.direction == "maximize" else "Logloss")


def _as_outputs(raw: np.ndarray, task: str) -> np.ndarray:
    """A native booster's prediction in `predict_proba` shape: binary boosters answer P(class 1) alone."""
    raw = np.asarray(raw)
    if task == "classification" and raw.ndim == 1:
        return np.column_stack([1 - raw, raw])
    return raw


class RoundReporter:
    """Reports the recipe metric after every `every` rounds; raises TrialPruned when Optuna says so.

    Steps are report indices (rounds done // every), so pruner warm-up reads as a share of the fit.
    """

    def __init__(self, trial: optuna.Trial, score: Callable[[np.ndarray], float], every: int, task: str):
        self.trial, self.score, self.every, self.task = trial, score, max(1, every), task

    def due(self, rounds_done: int) -> bool:
        return rounds_done % self.every == 0

    def report(self, rounds_done: int, raw: np.ndarray) -> None:
        self.trial.report(self.score(_as_outputs(raw, self.task)), rounds_done // self.every - 1)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at boosting round {rounds_done}")


class CatBoostPruningCallback:
    """Reports CatBoost's validation metric every `every` rounds; stops the fit when Optuna says prune."""

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


def _fit_xgboost(model, X_fit, y_fit, X_valid, reporter: RoundReporter) -> None:
    import xgboost as xgb

    class Reports(xgb.callback.TrainingCallback):
        def __init__(self):
            super().__init__()
            self.valid = xgb.DMatrix(X_valid, enable_categorical=True, missing=model.missing)

        def after_iteration(self, booster, epoch: int, evals_log) -> bool:
            if reporter.due(epoch + 1):
                reporter.report(epoch + 1, booster.predict(self.valid, iteration_range=(0, epoch + 1)))
            return False

    callbacks = model.get_params().get("callbacks")
    model.set_params(callbacks=[*(callbacks or []), Reports()])
    try:
        model.fit(X_fit, y_fit)
    finally:
        model.set_params(callbacks=callbacks)


def _fit_lightgbm(model, X_fit, y_fit, X_valid, y_valid, classes, reporter: RoundReporter) -> None:
    # LightGBM keeps its eval set's predictions up to date round by round; they are read out only on
    # report rounds (Booster.eval_valid), and its own eval metric is switched off unless the recipe sets one.
    # Booster.predict between rounds instead made every later round about ten times slower.
    def keep(preds, _data):
        latest.append(preds)
        return "mmp_report", 0.0, True

    def reports(env) -> None:
        done = env.iteration - env.begin_iteration + 1
        if reporter.due(done):
            latest.clear()
            env.model.eval_valid(keep)
            reporter.report(done, latest[-1])

    latest: list = []
    if classes is not None:  # LightGBM encodes eval_y only through the deprecated eval_set; the labels are unused here
        code = {label: i for i, label in enumerate(classes.tolist())}
        y_valid = np.array([code.get(label, 0) for label in np.asarray(y_valid).tolist()])
    if "metric" not in model.get_params():
        model.set_params(metric="None")
    model.fit(X_fit, y_fit, eval_X=(X_valid,), eval_y=(y_valid,), callbacks=[reports])


def _fit_catboost(model, X_fit, y_fit, X_valid, y_valid, trial: optuna.Trial, metric: Metric, task: str, score) -> None:
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
    model.fit(X_fit, y_fit, eval_set=(X_valid, y_valid), callbacks=[callback])
    if callback.pruned_at is not None:
        # the trial's value is its last report: make that the recipe's metric of the stopped model
        outputs = model.predict_proba(X_valid) if task == "classification" else model.predict(X_valid)
        trial.report(score(outputs), callback.pruned_at // callback.every + 1)
        raise optuna.TrialPruned(f"pruned at boosting round {callback.pruned_at}")


def fit_with_round_reports(pipe: Pipeline, X_fit, y_fit, X_valid, y_valid, trial: optuna.Trial, metric: Metric, task: str) -> None:
    """Fit `pipe` (a boosting model last) on the fit rows, reporting the validation metric per round.

    Preprocessing is fitted on the fit rows only and merely applied to the validation rows.
    """
    preprocess, model = pipe[:-1], pipe[-1]
    X_fit_t = preprocess.fit_transform(X_fit, y_fit)
    X_valid_t = preprocess.transform(X_valid)
    classes = np.unique(np.asarray(y_fit)) if task == "classification" else None  # boosters order classes sorted

    def score(outputs: np.ndarray) -> float:
        return score_outputs(metric, task, classes, y_valid, outputs)

    # the library class itself, also under mmp's label-encoding subclass of XGBClassifier
    library_class = next(k for k in type(model).__mro__ if library_of(k.__module__).kind != "sklearn" or k is object)
    class_path = f"{library_class.__module__}.{library_class.__name__}"
    kind = library_of(class_path).kind
    if kind == "catboost":
        _fit_catboost(model, X_fit_t, y_fit, X_valid_t, y_valid, trial, metric, task, score)
        return
    rounds = boosting_rounds(class_path, model.get_params())
    reporter = RoundReporter(trial, score, rounds // REPORTS_PER_FIT, task)
    if kind == "xgboost":
        _fit_xgboost(model, X_fit_t, y_fit, X_valid_t, reporter)
    else:
        _fit_lightgbm(model, X_fit_t, y_fit, X_valid_t, y_valid, classes, reporter)


def subsample_positions(y_fit: pd.Series, ninths: int, seed: int, task: str) -> np.ndarray | None:
    """Positions of `ninths`/9 of the fit rows, drawn per class for classification; None when too few rows
    or a class would be missing (that step is then not reported)."""
    rng = np.random.default_rng(seed + ninths)
    y = np.asarray(y_fit)
    groups = [np.flatnonzero(y == label) for label in np.unique(y)] if task == "classification" else [np.arange(len(y))]
    taken = [rng.choice(g, size=len(g) * ninths // FULL_FIT_STEP, replace=False) for g in groups]
    if any(len(t) == 0 for t in taken) or sum(map(len, taken)) < MIN_SUBSAMPLE_ROWS:
        return None
    return np.sort(np.concatenate(taken))


def report_growing_subsamples(make_pipe: Callable[[], Pipeline], X_fit, y_fit, trial: optuna.Trial, score, seed: int, task: str) -> None:
    """Fit a fresh pipeline on 1/3 of the fit rows, report its held-out metric (step 3), prune if told."""
    for ninths in SUBSAMPLE_STEPS:
        rows = subsample_positions(y_fit, ninths, seed, task)
        if rows is None:
            continue
        try:
            pipe = make_pipe().fit(X_fit.iloc[rows], y_fit.iloc[rows])
        except Exception as exc:  # a model too big for the small sample (n_neighbors > rows): judge it on the full fit
            trial.set_user_attr(f"subsample_{ninths}_error", f"{type(exc).__name__}: {exc}"[:500])
            continue
        trial.report(score(pipe), ninths)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned after fitting {ninths}/9 of the training rows")
