"""A lineage report as JSON (for machines) and Markdown with a Mermaid diagram (for people)."""

from __future__ import annotations

import json
import re

from mmp_assets.audit.lineage_report import LineageReport

MARK = {"ok": "✅", "mismatch": "❌", "missing": "⚠️", "info": "ℹ️"}


def to_json(report: LineageReport) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=True, default=str)


def _node(name: str) -> str:
    return re.sub(r"\W", "_", name)


def mermaid(report: LineageReport) -> str:
    """source fingerprints → view versions → training-set version → model version → gate → approval;
    a node with a missing or mismatched piece is drawn red."""
    problems = report.problems()
    lines, flagged = ["flowchart LR"], []

    def node(ident: str, label: str, *subjects: str) -> str:
        name = _node(ident)
        lines.append(f'  {name}["{label}"]')
        if any(p.startswith(s + ":") for p in problems for s in subjects):
            flagged.append(name)
        return name

    ts = report.training_set
    ts_node = node(f"training_set:{report.recipe} v{ts['version']}", f"{report.recipe}/training_set v{ts['version']}<br/>{ts['content_hash']}",
                   f"training set {report.recipe} v{ts['version']}", f"{report.recipe}/training_set v{ts['version']}") if ts else None
    for view in report.views:
        view_node = node(f"view:{view['name']} v{view['version']}", f"features/{view['name']} v{view['version']}<br/>{view['content_hash']}",
                         f"feature view {view['name']} v{view['version']}", f"features/{view['name']} v{view['version']}")
        if ts_node:
            lines.append(f"  {view_node} --> {ts_node}")
    for source in report.sources:
        source_node = node(f"src_{source['source']}_{source['content_fingerprint']}",
                           f"sources/{source['source']}<br/>schema {source['schema_fingerprint']}<br/>content {source['content_fingerprint']}")
        lines += [f"  {source_node} --> {_node(seen)}" for seen in source["seen_by"]]
    aliases = ", ".join(report.model.get("aliases") or []) or "no alias"
    model_node = node("model", f"model {report.recipe} v{report.version}<br/>{aliases}",
                      f"model {report.recipe} v{report.version}", f"{report.recipe}/model v{report.version}")
    if ts_node:
        lines.append(f"  {ts_node} --> {model_node}")
    lines.append(f'  {model_node} --> gate{{"gate: {report.evaluation.get("gate") or "not evaluated"}"}}')
    approvers = sorted({a.get("approver") for a in report.approvals if a["action"] == "approve"} - {None})
    if approvers:
        lines.append(f'  gate --> approval["approved by {", ".join(approvers)}"]')
    lines += [f"  style {name} stroke:#d00,stroke-width:3px" for name in flagged]
    return "\n".join(lines)


def _table(rows: list[dict], columns: list[str]) -> list[str]:
    if not rows:
        return ["_none_", ""]
    out = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    out += ["| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in rows]
    return [*out, ""]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, dict):  # template values: `sources/orders: start=2024-01-01, end=...`
        return "; ".join(f"{k}: " + ", ".join(f"{n}={v}" for n, v in vals.items()) if isinstance(vals, dict) else f"{k}={vals}"
                         for k, vals in value.items())
    return str(value).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: LineageReport) -> str:
    m = report.model
    out = [f"# Lineage audit: {report.recipe} v{report.version}", "",
           f"**Verdict: {report.verdict}** — complete: {report.complete}, verified: {report.verified}. Audited {report.audited_at}.", ""]
    if report.problems():
        out += ["## Problems", "", *[f"- {p}" for p in report.problems()], ""]
    out += ["## Lineage", "", "```mermaid", mermaid(report), "```", ""]
    if m:
        out += ["## Model version", "", *_table([m], ["name", "version", "chosen_as", "aliases", "trainer", "created_at", "run_id", "gate"])]
    if report.mlflow_run:
        out += ["## MLflow run", "", *_table([report.mlflow_run], ["run_id", "status", "user", "started_at", "dagster_run_id"])]
    if report.training_set:
        out += ["## Training set", "", *_table([report.training_set], ["name", "version", "partition", "row_count", "content_hash",
                                                                     "recomputed_hash", "dagster_run_id", "params"])]
    out += ["## Feature views", "", *_table(report.views, ["name", "version", "row_count", "content_hash", "recomputed_hash", "owner",
                                                           "dagster_run_id", "params"])]
    out += ["## Sources", "", *_table(report.sources, ["source", "schema_fingerprint", "content_fingerprint", "seen_by"])]
    out += ["## Dagster runs", "", *_table(report.dagster_runs, ["role", "asset", "run_id", "trigger", "code_version", "data_version", "materialized_at"])]
    rows = [{"asset": k, **v} for k, v in sorted(report.code_versions.items())]
    out += ["## Recipe code versions", "", *_table(rows, ["asset", "recorded", "current", "changed"])]
    out += ["## Evaluation", "", f"Quality gate: **{report.evaluation.get('gate') or 'not evaluated'}**"
            + (f" — {report.evaluation['message']}" if report.evaluation.get("message") else ""), ""]
    out += ["## Approvals and lifecycle events", "", *_table(report.approvals, ["seq", "at", "action", "actor", "approver", "reason"])]
    out += ["## Checks", "", *_table([{"": MARK[f.status], **f.__dict__} for f in report.findings], ["", "status", "subject", "check", "detail"])]
    return "\n".join(out)
