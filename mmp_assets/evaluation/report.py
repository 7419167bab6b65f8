"""One evaluation of one model version: every section of the report, computed from plain inputs.

`build_report` takes the recipe, the pinned training set and callables (the candidate's and the
champion's predictors, a fit function for the backtest); it reads no store and writes nothing, so
it is tested on synthetic frames. The asset feeds it from MLflow and the feature store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mmp_assets.catalog.metrics import get_metric
from mmp_assets.evaluation import plots
from mmp_assets.evaluation.backtest import FitFunction, replay
from mmp_assets.evaluation.compare import Comparison, baseline_scores, paired_comparison
from mmp_assets.evaluation.drift import DriftResult, detect_drift
from mmp_assets.evaluation.explain import Explanation, explain, sample_rows
from mmp_assets.evaluation.gate import GateResult, evaluate_gate
from mmp_assets.evaluation.metrics import MetricReport, class_labels, evaluate_scores, metric_names
from mmp_assets.evaluation.scores import Predictor, champion_scores, score

LOCAL_EXPLANATIONS = 3


@dataclass(frozen=True)
class ModelUnderTest:
    """The version evaluated and what it was trained on, as the report and the model card state them."""

    model_version: str
    run_id: str
    trainer: str
    code_version: str
    training_set_version: int
    training_set_hash: str
    pinned_views: dict[str, int]
    dagster_run_id: str = ""
    best_params: dict = field(default_factory=dict)


@dataclass
class EvaluationReport:
    recipe: object
    context: ModelUnderTest
    test_rows: int
    metrics: MetricReport
    comparisons: list[Comparison]
    gate: GateResult
    backtest: pd.DataFrame | None = None
    explanation: Explanation | None = None
    local: list[dict] = field(default_factory=list)
    drift: DriftResult | None = None
    figures: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_report(recipe, training_set, predict: Predictor, *, context: ModelUnderTest, explainable=None,
                 champion: Predictor | None = None, champion_version: str | None = None,
                 fit: FitFunction | None = None) -> EvaluationReport:
    """Evaluate the candidate on the untouched test split, and everything the report sets beside it."""
    ev, task, headline = recipe.evaluation, recipe.task, recipe.headline_metric
    if task == "uplift":  # a two-column target, random targeting as baseline, deciles instead of SHAP
        from mmp_assets.evaluation.uplift import uplift_sections

        report = EvaluationReport(recipe, context, **uplift_sections(recipe, training_set, predict, champion, champion_version))
        _add_drift(report, recipe, training_set)
        return report
    seed = recipe.split.seed
    X_test, y_test = training_set.X("test"), training_set.y("test").to_numpy()
    if len(X_test) == 0:
        raise ValueError(f"training set {training_set.recipe} v{training_set.version} has no test rows to evaluate on")
    ours = score(predict, X_test)
    labels = class_labels(task, training_set.frame[training_set.label])
    metrics = evaluate_scores(task, metric_names(task, ev.metrics, headline), headline, y_test, ours, ev.bootstrap, seed, labels)
    figures, notes = {}, []
    if "calibration" in metrics.diagnostics:
        figures["calibration"] = plots.calibration_plot(metrics.diagnostics["calibration"])
    if task == "regression":
        figures["residuals"] = plots.residual_plot(y_test, ours.prediction)

    baseline = baseline_scores(task, training_set.y("train").to_numpy(), len(y_test), labels, levels=ours.levels)
    against = "baseline (training quantiles)" if ours.levels else "baseline (prior/mean)"
    comparisons = [paired_comparison(task, headline, y_test, ours, baseline, against=against,
                                     resamples=ev.bootstrap, seed=seed, labels=labels)]
    champion_value = None
    theirs = champion_scores(champion, X_test, champion_version, notes) if champion is not None else None
    if theirs is not None and theirs.levels != ours.levels:  # a point model against quantiles, or other levels
        notes.append(f"champion v{champion_version} predicts {_levels(theirs)} and this version {_levels(ours)}; their "
                     f"{headline} cannot be compared: no champion comparison, relative gate rule skipped")
        theirs = None
    if theirs is not None:
        versus = paired_comparison(task, headline, y_test, ours, theirs, against=f"champion v{champion_version}",
                                   resamples=ev.bootstrap, seed=seed, labels=labels)
        comparisons.append(versus)
        champion_value = versus.theirs
    gate = evaluate_gate(ev.gate, metrics.values, headline=headline, headline_direction=get_metric(headline, task).direction,
                         champion_value=champion_value, baseline_value=comparisons[0].theirs if ev.beat_baseline else None)

    report = EvaluationReport(recipe, context, len(y_test), metrics, comparisons, gate, figures=figures, notes=notes)
    _add_backtest(report, recipe, training_set, fit)
    _add_explanation(report, recipe, training_set, explainable, ours, X_test)
    _add_drift(report, recipe, training_set)
    return report


def _levels(scores) -> str:
    return f"quantiles {', '.join(f'{q:g}' for q in scores.levels)}" if scores.levels else "no quantiles"


def _add_backtest(report: EvaluationReport, recipe, training_set, fit: FitFunction | None) -> None:
    backtest = recipe.evaluation.backtest
    if not backtest:
        return
    if fit is None:
        report.notes.append("backtest requested but no fit function was available; skipped")
        return
    frame = training_set.frame.sort_values(training_set.timestamp, kind="stable")
    table = replay(frame, task=recipe.task, timestamp=training_set.timestamp, label=training_set.label,
                   features=training_set.feature_columns, windows=backtest["windows"],
                   metric=recipe.headline_metric, fit=fit,
                   labels=class_labels(recipe.task, training_set.frame[training_set.label]))
    report.backtest = table
    if len(table):
        report.figures["backtest"] = plots.backtest_plot(table, recipe.headline_metric)


def _add_explanation(report: EvaluationReport, recipe, training_set, explainable, ours, X_test) -> None:
    if explainable is None:
        report.notes.append("no explainable model object; SHAP skipped")
        return
    sample = sample_rows(X_test, recipe.evaluation.shap_sample, recipe.split.seed)
    explanation = explain(explainable, sample, recipe.task, categorical=training_set.categorical_columns,
                          seed=recipe.split.seed)
    report.explanation = explanation
    if explanation.note:
        report.notes.append(explanation.note)
    ranking = pd.Series(ours.positive_proba if ours.positive_proba is not None else ours.prediction.astype(float),
                        index=X_test.index).loc[sample.index]
    report.local = explanation.local(ranking.sort_values(ascending=False).index[:LOCAL_EXPLANATIONS])
    for item in report.local:
        item["score"] = float(ranking.loc[item["row"]])
    report.figures["shap_summary"] = plots.shap_summary_plot(explanation.values, explanation.rows)


def _add_drift(report: EvaluationReport, recipe, training_set) -> None:
    thresholds = recipe.monitoring.drift
    report.drift = detect_drift(training_set.X("train"), training_set.X("test"), numeric=training_set.numeric_columns,
                                categorical=training_set.categorical_columns, p_value=thresholds.p_value,
                                share_drifted_max=thresholds.share_drifted_max, seed=recipe.split.seed)
