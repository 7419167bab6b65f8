"""The report as a self-contained HTML page, a Markdown model card and Dagster's Markdown summary.

All three are rendered from one plain `view` of the report, so they can never disagree.
"""

from __future__ import annotations

import dataclasses
import math

import jinja2
import pandas as pd

from mmp_assets.evaluation import templates
from mmp_assets.evaluation.plots import data_uri
from mmp_assets.evaluation.report import EvaluationReport

TOP_FEATURES = 10



def _num(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(autoescape=autoescape, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env


_HTML, _MARKDOWN = _env(True), _env(False)  # user text (descriptions, reasons) is escaped in HTML only


def view(report: EvaluationReport) -> dict:
    """Every section as plain values: what the templates (and tests) read."""
    recipe, metrics = report.recipe, report.metrics
    backtest = report.backtest
    drift = report.drift
    return {
        "recipe": recipe.name, "description": recipe.description, "owner": recipe.owner, "task": recipe.task,
        "class_path": recipe.model.class_path, "context": dataclasses.asdict(report.context), "test_rows": report.test_rows,
        "headline": metrics.headline, "headline_value": metrics.values.get(metrics.headline),
        "interval": metrics.interval, "bootstrap": recipe.evaluation.bootstrap,
        "metrics": metrics.values, "diagnostics": metrics.diagnostics,
        "comparisons": [c.as_dict() for c in report.comparisons],
        "gate": {"passed": report.gate.passed, "message": report.gate.message, "checks": report.gate.checks},
        "backtest": None if backtest is None else [
            {k: (f"{x:%Y-%m-%d %H:%M}" if isinstance(x, pd.Timestamp) else x) for k, x in r.items()}
            for r in backtest.to_dict("records")],
        "backtest_columns": [] if backtest is None else list(backtest.columns),
        "importance": [] if report.explanation is None else report.explanation.importance.head(TOP_FEATURES).to_dict("records"),
        "shap_method": None if report.explanation is None else report.explanation.method,
        "local": report.local,
        "drift": None if drift is None else {"share": drift.share_drifted, "features": drift.features.to_dict("records")},
        "thresholds": recipe.monitoring.drift.model_dump(),
        "notes": report.notes,
        "limitations": limitations(report),
    }


def limitations(report: EvaluationReport) -> list[str]:
    """What a reader should not conclude from this report, derived from what it measured."""
    out = [f"Measured on {report.test_rows} held-out rows of split strategy '{report.recipe.split.strategy}'; "
           "performance on later data may differ."]
    if report.recipe.split.strategy != "temporal":
        out.append("The test rows are not later in time than the training rows, so this is not a forecast of future quality.")
    if report.drift is not None and report.drift.features["drifted"].any():
        out.append("Some features are distributed differently in the test split than in training (see Drift).")
    base = next((c for c in report.comparisons if c.against.startswith("baseline")), None)
    if base is not None and not base.significant:
        naive = "random clusters of the same sizes" if report.recipe.task == "clustering" else "the constant baseline"
        out.append(f"The model is not significantly better than {naive} on these rows.")
    if report.explanation is not None:
        out.append("SHAP values explain the model's output, not causal effects in the world.")
    if report.recipe.task == "regression" and report.recipe.model.quantiles:
        out.append("Each quantile is a separately fitted model; where their predictions crossed, each row's quantiles were "
                   "sorted. SHAP explains the point prediction (median or middle quantile) only.")
    return out


def render_html(report: EvaluationReport, drift_href: str | None = "drift.html") -> str:
    images = {name: data_uri(png) for name, png in report.figures.items()}
    template = _HTML.from_string(templates.HTML)
    return template.render(v=view(report), images=images, drift_href=drift_href)


def render_card(report: EvaluationReport) -> str:
    return _MARKDOWN.from_string(templates.CARD).render(v=view(report))


def dagster_markdown(report: EvaluationReport, plots: tuple[str, ...] = ("backtest", "shap_summary", "calibration", "residuals", "qini")) -> str:
    """The model card with the key plots embedded, for the asset's metadata panel."""
    images = [f"![{name}]({data_uri(report.figures[name])})" for name in plots if name in report.figures]
    return render_card(report) + ("\n\n## Plots\n\n" + "\n\n".join(images) if images else "")
