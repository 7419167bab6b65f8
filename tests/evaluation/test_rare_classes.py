"""Classes the rows at hand miss: a 2% class that a bootstrap resample, a backtest window or a tuning fold
leaves out, and text labels, are scored against the task's full class list (never a crash, never a column short)."""

import numpy as np
import pytest

from mmp_assets.catalog.metrics import get_metric
from mmp_assets.evaluation.compare import baseline_scores
from mmp_assets.evaluation.metrics import compute
from mmp_assets.evaluation.report import build_report
from mmp_assets.evaluation.run import _window_fit
from mmp_assets.evaluation.scores import Scores
from mmp_assets.training.final import fit_final
from mmp_assets.training.scoring import align_outputs, score_outputs
from tests.evaluation.conftest import CONTEXT, multiclass, pyfunc, recipe_for, synthetic_frame, training_set, with_model

HGB = {"class_path": "sklearn.ensemble.HistGradientBoostingClassifier", "params": {"max_iter": 15, "random_state": 0}}
METRICS = ["roc_auc", "pr_auc", "log_loss", "brier", "f1", "f1_weighted", "accuracy"]


def report_for(shares, names, **evaluation):
    frame = multiclass(synthetic_frame(600, seed=4), shares=shares, names=names)
    # labels spread over time, so the rare class lands in every split but not in every resample or window
    frame = frame.sample(frac=1, random_state=1).assign(event_time=frame["event_time"].to_numpy())
    ts = training_set(frame)
    recipe = with_model(recipe_for(metrics=METRICS, **{"bootstrap": 60, "shap_sample": 20, **evaluation}), **HGB)
    model = fit_final(recipe, ts, {})
    fit = _window_fit(recipe, ts, {}) if recipe.evaluation.backtest else None
    return ts, build_report(recipe, ts, pyfunc(model), context=CONTEXT, explainable=model if fit else None, fit=fit)


@pytest.fixture(scope="module")
def rare_reports():
    """A 2% class, with integer and with text labels: every section of the report, backtest included."""
    return {kind: report_for((0.6, 0.38, 0.02), names, backtest={"windows": 3}, bootstrap=30)
            for kind, names in (("integer", (0, 1, 2)), ("text", ("alpha", "beta", "gamma")))}


@pytest.mark.parametrize("kind", ["integer", "text"])
def test_a_two_percent_class_is_scored_everywhere(rare_reports, kind):
    ts, report = rare_reports[kind]
    rare = ts.frame["label"].unique()[np.argmin(ts.frame["label"].value_counts(sort=False).to_numpy())]
    assert 0 < (ts.frame["label"] == rare).sum() < 0.03 * len(ts.frame)
    assert set(METRICS) <= set(report.metrics.values) and report.metrics.interval is not None
    assert all(c.interval is not None for c in report.comparisons)
    assert report.backtest["roc_auc"].notna().all()
    assert report.metrics.diagnostics["confusion_matrix"]["labels"] == sorted(str(v) for v in ts.frame["label"].unique())


def test_text_and_integer_labels_give_the_same_numbers(rare_reports):
    (_, by_int), (_, by_text) = rare_reports["integer"], rare_reports["text"]
    assert by_text.metrics.values == pytest.approx(by_int.metrics.values)
    assert by_text.metrics.interval == pytest.approx(by_int.metrics.interval)
    _, binary_int = report_for((0.5, 0.5), (0, 1), bootstrap=20)
    _, binary_text = report_for((0.5, 0.5), ("alpha", "beta"), bootstrap=20)  # binary text labels had no pos_label
    assert binary_text.metrics.values == pytest.approx(binary_int.metrics.values)


def test_a_class_the_model_or_the_baseline_never_saw_gets_zero_probability():
    labels = ["a", "b", "c"]
    y = np.array(["a", "b", "c", "a", "b"])
    two_columns = Scores(np.array(["a", "b", "b", "a", "b"]), np.array([[.9, .1], [.2, .8], [.3, .7], [.6, .4], [.4, .6]]), ("a", "b"))
    values = compute("classification", ["roc_auc", "log_loss", "f1"], y, two_columns, labels)
    assert set(values) == {"roc_auc", "log_loss", "f1"}
    base = baseline_scores("classification", np.array(["a", "a", "b"]), 5, labels)
    assert base.proba.shape == (5, 3) and base.proba[0, 2] == 0


def test_a_tuning_fold_whose_model_never_saw_a_class_still_scores():
    outputs, classes = align_outputs(np.array([[.7, .3], [.2, .8], [.5, .5]]), [0, 1], [0, 1, 2])
    assert outputs.shape == (3, 3) and list(classes) == [0, 1, 2]
    for name in ("roc_auc", "log_loss", "f1_macro"):
        assert np.isfinite(score_outputs(get_metric(name, "classification"), "classification", classes, [0, 2, 1], outputs))


def test_a_class_absent_from_every_test_row_leaves_the_one_vs_rest_averages_defined():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b"], 80)  # class "c" exists in training but not among these rows
    scores = Scores(np.where(rng.random(80) < .5, "a", "b"), rng.dirichlet([1, 1, 1], 80), ("a", "b", "c"))
    values = compute("classification", ["roc_auc", "pr_auc"], y, scores, ["a", "b", "c"])
    by_class = [roc_auc_score(y == c, scores.proba[:, i]) for i, c in enumerate("ab")]
    assert values["roc_auc"] == pytest.approx(np.mean(by_class)) and 0 < values["pr_auc"] < 1
