"""The search: leak-free by construction, reproducible, meaningful scores, failures recorded."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import optuna
import pytest
from tests.training.toys import make_recipe, make_training_set
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from mmp_assets.training.budget import Budget
from mmp_assets.training.pipeline import build_pipeline
from mmp_assets.training.search import TuningFailed, run_search


def budget(n: int, timeout: float | None = None, n_jobs: int = 1) -> Budget:
    return Budget(n, "tuning.n_trials", timeout, "tuning.timeout_s" if timeout else None, n_jobs, "tuning.n_jobs")


class RowRecorder(BaseEstimator, TransformerMixin):
    """Passes rows through; remembers the row ids of every fit."""

    fits: ClassVar[list[set]] = []

    def fit(self, X, y=None):
        RowRecorder.fits.append(set(X.index))
        return self

    def transform(self, X):
        return X


def recording_pipeline(recipe, params, numeric, categorical):
    inner = build_pipeline(recipe, params, numeric, categorical)
    return Pipeline([("record", RowRecorder()), *inner.steps])


STEPS = {"columns": [  # every kind of fitted step: imputer, quantile clip, bins, target encoding (cross-fitted)
    {"columns": "x1", "steps": [{"op": "impute", "strategy": "median", "add_indicator": True}, {"op": "clip", "upper_quantile": 0.9},
                                {"op": "bins", "n_bins": 3}, {"op": "polynomial"}]},
    {"dtype": "categorical", "steps": [{"op": "impute", "strategy": "most_frequent"}, {"op": "encode", "method": "target"}]},
]}


@pytest.mark.parametrize(("tuning", "preprocessing"), [({"pruner": "median"}, {}), ({"cv_folds": 3, "pruner": "none"}, {}),
                                                       ({"cv_folds": 3, "pruner": "none"}, STEPS)],
                         ids=["holdout-rounds", "cv-folds", "per-column-steps"])
def test_preprocessing_never_sees_validation_or_test_rows(tuning, preprocessing):
    ts = make_training_set()
    recipe = make_recipe(tuning={"n_trials": 3, **tuning}, preprocessing=preprocessing)
    RowRecorder.fits.clear()
    result = run_search(recipe, ts, budget(3), None, pipeline_factory=recording_pipeline)
    assert result.counts["failed"] == 0
    test_rows = set(ts.part("test").index)
    validation_rows = set(ts.part("validation").index)
    assert RowRecorder.fits, "the recorder was never fitted"
    for rows in RowRecorder.fits:
        assert not rows & test_rows
        if not tuning.get("cv_folds"):
            assert not rows & validation_rows
    if tuning.get("cv_folds"):
        # temporal folds: each fit holds only rows from before the rows it is scored on
        assert all(len(rows) < len(ts.part("train", "validation")) for rows in RowRecorder.fits)


def test_same_seed_and_data_give_the_same_best_params():
    recipe, ts = make_recipe(tuning={"n_trials": 3}), make_training_set(n=300)
    first = run_search(recipe, ts, budget(3), None)
    second = run_search(recipe, ts, budget(3), None)
    assert first.best_params == second.best_params and first.best_value == second.best_value


def test_f1_search_on_rare_positives_does_not_score_zero():
    ts = make_training_set(n=800, positive_rate=0.04, seed=5)
    recipe = make_recipe(tuning={"n_trials": 3, "metric": "f1"})
    result = run_search(recipe, ts, budget(3), None)
    assert result.best_value > 0.2
    assert 0.0 < result.threshold < 0.5  # a 0.5 cut would be too strict for a 4% class


def test_failing_trials_are_recorded_and_do_not_kill_the_study():
    calls = []

    def sometimes_broken(recipe, params, numeric, categorical):
        calls.append(1)
        if len(calls) % 2 == 0:
            raise RuntimeError("disk on fire")
        return build_pipeline(recipe, params, numeric, categorical)

    result = run_search(make_recipe(tuning={"n_trials": 4}), make_training_set(n=300), budget(4), None, pipeline_factory=sometimes_broken)
    assert result.counts == {"complete": 2, "pruned": 0, "failed": 2}
    failed = result.history[result.history["state"] == "FAIL"]
    assert (failed["user_attrs_error"] == "RuntimeError: disk on fire").all()


def test_every_trial_failing_fails_the_search_with_the_error(capfd):
    def broken(*args):
        raise RuntimeError("no such luck\nwith a second line of detail")

    lines = []
    with pytest.raises(TuningFailed) as failed:
        run_search(make_recipe(tuning={"n_trials": 2}), make_training_set(n=200), budget(2), None, pipeline_factory=broken, log=lines.append)
    assert str(failed.value).startswith("every trial failed; first error: RuntimeError: no such luck (study toy__")
    assert [line.split(";")[0] for line in lines] == ["trial 0 fail RuntimeError: no such luck", "trial 1 fail RuntimeError: no such luck"]
    with pytest.raises(TuningFailed):  # without a progress log, each failure is still one line
        run_search(make_recipe(tuning={"n_trials": 2, "seed": 9}), make_training_set(n=200), budget(2), None, pipeline_factory=broken)
    err = capfd.readouterr().err
    assert "Traceback" not in err and err.splitlines() == [f"trial {n} failed: RuntimeError: no such luck" for n in (0, 1)]


def test_regression_with_sklearn_estimator():
    recipe = make_recipe(
        task="regression",
        preprocessing={"categorical": {"encode": "onehot"}},
        model={"class_path": "sklearn.linear_model.Ridge", "params": {}, "search_space": {"alpha": {"type": "float", "low": 0.01, "high": 100, "log": True}}},
        tuning={"metric": "rmse", "n_trials": 3},
    )
    result = run_search(recipe, make_training_set(n=300, task="regression"), budget(3), None)
    assert result.direction == "minimize" and np.isfinite(result.best_value) and result.threshold is None


def test_timeout_is_reported_as_the_stopping_limit():
    result = run_search(make_recipe(tuning={"n_trials": 50}), make_training_set(n=200), budget(50, timeout=0.05), None)
    assert result.stopped_by == "timeout" and result.stopped_by_setting == "tuning.timeout_s"
    assert result.counts["complete"] < 50


def test_search_logs_one_line_per_trial_with_best_so_far():
    lines = []
    run_search(make_recipe(tuning={"n_trials": 2}), make_training_set(n=200), budget(2), None, log=lines.append)
    assert len(lines) == 2 and all("best so far" in line for line in lines)




def test_best_threshold_matches_a_brute_force_search():
    from sklearn.metrics import accuracy_score, f1_score

    from mmp_assets.training.scoring import best_threshold

    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.1).astype(int)
    p = np.round(np.clip(0.3 * y + 0.7 * rng.random(400), 0, 1), 2)  # ties on purpose
    for criterion, score in (("f1", lambda a, b: f1_score(a, b, zero_division=0)), ("accuracy", accuracy_score)):
        cut = best_threshold(y, p, criterion)
        assert score(y, (p >= cut).astype(int)) == max(score(y, (p >= c).astype(int)) for c in np.unique(p))


def test_multiclass_search_with_text_labels():
    ts = make_training_set(n=450)
    frame = ts.frame.assign(is_bad=np.select([ts.frame["x1"] < -0.5, ts.frame["x1"] > 0.5], ["low", "high"], "mid"))
    multi = dataclasses.replace(ts, frame=frame)
    for metric in ("roc_auc", "f1_macro", "log_loss"):
        result = run_search(make_recipe(tuning={"n_trials": 2, "metric": metric}), multi, budget(2), None)
        assert result.counts["complete"] == 2 and result.threshold is None
        assert (0.5 < result.best_value <= 1) if metric != "log_loss" else result.best_value < 1.0
