import numpy as np
import pytest
from sklearn import metrics as skm

from mmp_assets.evaluation.metrics import bootstrap_interval, compute, diagnostics, metric_names
from mmp_assets.evaluation.scores import Scores

Y = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1])
P = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.7, 0.55, 0.05, 0.3, 0.45])
LABELS = (P >= 0.5).astype(int)


def test_classification_metrics_match_scikit_learn():
    names = metric_names("classification", ["accuracy"], "roc_auc")
    values = compute("classification", names, Y, Scores(LABELS, P))
    assert values["roc_auc"] == pytest.approx(skm.roc_auc_score(Y, P))
    assert values["pr_auc"] == pytest.approx(skm.average_precision_score(Y, P))
    assert values["log_loss"] == pytest.approx(skm.log_loss(Y, P))
    assert values["brier"] == pytest.approx(skm.brier_score_loss(Y, P))
    assert values["f1"] == pytest.approx(skm.f1_score(Y, LABELS))
    assert values["precision"] == pytest.approx(skm.precision_score(Y, LABELS))
    assert values["recall"] == pytest.approx(skm.recall_score(Y, LABELS))
    assert values["accuracy"] == pytest.approx(skm.accuracy_score(Y, LABELS))
    assert list(values)[0] == "roc_auc"  # the headline leads the table


def test_regression_metrics_and_residuals_match_scikit_learn():
    y = np.array([3.0, 5.0, 2.5, 7.0, 4.0])
    pred = np.array([2.5, 5.5, 2.0, 8.0, 4.5])
    values = compute("regression", metric_names("regression", [], "rmse"), y, Scores(pred))
    assert values["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)))
    assert values["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert values["r2"] == pytest.approx(skm.r2_score(y, pred))
    residuals = diagnostics("regression", y, Scores(pred))["residuals"]
    assert residuals["mean"] == pytest.approx(np.mean(y - pred))
    assert residuals["max_abs"] == pytest.approx(1.0)


def test_confusion_matrix_and_calibration_curve():
    found = diagnostics("classification", Y, Scores(LABELS, P), bins=3)
    assert found["confusion_matrix"]["matrix"] == skm.confusion_matrix(Y, LABELS).tolist()
    assert len(found["calibration"]["mean_predicted"]) == 3


def test_bootstrap_interval_is_seeded_and_brackets_the_point_value():
    scores = Scores(LABELS, P)
    first = bootstrap_interval("classification", "roc_auc", Y, scores, resamples=200, seed=1)
    again = bootstrap_interval("classification", "roc_auc", Y, scores, resamples=200, seed=1)
    assert first == again
    assert first[0] <= skm.roc_auc_score(Y, P) <= first[1]
    assert bootstrap_interval("classification", "roc_auc", Y, scores, resamples=0, seed=1) is None


def test_probability_metrics_are_left_out_when_the_model_gives_none():
    values = compute("classification", ["roc_auc", "f1"], Y, Scores(LABELS))
    assert set(values) == {"f1"}
