"""Qini coefficient, AUUC, uplift@30% and the decile table, recomputed independently of mmp's code.

Three independent references: numbers worked out by hand on six rows (in the comments), a direct
loop over every cut-off written from the definitions in docs/evaluation.md (no shared code with
mmp_assets.catalog.uplift_metrics), and values scikit-uplift 0.5.1 returned on the same seeded arrays
(`sklift.metrics.qini_auc_score` / `uplift_auc_score` / `uplift_at_k(strategy="overall", k=0.3)`, run
once with the wheel unpacked beside the venv; the library is not a dependency, see docs/decisions.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from mmp_assets.catalog.metrics import get_metric, metrics_for
from mmp_assets.catalog.uplift_metrics import auuc, qini_coefficient, qini_curve, uplift_at_30, uplift_by_decile


def _direct_area(y, t, scores, kind: str) -> float:
    """Area under the Qini / uplift curve by a plain loop: one point per distinct score, k = rows scored >= it."""
    points = [(0.0, 0.0)]
    for cut in sorted(set(scores.tolist()), reverse=True):
        top = scores >= cut
        n_t, n_c = int(np.sum(top & (t == 1))), int(np.sum(top & (t == 0)))
        y_t, y_c = float(np.sum(y[top & (t == 1)])), float(np.sum(y[top & (t == 0)]))
        if kind == "qini":
            value = y_t - (y_c * n_t / n_c if n_c else 0.0)
        else:
            value = ((y_t / n_t if n_t else 0.0) - (y_c / n_c if n_c else 0.0)) * (n_t + n_c)
        points.append((float(n_t + n_c), value))
    area = sum((x2 - x1) * (v1 + v2) / 2 for (x1, v1), (x2, v2) in zip(points, points[1:]))
    return area - points[-1][0] * points[-1][1] / 2  # minus the straight line of random targeting


def _direct(y, t, u, kind: str) -> float:
    if kind == "qini":
        perfect = y * t - y * (1 - t)
    else:
        summand = y if np.sum((y == 1) & (t == 0)) > np.sum((y == 0) & (t == 1)) else t
        perfect = 2 * (y == t) + summand
    return _direct_area(y, t, u, kind) / _direct_area(y, t, perfect.astype(float), kind)


Y = np.array([1, 0, 1, 0, 0, 1])
T = np.array([1, 1, 0, 0, 1, 0])
U = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])


def test_hand_computed_six_rows() -> None:
    y2 = np.column_stack([Y, T])
    # Qini curve at k = 0..6: 0, 1, 1, 1 - 1*2/1 = -1, 1 - 1*2/2 = 0, 1 - 1*3/2 = -0.5, 1 - 2*3/3 = -1
    x, q = qini_curve(y2, U)
    assert x.tolist() == [0, 1, 2, 3, 4, 5, 6] and q.tolist() == [0, 1, 1, -1, 0, -0.5, -1]
    # area 0, random line -3 -> 3; perfect ranking (scores 1, 0, -1, 0, 0, -1): points (1, 1), (4, 1), (6, -1),
    # area 3.5, minus -3 -> 6.5; Qini = 3 / 6.5
    assert qini_coefficient(y2, U) == pytest.approx(3 / 6.5)
    # uplift curve 0, 1, 1, -1.5, 0, -5/6, -2: area -4/3, random -6 -> 14/3; perfect (scores 3, 1, 0, 2, 1, 0):
    # points (1, 1), (2, 2), (4, 4/3), (6, -2), area 14/3, minus -6 -> 32/3; AUUC = 14/32
    assert auuc(y2, U) == pytest.approx(14 / 32)
    # top 30% = int(0.3 * 6) = 1 row, treated only: undefined
    assert np.isnan(uplift_at_30(y2, U))


def test_matches_a_direct_loop_with_ties() -> None:
    rng = np.random.default_rng(5)
    for _ in range(5):
        n = int(rng.integers(40, 200))
        t, y = rng.integers(0, 2, n), rng.integers(0, 2, n)
        u = np.round(rng.normal(size=n), 1)  # many ties
        y2 = np.column_stack([y, t])
        assert qini_coefficient(y2, u) == pytest.approx(_direct(y, t, u, "qini"))
        assert auuc(y2, u) == pytest.approx(_direct(y, t, u, "uplift"))


def test_matches_scikit_uplift_values() -> None:
    rng = np.random.default_rng(0)
    n = 200
    t, y, u = rng.integers(0, 2, n), rng.integers(0, 2, n), np.round(rng.normal(size=n), 1)
    y2 = np.column_stack([y, t])
    assert qini_coefficient(y2, u) == pytest.approx(SKLIFT_QINI, abs=1e-12)
    assert auuc(y2, u) == pytest.approx(SKLIFT_AUUC, abs=1e-12)
    assert uplift_at_30(y2, u) == pytest.approx(SKLIFT_AT_30, abs=1e-12)
    assert qini_coefficient(np.column_stack([Y, T]), U) == pytest.approx(SKLIFT_HAND_QINI, abs=1e-12)
    assert auuc(np.column_stack([Y, T]), U) == pytest.approx(SKLIFT_HAND_AUUC, abs=1e-12)


def test_random_targeting_scores_zero_and_perfect_one() -> None:
    rng = np.random.default_rng(1)
    t, y = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    y2 = np.column_stack([y, t])
    assert qini_coefficient(y2, np.zeros(300)) == pytest.approx(0.0)  # all tied: the straight line
    assert auuc(y2, np.zeros(300)) == pytest.approx(0.0)
    assert qini_coefficient(y2, (y * t - y * (1 - t)).astype(float)) == pytest.approx(1.0)
    assert qini_coefficient(y2, -(y * t - y * (1 - t)).astype(float)) < 0  # reversed ranking


def test_decile_table_counts_and_rates() -> None:
    rng = np.random.default_rng(2)
    t, y, u = rng.integers(0, 2, 95), rng.integers(0, 2, 95), rng.normal(size=95)
    table = uplift_by_decile(np.column_stack([y, t]), u)
    order = np.argsort(u, kind="mergesort")[::-1]
    parts = np.array_split(order, 10)
    assert [row["rows"] for row in table] == [len(p) for p in parts]
    for row, part in zip(table, parts):
        treated, control = part[t[part] == 1], part[t[part] == 0]
        assert row["n_treatment"] == len(treated) and row["n_control"] == len(control)
        assert row["observed_uplift"] == pytest.approx(y[treated].mean() - y[control].mean())
        assert row["mean_predicted_uplift"] == pytest.approx(u[part].mean())


def test_catalog_lists_uplift_metrics() -> None:
    assert metrics_for("uplift") == ["qini", "auuc", "uplift_at_30"]
    assert get_metric("qini", "uplift").direction == "maximize"
    with pytest.raises(ValueError, match="unknown uplift metric 'roc_auc'; allowed: qini, auuc, uplift_at_30"):
        get_metric("roc_auc", "uplift")


# scikit-uplift 0.5.1 on the arrays above (see the module docstring)
SKLIFT_QINI = -0.10547098517308622
SKLIFT_AUUC = -0.1448010512189239
SKLIFT_AT_30 = -0.0073260073260073
SKLIFT_HAND_QINI = 0.46153846153846156
SKLIFT_HAND_AUUC = 0.43749999999999994
