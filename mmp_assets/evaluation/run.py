"""Evaluate the newest registered version: read it from MLflow and the feature store, report, record.

This is the edge of the evaluation: it loads the candidate (and champion) pyfunc, the training set
the candidate was trained on, builds the report, writes it under `<data_dir>/reports`, logs it to
the version's MLflow run and records its gate verdict (`mmp_assets.registry.evidence.record_gate`).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from mmp_assets.evaluation.forecast import forecast_report
from mmp_assets.evaluation.metrics import class_labels
from mmp_assets.evaluation.render import render_card, render_html
from mmp_assets.evaluation.report import EvaluationReport, ModelUnderTest, build_report
from mmp_assets.evaluation.scores import estimator_predictor
from mmp_assets.registry.evidence import record_gate
from mmp_assets.registry.registration import incomplete_refusal
from mmp_assets.tags import CANDIDATE, CHAMPION, VersionTags
from mmp_resources.audit_log import AuditLog

VALIDATION_SHARE = 0.15  # newest share of each backtest window's past that picks its threshold / calibration


@dataclass
class EvaluatedVersion:
    version: str
    run_id: str
    report: EvaluationReport
    report_dir: Path


def evaluate_candidate(recipe, *, client, connect, data_dir: Path, log=print) -> EvaluatedVersion:
    """Evaluate alias `candidate` of `recipe.name`; `connect()` opens the feature store."""
    import mlflow

    from mmp_assets.feature_store import load_training_set
    from mmp_assets.registry.versions import version_for_alias

    name = recipe.name
    candidate = version_for_alias(client, name, CANDIDATE)
    if candidate is None:
        raise ValueError(f"registered model {name!r} has no candidate version; materialize {name}/model first")
    unfinished = incomplete_refusal(client, AuditLog.for_data_dir(data_dir), name, str(candidate.version))
    if unfinished:  # a half-registered version is never evaluated: the model step marks it and registers afresh
        raise ValueError(unfinished)
    tags = VersionTags.of(candidate)
    with connect() as conn:
        training_set = load_training_set(conn, recipe, tags.training_set_version)
    log(f"evaluating {name} v{candidate.version} on training set v{training_set.version} ({len(training_set.X('test'))} test rows)")
    model = mlflow.pyfunc.load_model(f"models:/{name}/{candidate.version}")
    pipeline = getattr(model.unwrap_python_model(), "pipeline", None)

    champion, champion_version = None, None
    found = version_for_alias(client, name, CHAMPION)
    if found is not None and str(found.version) != str(candidate.version):
        champion_model = mlflow.pyfunc.load_model(f"models:/{name}/{found.version}")
        champion, champion_version = champion_model.predict, str(found.version)

    notes = []
    champion_set = VersionTags.of(found).training_set_version if champion is not None else None
    if champion is not None and champion_set != tags.training_set_version:
        notes.append(f"champion v{found.version} was trained on training set v{'?' if champion_set is None else champion_set}; "
                     "some of these test rows may have been in its training data, which favours the champion")
    context = ModelUnderTest(
        model_version=str(candidate.version), run_id=candidate.run_id, trainer=tags.claims.trainer or "unknown",
        code_version=tags.code_version or "", training_set_version=training_set.version,
        training_set_hash=training_set.content_hash, pinned_views=training_set.pinned_views,
        dagster_run_id=tags.dagster_run_id or "", best_params=tags.best_params,
    )
    if recipe.task == "clustering":  # no label: cluster quality, sizes and profiles (evaluation/clustering.py)
        from mmp_assets.evaluation.clustering import build_clustering_report

        report = build_clustering_report(recipe, training_set, model.predict, context=context, explainable=pipeline,
                                         champion=champion, champion_version=champion_version)
    else:
        build = forecast_report if recipe.task == "forecasting" else build_report  # forecasting: its own metrics, baselines, backtest
        report = build(recipe, training_set, model.predict, context=context, explainable=pipeline,
                       champion=champion, champion_version=champion_version,
                       fit=_window_fit(recipe, training_set, tags.best_params))
    report.notes.extend(notes)
    report_dir = write_report(report, data_dir / "reports" / name / f"v{candidate.version}")
    client.log_artifacts(candidate.run_id, str(report_dir), artifact_path="evaluation")
    for metric, value in report.metrics.values.items():
        client.log_metric(candidate.run_id, f"test_{metric}", value)
    record_gate(client, AuditLog.for_data_dir(data_dir), name, str(candidate.version), run_id=candidate.run_id,
                rules=dict(recipe.evaluation.gate), metrics=report.metrics.values, checks=report.gate.checks,
                passed=report.gate.passed, message=report.gate.message)
    return EvaluatedVersion(str(candidate.version), candidate.run_id, report, report_dir)


def _window_fit(recipe, training_set, params):
    """Backtest re-fit exactly as the shipped model is fitted, on one window's past rows only."""
    from mmp_assets.catalog.metrics import get_metric
    from mmp_assets.training.final import fit_final

    labels = class_labels(recipe.task, training_set.frame[training_set.label])
    # a window is scored on `recipe.headline_metric` alone: when it reads probabilities, the decision threshold
    # changes no figure, and choosing one costs a probe fit per window, so the cut is fixed instead (0.5)
    threshold = 0.5 if get_metric(recipe.headline_metric, recipe.task).needs_proba else None

    def fit(X, y):
        past = training_set.frame.loc[X.index].sort_values(training_set.timestamp, kind="stable").copy()
        cut = int(len(past) * (1 - VALIDATION_SHARE))
        past[training_set.split_column] = ["train"] * cut + ["validation"] * (len(past) - cut)
        window = dataclasses.replace(training_set, frame=past)
        return estimator_predictor(fit_final(recipe, window, params, threshold), recipe.task, labels)

    return fit


def write_report(report: EvaluationReport, target: Path) -> Path:
    """report.html, drift.html, model_card.md and metrics.json, swapped in whole: a failed run never
    leaves a half-written report where a complete one was."""
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "report.html").write_text(render_html(report), encoding="utf-8")
    (staging / "model_card.md").write_text(render_card(report), encoding="utf-8")
    if report.drift is not None:
        (staging / "drift.html").write_text(report.drift.html, encoding="utf-8")
    summary = {"metrics": report.metrics.values, "interval": report.metrics.interval,
               "comparisons": [c.as_dict() for c in report.comparisons], "gate": report.gate.checks,
               "gate_passed": report.gate.passed}
    if "forecast" in report.metrics.diagnostics:  # baselines, per-step errors and the rolling-origin backtest per origin
        summary["forecast"] = report.metrics.diagnostics["forecast"]
        summary["backtest"] = [] if report.backtest is None else report.backtest.to_dict("records")
    (staging / "metrics.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target
