"""What the Dagster UI shows for an evaluation or drift materialization.

Headline numbers are plain floats so Dagster charts them across materializations; the model card
(with the key plots embedded) is Markdown; paths point at the files written under data_dir.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from mmp_assets.evaluation.drift import DriftResult
from mmp_assets.evaluation.render import dagster_markdown


def evaluation_metadata(evaluated) -> dict:
    report = evaluated.report
    meta: dict = {f"test_{name}": float(value) for name, value in report.metrics.values.items()}
    if report.metrics.interval:
        meta[f"test_{report.metrics.headline}_ci_low"] = float(report.metrics.interval[0])
        meta[f"test_{report.metrics.headline}_ci_high"] = float(report.metrics.interval[1])
    for comparison in report.comparisons:
        label = "baseline" if comparison.against.startswith("baseline") else "champion"
        meta[f"improvement_vs_{label}"] = float(comparison.improvement)
    if report.drift is not None:
        meta["share_drifted_test_vs_train"] = float(report.drift.share_drifted)
    meta.update({
        "model_version": evaluated.version,
        "mlflow_run_id": evaluated.run_id,
        "gate": "passed" if report.gate.passed else "failed",
        "test_rows": report.test_rows,
        "report": dg.MetadataValue.path(str(evaluated.report_dir / "report.html")),
        "model_card": dg.MetadataValue.md(dagster_markdown(report)),
    })
    if report.explanation is not None:
        meta["top_features"] = dg.MetadataValue.md(_table(report.explanation.importance.head(10)))
    return meta


def drift_metadata(result: DriftResult, *, reference: str, current_rows: int, html_path) -> dict:
    return {
        "share_drifted": float(result.share_drifted),
        "max_psi": float(result.features["psi"].max()) if len(result.features) else 0.0,
        "drifted_features": dg.MetadataValue.json(result.summary()["drifted"]),
        "reference": reference,
        "current_rows": current_rows,
        "features": dg.MetadataValue.md(_table(result.features)),
        "evidently_report": dg.MetadataValue.path(str(html_path)),
    }


def _table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    rows = ["| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return head + "\n".join(rows)
