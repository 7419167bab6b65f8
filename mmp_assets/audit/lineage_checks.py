"""The governance half of a lineage audit: recipe code versions, the evaluation gate, approvals."""

from __future__ import annotations

import dagster as dg

from mmp_assets import keys
from mmp_assets.audit.lineage_dagster import evaluation_of
from mmp_assets.audit.lineage_report import LineageReport
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.versions import model_code_version, view_code_version
from mmp_assets.tags import CHAMPION
from mmp_resources.audit_log import AuditLog


def check_code_versions(report: LineageReport, recipes: RecipeSet) -> None:
    """Recorded code version of each stage vs the recipe as it is now: a difference is history, not tampering."""
    recipe = recipes.models.get(report.recipe)
    recorded = {run["asset"]: run["code_version"] for run in report.dagster_runs}
    recorded[f"{report.recipe}/model"] = report.model.get("code_version")
    current: dict[str, str | None] = {}
    if recipe is not None:
        for stage in ("training_set", "model", "evaluation"):
            if stage == "model" or f"{report.recipe}/{stage}" in recorded:
                current[f"{report.recipe}/{stage}"] = model_code_version(recipe, stage)
    for view in report.views:
        found = recipes.views.get(view["name"])
        if found is not None:
            current[keys.view_key(view["name"]).to_user_string()] = view_code_version(found, recipes.files[("view", view["name"])].parent)
    for asset in sorted(set(recorded) | set(current)):
        was, now = recorded.get(asset), current.get(asset)
        report.code_versions[asset] = {"recorded": was, "current": now, "changed": bool(was and now and was != now)}
        if now is None:
            report.add("recipe code version", asset, "info", "its recipe no longer exists")
        elif was and was != now:
            report.add("recipe code version", asset, "info", f"recipe changed since ({was} then, {now} now); `mmp plan` shows what rebuilds")


def check_evaluation(report: LineageReport, instance: dg.DagsterInstance | None) -> None:
    subject = f"model {report.recipe} v{report.version}"
    gate = report.model.get("gate")
    report.evaluation = {"gate": gate, "message": report.model.get("gate_message")}
    if gate is None:
        report.add("evaluation verdict", subject, "missing", "no gate verdict on the model version: never evaluated")
        return
    report.add("evaluation verdict", subject, "ok" if gate == "passed" else "info", f"quality gate {gate}")
    found = evaluation_of(instance, keys.recipe_key(report.recipe, "evaluation"), report.version) if instance else None
    if found is None:
        report.add("evaluation run", subject, "info", "gate set in the registry; no evaluation materialization names this version")
        return
    report.dagster_runs.append({"role": "evaluation", **found})
    report.same("gate verdict", subject, gate, found["gate"], what="registry tag vs evaluation materialization")


def check_approvals(report: LineageReport, audit: AuditLog, client=None) -> None:
    """Audit-log entries about this version, the chain's integrity (against its anchors in MLflow when a
    client is given), the gate verdict re-derived from the stored record, and an approval behind a champion."""
    from mmp_assets.registry.evidence import model_anchors, verified_gate

    subject = f"model {report.recipe} v{report.version}"
    entries = [e for e in audit.entries(kind="model", subject=report.recipe) if str(e["details"].get("version")) == str(report.version)]
    report.approvals = [{"seq": e["seq"], "at": e["at"], "action": e["action"], "actor": e["actor"], **e["details"]} for e in entries]
    broken = audit.verify(model_anchors(client, report.recipe) if client is not None else ())
    for line in broken:
        report.add("audit log chain", "audit log", "mismatch", line)
    if not broken:
        report.add("audit log chain", "audit log", "ok", f"{len(audit.entries())} entries, hash chain intact")
    if client is not None and not broken:
        gate = verified_gate(client, audit, report.recipe, str(report.version))
        if gate.problem:
            report.add("evaluation record", subject, "mismatch", gate.problem)
        elif gate.seq is not None:
            report.same("gate verdict", subject, report.model.get("gate"), gate.verdict,
                        what=f"registry tag vs evaluation record (audit entry {gate.seq}, sha256 checked)")
    approvals = [e for e in report.approvals if e["action"] == "approve"]
    if CHAMPION in report.model.get("aliases", []):
        if not approvals:
            report.add("approval", subject, "missing", "champion without an approval in the audit log")
        else:
            last = approvals[-1]
            report.same("approver", subject, report.model.get("approved_by"), last.get("approver"), what="registry tag vs audit log")
    elif approvals:
        report.add("approval", subject, "info", f"approved by {approvals[-1].get('approver')}; not the champion now")
