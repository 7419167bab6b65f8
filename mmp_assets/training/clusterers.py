"""Clustering estimators as mmp registers them: every one assigns new rows to the clusters it fitted.

scikit-learn's AgglomerativeClustering labels its training rows and has no `predict`; this subclass
keeps the centroid of each fitted cluster (in the space the model was fitted in, after preprocessing)
and assigns a new row to the nearest one. It is pickled by value into the logged model, like the
pipeline module, so loading the model needs scikit-learn but not mmp.
"""

from __future__ import annotations

import numpy as np
from sklearn import cluster
from sklearn.metrics import pairwise_distances_argmin


class AgglomerativeClustering(cluster.AgglomerativeClustering):
    """sklearn.cluster.AgglomerativeClustering with `predict`: the nearest centroid of the fitted clusters.

    A training row's own cluster and its nearest centroid agree for compact clusters (ward linkage);
    with single or average linkage a chained cluster's centroid can lie nearer another cluster's rows.
    """

    def fit(self, X, y=None):
        super().fit(X)
        rows = np.asarray(X, dtype=float)
        self.cluster_ids_ = np.unique(self.labels_)
        self.cluster_centers_ = np.vstack([rows[self.labels_ == k].mean(axis=0) for k in self.cluster_ids_])
        return self

    def predict(self, X):
        return self.cluster_ids_[pairwise_distances_argmin(np.asarray(X, dtype=float), self.cluster_centers_)]
