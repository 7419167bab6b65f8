"""Uplift metrics, as scikit-uplift 0.5.1 defines them (binary outcome, binary treatment).

Rows are ranked by predicted uplift, highest first; tied scores enter together (one curve point per
distinct score). After the first k rows, with N_T, N_C treated / control rows and Y_T, Y_C their
positive outcomes:

- Qini curve:   Q(k) = Y_T(k) - Y_C(k) * N_T(k) / N_C(k)    (0 when N_C(k) = 0)
- uplift curve: U(k) = (Y_T(k) / N_T(k) - Y_C(k) / N_C(k)) * k (each ratio 0 when its arm is empty)

Both curves start at (0, 0). Random targeting is the straight line from (0, 0) to the curve's end
point. The *Qini coefficient* (`qini`) and the *AUUC* (`auuc`) are the area between the model's
curve and that line, divided by the area between the perfect curve and that line (trapezoids):
random targeting scores 0, the perfect ranking 1, a reversed one below 0. The perfect Qini ranking
scores y*t - y*(1-t) (treated responders first, control responders last: negative effects kept);
the perfect uplift ranking scores 2*(y == t) + (y if control responders outnumber treated
non-responders else t). `uplift_at_30` is the response rate of treated minus control rows among
the first int(0.3 * n) rows by predicted uplift (scikit-uplift's uplift_at_k, strategy overall).

`y` for every function here is an (n, 2) array: column 0 the outcome, column 1 the treatment.
"""

from __future__ import annotations

import numpy as np


def _ranked(y2, uplift) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(outcome, treatment, uplift) sorted by uplift, highest first (stable among ties, as scikit-uplift)."""
    y2, uplift = np.asarray(y2, dtype=float), np.asarray(uplift, dtype=float)
    if y2.ndim != 2 or y2.shape[1] != 2 or len(y2) != len(uplift):
        raise ValueError(f"uplift metrics need an (n, 2) [outcome, treatment] array and n scores; got {y2.shape} and {uplift.shape}")
    order = np.argsort(uplift, kind="mergesort")[::-1]
    return y2[order, 0], y2[order, 1], uplift[order]


def _cumulative(y, t, u) -> tuple[np.ndarray, ...]:
    """(k, N_T, Y_T, N_C, Y_C) at the last row of each run of tied scores."""
    last = np.r_[np.flatnonzero(np.diff(u)), len(u) - 1]
    n_t, y_t, y_c = np.cumsum(t)[last], np.cumsum(y * t)[last], np.cumsum(y * (1 - t))[last]
    k = (last + 1).astype(float)
    return k, n_t, y_t, k - n_t, y_c


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b != 0)


def _from_origin(k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.r_[0.0, k], np.r_[0.0, v]


def qini_curve(y2, uplift) -> tuple[np.ndarray, np.ndarray]:
    """(rows targeted, Q(k)) from (0, 0) to all rows."""
    k, n_t, y_t, n_c, y_c = _cumulative(*_ranked(y2, uplift))
    return _from_origin(k, y_t - y_c * _ratio(n_t, n_c))


def uplift_curve(y2, uplift) -> tuple[np.ndarray, np.ndarray]:
    """(rows targeted, U(k)) from (0, 0) to all rows."""
    k, n_t, y_t, n_c, y_c = _cumulative(*_ranked(y2, uplift))
    return _from_origin(k, (_ratio(y_t, n_t) - _ratio(y_c, n_c)) * k)


def _perfect_scores(y2, kind: str) -> np.ndarray:
    y, t = np.asarray(y2, dtype=float)[:, 0], np.asarray(y2, dtype=float)[:, 1]
    if kind == "qini":
        return y * t - y * (1 - t)
    control_responders, treated_non_responders = np.sum((y == 1) & (t == 0)), np.sum((y == 0) & (t == 1))
    return 2.0 * (y == t) + (y if control_responders > treated_non_responders else t)


def _normalized_area(y2, uplift, curve, kind: str) -> float:
    x, v = curve(y2, uplift)
    x_best, v_best = curve(y2, _perfect_scores(y2, kind))
    random = x_best[-1] * v_best[-1] / 2  # the straight line from (0, 0) to the curve's end
    best = np.trapezoid(v_best, x_best) - random
    return float((np.trapezoid(v, x) - random) / best) if best != 0 else float("nan")


def qini_coefficient(y2, uplift, labels=None) -> float:
    """Area between the Qini curve and random targeting, over the perfect curve's (NaN when the perfect curve is the line)."""
    return _normalized_area(y2, uplift, qini_curve, "qini")


def auuc(y2, uplift, labels=None) -> float:
    """Area between the uplift curve and random targeting, over the perfect curve's."""
    return _normalized_area(y2, uplift, uplift_curve, "uplift")


def uplift_at(y2, uplift, share: float = 0.3) -> float:
    """Treated minus control response rate among the top `share` of rows by predicted uplift (NaN if an arm is absent there)."""
    y, t, _ = _ranked(y2, uplift)
    top = int(share * len(y))  # scikit-uplift's int(n_samples * k)
    y, t = y[:top], t[:top]
    if t.sum() == 0 or (1 - t).sum() == 0:
        return float("nan")
    return float(y[t == 1].mean() - y[t == 0].mean())


def uplift_at_30(y2, uplift, labels=None) -> float:
    return uplift_at(y2, uplift, 0.3)


def uplift_by_decile(y2, uplift, bins: int = 10) -> list[dict]:
    """One row per tenth of the rows by predicted uplift (highest first): rows, treated / control counts,
    their response rates, the observed uplift (treated rate - control rate) and the mean predicted uplift.
    Tenths are cut as numpy.array_split cuts the ranked rows (scikit-uplift's uplift_by_percentile)."""
    y, t, u = _ranked(y2, uplift)
    rows = []
    for i, part in enumerate(np.array_split(np.arange(len(y)), bins), start=1):
        yy, tt = y[part], t[part]
        n_t, n_c = int(tt.sum()), int(len(tt) - tt.sum())
        rate_t = float(yy[tt == 1].mean()) if n_t else float("nan")
        rate_c = float(yy[tt == 0].mean()) if n_c else float("nan")
        rows.append({"decile": i, "rows": len(part), "n_treatment": n_t, "n_control": n_c, "response_rate_treatment": rate_t,
                     "response_rate_control": rate_c, "observed_uplift": rate_t - rate_c,
                     "mean_predicted_uplift": float(u[part].mean()) if len(part) else float("nan")})
    return rows
