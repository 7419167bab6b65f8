"""What mmp knows about clustering: the estimators a `task: clustering` recipe may name, and its metrics.

A registered model must assign *new* rows to the clusters it found, so only estimators with a
sensible `predict` are offered: KMeans / MiniBatchKMeans (nearest centroid), GaussianMixture (most
probable component) and AgglomerativeClustering, which has no `predict` of its own and assigns a new
row to the nearest centroid of the clusters it fitted (mmp_assets/training/clusterers.py). DBSCAN and
HDBSCAN label training rows only (and call some of them noise), so they are refused.

The metrics read the rows as the model sees them (after preprocessing) and the cluster ids; their
`y_true` slot holds that feature matrix. Silhouette is computed on a seeded sample of at most
`SILHOUETTE_SAMPLE` rows, so it stays cheap and deterministic on large sets.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

SILHOUETTE_SAMPLE = 2000
SILHOUETTE_SEED = 0


@dataclass(frozen=True)
class Clusterer:
    size_param: str  # the constructor argument that sets how many clusters are fitted
    default_size: int  # its scikit-learn default, used when the recipe neither fixes nor tunes it
    assigns_new_rows: str  # how the registered model clusters a row it was not fitted on, for docs and `mmp list`


CLUSTERERS: dict[str, Clusterer] = {
    "sklearn.cluster.KMeans": Clusterer("n_clusters", 8, "nearest centroid"),
    "sklearn.cluster.MiniBatchKMeans": Clusterer("n_clusters", 8, "nearest centroid"),
    "sklearn.mixture.GaussianMixture": Clusterer("n_components", 1, "most probable mixture component"),
    "sklearn.cluster.AgglomerativeClustering": Clusterer("n_clusters", 2, "nearest centroid of the fitted clusters"),
}


def _skm():
    return importlib.import_module("sklearn.metrics")


def _np():
    return importlib.import_module("numpy")


def n_clusters_defined(ids) -> bool:
    """Whether cluster-quality metrics are defined: 2 .. n-1 distinct ids (one cluster, or every row its
    own cluster, leaves silhouette, Davies–Bouldin and Calinski–Harabasz undefined)."""
    k = len(_np().unique(ids))
    return 2 <= k <= len(ids) - 1


def silhouette(X, ids, labels=None) -> float:
    np = _np()
    if not n_clusters_defined(ids):
        return float("nan")
    sample = SILHOUETTE_SAMPLE if len(ids) > SILHOUETTE_SAMPLE else None
    return float(_skm().silhouette_score(np.asarray(X, dtype=float), ids, sample_size=sample, random_state=SILHOUETTE_SEED))


def davies_bouldin(X, ids, labels=None) -> float:
    if not n_clusters_defined(ids):
        return float("nan")
    return float(_skm().davies_bouldin_score(_np().asarray(X, dtype=float), ids))


def calinski_harabasz(X, ids, labels=None) -> float:
    if not n_clusters_defined(ids):
        return float("nan")
    return float(_skm().calinski_harabasz_score(_np().asarray(X, dtype=float), ids))
