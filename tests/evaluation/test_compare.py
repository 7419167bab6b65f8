import numpy as np
import pytest

from mmp_assets.evaluation.compare import baseline_scores, paired_comparison
from mmp_assets.evaluation.scores import Scores


def test_baseline_is_the_training_prior():
    base = baseline_scores("classification", np.array([0, 0, 0, 1]), 3)
    assert base.proba.tolist() == [0.25] * 3 and base.prediction.tolist() == [0, 0, 0]
    assert baseline_scores("regression", np.array([1.0, 3.0]), 2).prediction.tolist() == [2.0, 2.0]


def test_model_against_itself_on_the_same_rows_differs_by_exactly_zero():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    scores = Scores((rng.random(300) > 0.5).astype(int), np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1))
    same = paired_comparison("classification", "roc_auc", y, scores, scores, against="itself", resamples=100, seed=0)
    # pairing: each resample scores both sides on identical rows, so every resampled difference is 0
    assert same.difference == 0 and same.interval == (0.0, 0.0) and not same.significant


def test_better_model_is_significant_and_the_sign_follows_the_metric_direction(toy_regression):
    ts, _, predict = toy_regression
    y = ts.y("test").to_numpy()
    ours = Scores(predict(ts.X("test"))["prediction"].to_numpy())
    mean = baseline_scores("regression", ts.y("train").to_numpy(), len(y))
    result = paired_comparison("regression", "rmse", y, ours, mean, against="baseline", resamples=100, seed=0)
    assert result.difference < 0 < result.improvement  # lower rmse is better
    assert result.significant and result.p_value == pytest.approx(0.0)


def test_a_champion_that_cannot_score_the_test_rows_is_a_note_not_a_failure():
    """Every task's report scores the champion through one helper: an old champion needing a column the recipe
    dropped leaves a note (no comparison, relative rule skipped); a working one gives its scores."""
    import pandas as pd

    from mmp_assets.evaluation.scores import champion_scores

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})

    def old_champion(frame: pd.DataFrame):
        return frame["dropped_column"]

    notes: list[str] = []
    assert champion_scores(old_champion, X, "3", notes) is None
    assert notes == ["champion v3 could not score the test rows (KeyError: 'dropped_column'); "
                     "no champion comparison, relative gate rule skipped"]
    working = champion_scores(lambda frame: pd.DataFrame({"prediction": frame["a"] * 2}), X, "4", notes)
    assert working is not None and list(working.prediction) == [2.0, 4.0, 6.0] and len(notes) == 1
