"""Data drift between a reference (the training rows) and a current frame: Evidently plus PSI.

Evidently decides per-feature drift with p-value tests (Kolmogorov-Smirnov for numeric columns,
chi-square for categorical ones) at the recipe's `monitoring.drift.p_value`, so that field means
what it says; both sides are capped at `max_rows` seeded rows, because these tests call any
difference "significant" on very large samples. PSI is computed here too (see docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmp_assets.evaluation.psi import psi


@dataclass
class DriftResult:
    features: pd.DataFrame  # feature, kind, method, score, drifted, psi
    share_drifted: float
    html: str

    def breaches(self, share_drifted_max: float, psi_max: float) -> list[str]:
        """One sentence per threshold crossed; empty when the data is within the recipe's limits."""
        found = []
        if self.share_drifted > share_drifted_max:
            drifted = ", ".join(self.features.loc[self.features["drifted"], "feature"])
            found.append(f"{self.share_drifted:.0%} of features drifted ({drifted}); the limit is {share_drifted_max:.0%}")
        high = self.features[self.features["psi"] > psi_max]
        for row in high.itertuples():
            found.append(f"PSI of {row.feature} is {row.psi:.3f}, above psi_max {psi_max:g}")
        return found

    def summary(self) -> dict:
        return {"share_drifted": self.share_drifted, "drifted": self.features.loc[self.features["drifted"], "feature"].tolist(),
                "max_psi": float(self.features["psi"].max()) if len(self.features) else 0.0}


def detect_drift(reference: pd.DataFrame, current: pd.DataFrame, *, numeric: list[str], categorical: list[str],
                 p_value: float, share_drifted_max: float = 0.5, max_rows: int = 2000, seed: int = 0) -> DriftResult:
    """Per-feature drift of `current` against `reference`, the share drifted, and Evidently's HTML report."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    columns = [*numeric, *categorical]
    ref, cur = (_cap(f[columns], max_rows, seed) for f in (reference, current))
    ref, cur = _harmonise(ref, categorical), _harmonise(cur, categorical)
    # Evidently refuses a column with no values; one that is empty on one side only has drifted
    # as far as a column can (a feed broke), one empty on both sides has nothing to compare.
    empty = {c: (ref[c].isna().all(), cur[c].isna().all()) for c in columns}
    kinds = {c: "categorical" if c in categorical else "numeric" for c in columns}
    definition = DataDefinition(numerical_columns=[c for c in numeric if not any(empty[c])],
                                categorical_columns=[c for c in categorical if not any(empty[c])])
    report = Report([DataDriftPreset(num_method="ks", cat_method="chisquare", threshold=p_value,
                                     drift_share=share_drifted_max)], include_tests=True)
    snapshot = report.run(reference_data=Dataset.from_pandas(ref, data_definition=definition),
                          current_data=Dataset.from_pandas(cur, data_definition=definition))
    scored = _per_column(snapshot.dict())
    rows = []
    for column in columns:
        kind = kinds[column]
        if any(empty[column]):
            one_side = empty[column][0] != empty[column][1]
            rows.append({"feature": column, "kind": kind, "method": "all null on one side" if one_side else "all null",
                         "score": float("nan"), "drifted": one_side, "psi": float("nan")})
            continue
        method, score, drifted = scored.get(column, ("n/a", float("nan"), False))
        rows.append({"feature": column, "kind": kind, "method": method, "score": score, "drifted": drifted,
                     "psi": psi(ref[column].to_numpy(), cur[column].to_numpy(), categorical=column in categorical)})
    features = pd.DataFrame(rows, columns=["feature", "kind", "method", "score", "drifted", "psi"])
    share = float(features["drifted"].mean()) if len(features) else 0.0
    return DriftResult(features, share, snapshot.get_html_str(as_iframe=False))


def _per_column(snapshot: dict) -> dict[str, tuple[str, float, bool]]:
    """column -> (method, p-value, drifted), read from Evidently's own per-column drift tests."""
    scores = {}
    for metric in snapshot["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            scores[config["column"]] = (config.get("method", ""), float(metric["value"]))
    out = {}
    for test in snapshot.get("tests", []):
        params = test.get("metric_config", {}).get("params", {})
        column = params.get("column")
        if params.get("type", "").endswith("ValueDrift") and column in scores:
            out[column] = (*scores[column], test.get("status") == "FAIL")
    return out


def _cap(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    return (frame if len(frame) <= max_rows else frame.sample(max_rows, random_state=seed)).reset_index(drop=True)


def _harmonise(frame: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in categorical:
        frame[column] = frame[column].astype("string").fillna("<missing>").astype(str)
    return frame
