"""The clustering report on a synthetic training set: sizes, profiles, shuffled baseline, gate, degenerate models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_blobs
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mmp_assets.evaluation.clustering import build_clustering_report
from mmp_assets.evaluation.render import render_card
from mmp_assets.evaluation.report import ModelUnderTest
from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.training.clustering import DegenerateClustering, held_out_score
from mmp_assets.catalog.metrics import get_metric

CONTEXT = ModelUnderTest("1", "run", "me", "code", 1, "hash", {})


def _recipe(**evaluation) -> ModelRecipe:
    return ModelRecipe.model_validate({
        "name": "segments", "description": "d", "owner": "team:t", "task": "clustering",
        "spine": {"source": "s", "columns": ["x", "y", "kind"]}, "split": {"strategy": "random"},
        "model": {"class_path": "sklearn.cluster.KMeans", "search_space": {"n_clusters": {"type": "int", "low": 2, "high": 4}}},
        "tuning": {"metric": "silhouette"}, "evaluation": {"bootstrap": 0, **evaluation},
    })


@pytest.fixture(scope="module")
def data():
    X, truth = make_blobs(n_samples=240, centers=3, n_features=2, random_state=4)
    frame = pd.DataFrame({"x": X[:, 0], "y": X[:, 1], "kind": np.where(truth == 0, "a", "b").astype(object)})
    frame["split"] = np.repeat(["train", "validation", "test"], [160, 20, 60])
    training_set = TrainingSet("segments", 1, "hash", frame, [], None, None, ["x", "y", "kind"], ["kind"])
    preprocess = ColumnTransformer([("n", StandardScaler(), ["x", "y"]), ("c", OneHotEncoder(), ["kind"])])
    pipe = Pipeline([("preprocess", preprocess), ("model", KMeans(3, n_init=4, random_state=0))]).fit(training_set.X("train"))
    return training_set, pipe


def _predictor(pipe):
    return lambda X: pd.DataFrame({"prediction": pipe.predict(X)}, index=X.index)


def test_report_has_metrics_sizes_profiles_baseline_and_gate(data) -> None:
    training_set, pipe = data
    report = build_clustering_report(_recipe(gate={"silhouette": ">= 0.5"}), training_set, _predictor(pipe), context=CONTEXT,
                                     explainable=pipe)
    assert set(report.metrics.values) == {"silhouette", "davies_bouldin", "calinski_harabasz"}
    clusters = report.metrics.diagnostics["clusters"]
    assert sum(p["rows"] for p in clusters["profiles"]) == 60 and clusters["columns"] == ["x", "y", "kind"]
    baseline = report.comparisons[0]
    assert baseline.against == "baseline (same cluster sizes, shuffled)" and baseline.improvement > 0.3
    assert report.gate.passed, report.gate.checks
    assert report.drift is not None
    # SHAP through a surrogate forest on the model's cluster ids, with its agreement stated
    note = next(n for n in report.notes if n.startswith("SHAP explains a surrogate"))
    agreement = float(note.rsplit(" on ", 1)[1].split("%")[0]) / 100
    assert agreement >= 0.9, note
    assert set(report.explanation.importance["feature"]) == {"x", "y", "kind"} and "shap_summary" in report.figures
    card = render_card(report)
    assert "## Clusters (test split)" in card and "| cluster | rows | share | x | y | kind |" in card


def test_one_cluster_on_the_test_rows_is_a_warning_and_fails_the_gate(data) -> None:
    training_set, pipe = data
    one = lambda X: pd.DataFrame({"prediction": np.zeros(len(X), dtype=int)}, index=X.index)  # noqa: E731
    report = build_clustering_report(_recipe(), training_set, one, context=CONTEXT, explainable=pipe)
    assert report.metrics.values == {}
    assert "warning: the model put the 60 test rows in 1 cluster(s); every clustering metric is undefined, so the gate fails" in report.notes
    assert not report.gate.passed
    assert report.gate.checks[0]["message"].startswith("silhouette is not computed, not better than the naive baseline")


def test_a_trial_whose_held_out_rows_fall_in_one_cluster_fails_with_the_reason(data) -> None:
    training_set, pipe = data
    same = pd.DataFrame({"x": [0.0] * 5, "y": [0.0] * 5, "kind": ["a"] * 5})
    with pytest.raises(DegenerateClustering, match="^all 5 held-out rows fell in one cluster; silhouette is undefined for one cluster$"):
        held_out_score(pipe, same, get_metric("silhouette", "clustering"))
