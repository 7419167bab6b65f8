"""`mmp prompts audit`: one document an auditor can read without access to MLflow or Dagster.

Every version with its diff, its evaluations, approvals and refusals, and the periods it served as
`production`, all from the registry and the hash-chained audit log (whose integrity it states first).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from markdown_it import MarkdownIt

from mmp_assets.prompts import registry as reg
from mmp_assets.prompts.history import production_periods, version_diff
from mmp_assets.prompts.registry import PromptRegistry
from mmp_resources.audit_log import AuditLog


def audit_markdown(registry: PromptRegistry, audit: AuditLog, name: str) -> str:
    versions = registry.versions(name)
    entries = audit.entries(kind="prompt", subject=name)
    problems = audit.verify()
    periods = production_periods(entries)
    aliases = registry.aliases(name)
    out = [f"# Audit of prompt `{name}`", "",
           f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} from `{audit.path}`.", ""]
    out += ["**Audit log integrity: intact** (every entry's hash chain verified)." if not problems else
            f"**Audit log integrity: BROKEN** ({len(problems)} problem(s)); the history below cannot be trusted:", ""]
    out += [f"- `{p}`" for p in problems] + ([""] if problems else [])
    out += ["## Aliases now", "", ", ".join(f"`{a}` → v{v}" for a, v in sorted(aliases.items())) or "none", ""]
    out += ["## Production periods", "", "| version | from | until |", "|---|---|---|"]
    out += [f"| v{p.version} | {p.start} | {p.end or 'now'} |" for p in periods] or ["| – | never in production | |"]
    out.append("")
    for i, v in enumerate(versions):
        out += [f"## Version {v.version}", "",
                "| field | value |", "|---|---|",
                f"| created | {datetime.fromtimestamp(v.created_ms / 1000, UTC).isoformat(timespec='seconds')} |",
                f"| owner | {v.tags.get(reg.OWNER, '')} |", f"| registered by | {v.tags.get(reg.AUTHOR, '')} |",
                f"| content hash | `{v.content_hash}` |", f"| commit message | {_cell(v.tags.get(reg.COMMIT_MESSAGE, ''))} |",
                f"| Dagster run | `{v.tags.get(reg.DAGSTER_RUN, '')}` |", f"| latest verdict | **{v.verdict}** |",
                f"| aliases | {', '.join(v.aliases) or '–'} |", "",
                "### Change", "", "```diff", version_diff(versions[i - 1] if i else None, v).rstrip("\n"), "```", ""]
        out += _events(entries, v.version)
        served = [p for p in periods if p.version == v.version]
        out += ["### Served as production", ""]
        out += [f"- {p.start} → {p.end or 'now'}" for p in served] or ["- never"]
        out.append("")
    return "\n".join(out) + "\n"


def _events(entries: list[dict], version: int) -> list[str]:
    evaluations = [e for e in entries if e["action"] == "evaluate" and e["details"].get("version") == version]
    decisions = [e for e in entries if e["action"] in ("approve", "refuse") and e["details"].get("version") == version]
    lines = ["### Evaluations", ""]
    if evaluations:
        lines += ["| at | verdict | pass rate | toxicity max | groundedness min | PII cases | responder | MLflow run |",
                  "|---|---|---|---|---|---|---|---|"]
    for e in evaluations:
        d, m = e["details"], e["details"].get("metrics", {})
        lines.append(f"| {e['at']} | **{d.get('verdict')}** | {m.get('pass_rate')} | {m.get('toxicity_max')} | "
                     f"{m.get('groundedness_min')} | {m.get('pii_cases')} | {d.get('responder')} | `{d.get('mlflow_run_id')}` |")
    lines += ["- never evaluated"] if not evaluations else []
    lines += ["", "### Approvals and refusals", ""]
    if decisions:
        lines += ["| at | action | by | approver | reason |", "|---|---|---|---|---|"]
    for e in decisions:
        d = e["details"]
        lines.append(f"| {e['at']} | {e['action']} | {_cell(e['actor'])} | {_cell(d.get('approver', ''))} | {_cell(d.get('reason', ''))} |")
    lines += ["- none"] if not decisions else []
    return lines + [""]


def _cell(value: object) -> str:
    """Free text inside a Markdown table cell: a `|` or a newline would break the row."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def audit_html(markdown: str, title: str) -> str:
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    style = "body{font-family:sans-serif;max-width:60rem;margin:2rem auto}table{border-collapse:collapse}" \
            "td,th{border:1px solid #ccc;padding:.2rem .5rem}pre{background:#f6f6f6;padding:.5rem;overflow:auto}"
    return f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title><style>{style}</style></head>" \
           f"<body>\n{body}</body></html>\n"
