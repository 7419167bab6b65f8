"""Clustering metrics, the agglomerative model's predict, cluster profiles and the shuffled baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import AgglomerativeClustering as SkAgglomerative
from sklearn.datasets import make_blobs
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from mmp_assets.catalog.clustering import SILHOUETTE_SAMPLE
from mmp_assets.catalog.metrics import get_metric, metrics_for
from mmp_assets.evaluation.clustering import cluster_profiles, cluster_values, permutation_baseline
from mmp_assets.training.clusterers import AgglomerativeClustering


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(n_samples=300, centers=3, n_features=4, random_state=0)


def test_catalog_lists_three_metrics_with_directions() -> None:
    assert metrics_for("clustering") == ["silhouette", "davies_bouldin", "calinski_harabasz"]
    assert [get_metric(m, "clustering").direction for m in metrics_for("clustering")] == ["maximize", "minimize", "maximize"]


def test_metrics_equal_sklearn(blobs) -> None:
    X, ids = blobs
    assert get_metric("silhouette", "clustering")(X, ids) == pytest.approx(silhouette_score(X, ids))
    assert get_metric("davies_bouldin", "clustering")(X, ids) == pytest.approx(davies_bouldin_score(X, ids))
    assert get_metric("calinski_harabasz", "clustering")(X, ids) == pytest.approx(calinski_harabasz_score(X, ids))


def test_silhouette_is_sampled_deterministically_on_large_sets() -> None:
    X, ids = make_blobs(n_samples=SILHOUETTE_SAMPLE + 500, centers=4, random_state=1)
    metric = get_metric("silhouette", "clustering")
    first, second = metric(X, ids), metric(X, ids)
    assert first == second
    assert first == pytest.approx(silhouette_score(X, ids, sample_size=SILHOUETTE_SAMPLE, random_state=0))
    assert first == pytest.approx(silhouette_score(X, ids), abs=0.02)


@pytest.mark.parametrize("ids", [np.zeros(50, dtype=int), np.arange(50)], ids=["one cluster", "one per row"])
def test_degenerate_partitions_are_undefined_not_zero(blobs, ids) -> None:
    X = blobs[0][:50]
    for name in metrics_for("clustering"):
        assert np.isnan(get_metric(name, "clustering")(X, ids)), name
    assert cluster_values(metrics_for("clustering"), X, ids) == {}


def test_agglomerative_predicts_nearest_fitted_centroid(blobs) -> None:
    X, _ = blobs
    model = AgglomerativeClustering(n_clusters=3).fit(X)
    assert (model.labels_ == SkAgglomerative(n_clusters=3).fit(X).labels_).all()
    centroids = np.vstack([X[model.labels_ == k].mean(axis=0) for k in range(3)])
    assert np.allclose(model.cluster_centers_, centroids)
    new = X[:20] + 0.01
    expected = np.argmin(((new[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
    assert (model.predict(new) == expected).all()
    assert (model.predict(X) == model.labels_).mean() > 0.95  # compact blobs: centroids agree with the fitted clusters


def test_profiles_give_sizes_means_and_top_categories() -> None:
    X = pd.DataFrame({"x": [1.0, 3.0, 10.0, None], "c": ["a", "a", "b", None]})
    ids = np.array([0, 0, 1, 1])
    profiles = cluster_profiles(X, ids, ["x"], ["c"])
    assert profiles["columns"] == ["x", "c"]
    first, second = profiles["profiles"]
    assert (first["cluster"], first["rows"], first["share"]) == ("0", 2, 0.5)
    assert first["values"] == {"x": "2", "c": "a (100%)"}
    assert second["values"] == {"x": "10", "c": "b (50%)"}


def test_shuffled_baseline_keeps_sizes_and_loses_to_real_clusters(blobs) -> None:
    X, ids = blobs
    ours = get_metric("silhouette", "clustering")(X, ids)
    comparison = permutation_baseline("silhouette", X, ids, ours, seed=0)
    assert abs(comparison.theirs) < 0.05  # random clusters of the same sizes have no structure
    assert comparison.improvement > 0.5 and comparison.significant and comparison.p_value == pytest.approx(1 / 50)
    again = permutation_baseline("silhouette", X, ids, ours, seed=0)
    assert again == comparison
    worse = permutation_baseline("davies_bouldin", X, ids, get_metric("davies_bouldin", "clustering")(X, ids), seed=0)
    assert worse.improvement > 0 and worse.theirs > worse.ours  # minimised: improvement is signed so positive is better
