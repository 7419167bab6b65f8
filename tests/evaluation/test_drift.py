import numpy as np
import pandas as pd

from mmp_assets.evaluation.drift import detect_drift
from mmp_assets.evaluation.psi import psi
from tests.evaluation.conftest import synthetic_frame

NUMERIC, CATEGORICAL = ["strong", "weak", "noise"], ["channel"]


def test_drift_detected_on_a_shifted_copy_and_not_on_a_resample():
    reference = synthetic_frame(2000, seed=5)
    resample = reference.sample(1000, replace=True, random_state=1)
    shifted = resample.copy()
    shifted["strong"] = shifted["strong"] + 1.0
    shifted["channel"] = np.where(np.arange(len(shifted)) % 2 == 0, "online", shifted["channel"])

    calm = detect_drift(reference, resample, numeric=NUMERIC, categorical=CATEGORICAL, p_value=0.01)
    moved = detect_drift(reference, shifted, numeric=NUMERIC, categorical=CATEGORICAL, p_value=0.01)

    assert not calm.features["drifted"].any() and calm.share_drifted == 0
    assert calm.breaches(share_drifted_max=0.3, psi_max=0.2) == []
    drifted = set(moved.features.loc[moved.features["drifted"], "feature"])
    assert drifted == {"strong", "channel"} and moved.share_drifted == 0.5
    breaches = moved.breaches(share_drifted_max=0.3, psi_max=0.2)
    assert any("50% of features drifted" in b for b in breaches) and any("PSI of strong" in b for b in breaches)
    assert "<html" in moved.html.lower()


def test_psi_is_near_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=5000), rng.normal(size=5000)
    assert psi(a, b) < 0.02
    assert psi(a, b + 1.0) > 0.2
    assert psi(np.array(["x"] * 50 + ["y"] * 50), np.array(["x"] * 90 + ["y"] * 10), categorical=True) > 0.2
    assert psi(np.ones(10), np.ones(10)) == 0.0
