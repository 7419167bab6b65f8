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


def test_a_column_empty_on_one_side_is_drift_and_empty_on_both_is_not_an_error():
    reference = synthetic_frame(1000, seed=5)
    current = reference.sample(500, replace=True, random_state=2).copy()
    reference["gone"], current["gone"] = 1.0, np.nan  # the feed broke: every current value missing
    reference["never"], current["never"] = np.nan, np.nan
    result = detect_drift(reference, current, numeric=[*NUMERIC, "gone", "never"], categorical=CATEGORICAL, p_value=0.01)
    rows = result.features.set_index("feature")
    assert rows.loc["gone", "drifted"] and rows.loc["gone", "method"] == "all null on one side"
    assert not rows.loc["never", "drifted"] and rows.loc["never", "method"] == "all null"
    assert not rows.loc[NUMERIC, "drifted"].any()
