"""XGBoost's scikit-learn classifier takes labels 0..k-1 only; a recipe's labels may be text or any integers.

Imported only when a recipe names xgboost.XGBClassifier (it imports XGBoost), and pickled by value into
the logged model like the pipeline module, so loading the model needs XGBoost but not mmp.
"""

from __future__ import annotations

import numpy as np
import xgboost
from sklearn.preprocessing import LabelEncoder


class XGBClassifier(xgboost.XGBClassifier):
    """xgboost.XGBClassifier that encodes the labels in `fit` and answers in them: `classes_`, `predict`."""

    def fit(self, X, y, **kwargs):
        encoder = LabelEncoder().fit(np.asarray(y))
        self.__dict__.pop("label_encoder_", None)  # XGBoost checks classes_ against 0..k-1 while it fits
        super().fit(X, encoder.transform(np.asarray(y)), **kwargs)
        self.label_encoder_ = encoder
        return self

    def predict(self, X, **kwargs):
        return self.label_encoder_.inverse_transform(np.asarray(super().predict(X, **kwargs)).astype(int))

    @property
    def classes_(self) -> np.ndarray:
        encoder = self.__dict__.get("label_encoder_")
        return np.arange(self.n_classes_) if encoder is None else encoder.classes_
