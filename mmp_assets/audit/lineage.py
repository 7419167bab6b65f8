"""`mmp lineage audit`: walk a registered model version back to its data, and re-verify every hash.

model version (MLflow) → its run → training-set version (catalog, table re-hashed) → the view
versions it pinned (re-hashed) → their source fingerprints; each stored version → the Dagster
materialization that made it (code, data and input data versions); then the recipe's current code
versions, the evaluation gate and the approvals in the audit log. Every copy of a hash is compared
with every other: registry tag, catalog row, Dagster data version, and the table as it is now.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from mmp_assets import keys
from mmp_assets.audit.lineage_checks import check_approvals, check_code_versions, check_evaluation
from mmp_assets.audit.lineage_dagster import observation_with, run_facts
from mmp_assets.audit.lineage_registry import model_facts, resolve_version
from mmp_assets.audit.lineage_registry import run_facts as mlflow_run_facts
from mmp_assets.audit.lineage_report import LineageReport
from mmp_assets.audit.lineage_store import source_rows, verify_stored
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.common import digest
from mmp_resources.audit_log import AuditLog
from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.tracking import MlflowResource


def audit_model_version(
    recipe: str, version: int | None, *, feature_store: FeatureStoreResource, mlflow: MlflowResource,
    instance: dg.DagsterInstance | None, recipes: RecipeSet, audit_log: AuditLog | None = None,
) -> LineageReport:
    """The full lineage of `recipe` version `version` (None: the champion, else the newest), checked."""
    client = mlflow.client()
    report = LineageReport(recipe, version, audited_at=datetime.now(UTC).isoformat(timespec="seconds"))
    found, how = resolve_version(client, recipe, version)
    if found is None:
        what = f"version {version}" if version is not None else "any version"
        report.add("registered model version", f"model {recipe}", "missing", f"{what} is not registered in MLflow ({how})")
        return report
    report.model = model_facts(client, found) | {"chosen_as": how}
    report.version = report.model["version"]
    _mlflow_run(report, client)
    with feature_store.connect() as conn:
        ts_version = report.model["training_set_version"]
        report.training_set = verify_stored(conn, report, "training_set", recipe, int(ts_version) if ts_version else None) or {}
        _registry_matches_catalog(report)
        pinned = report.training_set.get("pinned_views") or report.model.get("pinned_views") or {}
        report.views = [facts for view, v in sorted(pinned.items()) if (facts := verify_stored(conn, report, "view", view, int(v)))]
    report.sources = source_rows([report.training_set, *report.views] if report.training_set else report.views)
    if instance is None:
        report.add("Dagster event log", f"model {recipe}", "missing", "no Dagster instance to read materializations from")
    else:
        _dagster(report, instance)
    check_evaluation(report, instance)
    check_code_versions(report, recipes)
    check_approvals(report, audit_log or AuditLog.for_data_dir(feature_store.config.data_dir), client)
    return report


def _mlflow_run(report: LineageReport, client) -> None:
    subject = f"model {report.recipe} v{report.version}"
    run = mlflow_run_facts(client, report.model["run_id"])
    if run is None:
        report.add("MLflow run", subject, "missing", f"run {report.model['run_id']} not found in the tracking store")
        return
    report.mlflow_run = run
    report.add("MLflow run", subject, "ok", f"run {run['run_id']} ({run['status']})")
    report.same("Dagster run id", subject, report.model["dagster_run_id"], run["dagster_run_id"], what="registry tag vs MLflow run tag")


def _registry_matches_catalog(report: LineageReport) -> None:
    ts, model = report.training_set, report.model
    if not ts:
        return
    subject = f"training set {report.recipe} v{ts['version']}"
    report.same("training-set hash", subject, model["training_set_hash"], ts["content_hash"], what="registry tag vs catalog")
    report.same("pinned views", subject, _canonical(model.get("pinned_views")), _canonical(ts.get("pinned_views")), what="registry tag vs catalog")


def _canonical(pins: dict | None) -> str | None:
    return None if pins is None else ", ".join(f"{k}=v{int(v)}" for k, v in sorted(pins.items()))


def _dagster(report: LineageReport, instance: dg.DagsterInstance) -> None:
    """Each stored version against the materialization that made it; the model against its training set."""
    stored = [("training_set", keys.recipe_key(report.recipe, "training_set"), report.training_set)] if report.training_set else []
    stored += [("view", keys.view_key(v["name"]), v) for v in report.views]
    for role, key, facts in stored:
        subject = f"{key.to_user_string()} v{facts['version']}"
        run = run_facts(instance, key, facts["dagster_run_id"])
        if run is None:
            report.add("Dagster materialization", subject, "missing", f"no materialization in run {facts['dagster_run_id']}")
            continue
        report.dagster_runs.append({"role": role, **run})
        report.same("Dagster data version", subject, facts["content_hash"], run["data_version"], what="catalog hash vs event log")
        for source, fingerprint in sorted(facts["source_fingerprints"].items()):
            _source_observation(report, instance, run, source, fingerprint, (facts.get("params") or {}).get(f"sources/{source}"))
    key = keys.recipe_key(report.recipe, "model")
    subject = f"{key.to_user_string()} v{report.version}"
    run = run_facts(instance, key, report.model["dagster_run_id"])
    if run is None:
        report.add("Dagster materialization", subject, "missing", f"no materialization in run {report.model['dagster_run_id']}")
        return
    report.dagster_runs.append({"role": "model", **run})
    report.same("Dagster code version", subject, report.model["code_version"], run["code_version"], what="registry tag vs event log")
    report.same("input training set", subject, report.model["training_set_hash"],
                run["input_data_versions"].get(f"{report.recipe}/training_set"), what="registry tag vs event log input data version")


def _source_observation(
    report: LineageReport, instance: dg.DagsterInstance, run: dict, source: str, fingerprint: dict, params: dict | None = None
) -> None:
    """Whether Dagster observed the source as the catalog fingerprinted it (informational: a view may
    legitimately read a source between two scheduled observations)."""
    key = keys.source_key(source)
    seen = observation_with(instance, key, fingerprint.get("schema"), fingerprint.get("content"))
    row = next((r for r in report.sources if r["source"] == source and r["content_fingerprint"] == fingerprint.get("content")), None)
    if row is not None:
        row["observation"] = seen
    observed = run["input_data_versions"].get(key.to_user_string())
    expected = digest(fingerprint.get("schema"), fingerprint.get("content"))
    status = "ok" if observed == expected else "info"
    detail = "observed data version matches the fingerprints" if observed == expected else (
        f"built from fingerprints {expected}; the last observation before the run said {observed or 'nothing'}")
    if params and observed != expected:  # observations read the recipe's values, this run its own
        detail += f" (the run read it with {', '.join(f'{k}={v}' for k, v in sorted(params.items()))})"
    report.add("source fingerprint", f"sources/{source} for {run['asset']}", status, detail)
