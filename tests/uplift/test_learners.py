"""The S-, T- and X-learners find a known heterogeneous effect, over the example's generated experiment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression

from mmp_assets.catalog.uplift_metrics import qini_coefficient
from mmp_assets.training.uplift import MetaLearner, split_target

from .conftest import example_module

FEATURES = ["tenure", "spend", "visits", "is_b"]


def _data(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    frame = example_module().promo_frame(rows, seed)
    X = frame[["tenure", "spend", "visits"]].assign(is_b=(frame["segment"] == "b").astype(float))
    return X, frame[["converted", "treated"]].to_numpy(float), frame["true_effect"].to_numpy()


@pytest.fixture(scope="module")
def experiment():
    return _data(3000, 1), _data(1500, 2)


def _forest():
    return RandomForestClassifier(n_estimators=60, min_samples_leaf=40, max_depth=5, random_state=0, n_jobs=1)


@pytest.mark.parametrize("learner", ["s", "t", "x", "x_fitted_propensity"])
def test_learner_ranks_the_true_effect(experiment, learner: str) -> None:
    (X, y2, _), (X_new, y2_new, effect_new) = experiment
    kind, propensity = learner[0], (None if learner.endswith("propensity") else 0.5 if learner == "x" else None)
    effect_model = RandomForestRegressor(n_estimators=60, min_samples_leaf=40, max_depth=5, random_state=0, n_jobs=1)
    model = MetaLearner(kind, _forest(), effect_model if kind == "x" else None, propensity).fit(X, y2)
    uplift = model.predict(X_new)
    control, treated = model.predict_outcomes(X_new)
    assert uplift.shape == control.shape == treated.shape == (len(X_new),)
    assert ((control >= 0) & (control <= 1) & (treated >= 0) & (treated <= 1)).all()
    if kind != "x":
        assert np.allclose(uplift, treated - control)
    # the model's ranking follows the true effect: top decile by predicted uplift has a far larger true effect
    order = np.argsort(-uplift)
    top, bottom = effect_new[order[: len(order) // 10]].mean(), effect_new[order[-len(order) // 10:]].mean()
    assert top > bottom + 0.1, (top, bottom)
    assert np.corrcoef(uplift, effect_new)[0, 1] > 0.5
    # Qini is normalised by the ranking of the realised outcomes, so even the true effect scores far below 1 here
    assert qini_coefficient(y2_new, uplift) > 0.5 * qini_coefficient(y2_new, effect_new) > 0
    if learner == "x_fitted_propensity":  # a fitted classifier of the treatment: close to the 0.5 of the experiment
        assert abs(model.propensity_of(X_new).mean() - 0.5) < 0.05


def test_an_arm_with_one_outcome_is_a_constant_model() -> None:
    X = pd.DataFrame({"a": np.arange(40.0)})
    y2 = np.column_stack([np.r_[np.zeros(20), np.arange(20) % 2], np.r_[np.zeros(20), np.ones(20)]])
    model = MetaLearner("t", LogisticRegression()).fit(X, y2)
    control, _ = model.predict_outcomes(X)
    assert (control == 0).all()  # every control row had outcome 0


def test_refuses_a_single_arm_and_a_one_column_target() -> None:
    X = pd.DataFrame({"a": np.arange(10.0)})
    with pytest.raises(ValueError, match="an uplift model needs treated and control rows; got 10 treated, 0 control"):
        MetaLearner("t", LogisticRegression()).fit(X, np.column_stack([np.arange(10) % 2, np.ones(10)]))
    with pytest.raises(ValueError, match=r"an uplift model is fitted on an \(n, 2\) \[outcome, treatment\] target; got shape \(10,\)"):
        split_target(np.zeros(10))
