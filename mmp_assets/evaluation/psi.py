"""Population stability index: the drift number risk teams already read, per feature.

Evidently 0.7 offers PSI only as one selectable test per column, replacing the p-value test we
want for the drift decision; computing both from one report is not possible, so PSI lives here.
"""

from __future__ import annotations

import numpy as np

EPSILON = 1e-4  # keeps empty bins from sending the log ratio to infinity


def psi(reference: np.ndarray, current: np.ndarray, *, bins: int = 10, categorical: bool = False) -> float:
    """sum((cur% - ref%) * ln(cur% / ref%)) over reference-quantile bins (or categories)."""
    if categorical:
        ref, cur = reference.astype(str), current.astype(str)
        levels = np.union1d(np.unique(ref), np.unique(cur))
        ref_share = np.array([np.mean(ref == v) for v in levels])
        cur_share = np.array([np.mean(cur == v) for v in levels])
    else:
        ref = reference[~np.isnan(reference.astype(float))].astype(float)
        cur = current[~np.isnan(current.astype(float))].astype(float)
        if len(ref) == 0 or len(cur) == 0:
            return 0.0
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))
        if len(edges) < 2:  # a constant reference: one bin for its value, one for anything else
            ref_share, cur_share = np.array([1.0, 0.0]), np.array([np.mean(cur == edges[0]), np.mean(cur != edges[0])])
        else:
            edges[0], edges[-1] = -np.inf, np.inf
            ref_share = np.histogram(ref, edges)[0] / len(ref)
            cur_share = np.histogram(cur, edges)[0] / len(cur)
    ref_share, cur_share = np.clip(ref_share, EPSILON, None), np.clip(cur_share, EPSILON, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))
