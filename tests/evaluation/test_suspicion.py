"""The suspicion check names the feature that alone determines the label on training rows, and a near-perfect
test metric; ordinary data passes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmp_assets.evaluation.suspicion import suspicion

RNG = np.random.default_rng(0)
N = 300
Y = (RNG.random(N) < 0.3).astype(int)
TRAIN = pd.DataFrame({
    "amount": RNG.lognormal(3, 1, N) + 20 * Y,  # informative, not decisive
    "chargeback_amount": Y * 3.0 + 1,  # the label in disguise
    "channel": RNG.choice(["pos", "web"], N),
    "status": np.where(Y == 1, "disputed", "settled"),
    "user": [f"u{i}" for i in range(N)],  # an id: never "determines" anything
    "is_fraud": Y,
})


def test_a_feature_that_determines_the_label_and_a_perfect_metric_are_named():
    passed, line, _ = suspicion(TRAIN, ["amount", "chargeback_amount"], ["channel", "user"], "is_fraud", "classification",
                                {"roc_auc": 1.0, "log_loss": 0.01})
    assert not passed
    assert line == ("suspicious: feature 'chargeback_amount' (AUC 1.000) alone all but determines 'is_fraud' on the training rows; "
                    "test roc_auc 1.000 is near-perfect: a feature that determines the label is usually the label in disguise "
                    "(leakage); look before promoting")


def test_a_categorical_feature_that_determines_the_label_is_named():
    passed, line, _ = suspicion(TRAIN, ["amount"], ["channel", "status", "user"], "is_fraud", "classification", {"roc_auc": 0.8})
    assert not passed
    assert line.startswith("suspicious: feature 'status' (entropy explained 1.000) alone all but determines 'is_fraud'")


def test_a_regression_feature_that_is_a_monotone_copy_of_the_label_is_named():
    frame = pd.DataFrame({"x": RNG.random(N), "y": RNG.random(N) * 100})
    frame["copy"] = np.log1p(frame["y"])
    passed, line, _ = suspicion(frame, ["x", "copy"], [], "y", "regression", {"r2": 0.5})
    assert not passed and line.startswith("suspicious: feature 'copy' (|spearman| 1.000) alone all but determines 'y'")


def test_ordinary_features_and_metrics_pass():
    passed, line, measured = suspicion(TRAIN, ["amount"], ["channel", "user"], "is_fraud", "classification", {"roc_auc": 0.9})
    assert passed
    assert line == "no feature alone determines the label on the training rows; test metrics are not near-perfect"
    assert [a.feature for a in measured] == ["amount", "channel"]
    assert 0.5 < measured[0].value < 0.99
