"""The shared audit log detects tampering; `mmp audit verify` exits 1; the audit export is complete."""

from __future__ import annotations

import json
import shutil

from mmp_assets.cli.main import main
from mmp_assets.prompts.governance import rollback
from mmp_resources.audit_log import AuditLog
from tests.prompts.helpers import two_approved_versions


def _history(mlflow_resource, registry, audit, recipes, monkeypatch) -> None:
    two_approved_versions(mlflow_resource, registry, audit, recipes, monkeypatch)
    rollback(registry, audit, "support_reply")


def test_tampering_with_one_entry_is_detected(mlflow_resource, registry, audit, recipes, monkeypatch, tmp_path, capsys):
    _history(mlflow_resource, registry, audit, recipes, monkeypatch)
    assert audit.verify() == []
    assert main(["audit", "verify"]) == 0

    copy = tmp_path / "tampered.jsonl"
    shutil.copy(audit.path, copy)
    lines = copy.read_text().splitlines()
    approval = next(i for i, line in enumerate(lines) if json.loads(line)["action"] == "approve")
    entry = json.loads(lines[approval])
    entry["details"]["approver"] = "mallory"  # rewrite who approved
    lines[approval] = json.dumps(entry, sort_keys=True)
    copy.write_text("\n".join(lines) + "\n")

    problems = AuditLog(copy).verify()
    assert len(problems) == 1 and f":{approval + 1}: content does not match its hash" in problems[0]
    capsys.readouterr()
    assert main(["audit", "verify", "--log", str(copy)]) == 1
    assert "tampered" in capsys.readouterr().err


def test_audit_export_has_versions_diffs_scores_approvals_and_periods(mlflow_resource, registry, audit, recipes,
                                                                      monkeypatch, tmp_path):
    _history(mlflow_resource, registry, audit, recipes, monkeypatch)
    out = tmp_path / "audit" / "support_reply.md"
    assert main(["prompts", "audit", "support_reply", "--out", str(out)]) == 0

    text = out.read_text()
    assert "Audit log integrity: intact" in text
    assert "## Version 1" in text and "## Version 2" in text
    assert "+Keep it short." in text  # the diff from v1 to v2
    evaluations = [line for line in text.splitlines() if line.startswith("| 20") and "| **passed** |" in line]
    assert len(evaluations) == 2  # one evaluation row per version
    assert "| approve | bob | bob |" in text
    periods = text.split("## Production periods")[1].split("## Version 1")[0]
    assert [line.split("|")[1].strip() for line in periods.splitlines() if line.startswith("| v") and "version" not in line] == ["v1", "v2", "v1"]
    assert periods.rstrip().endswith("now |")
    html = out.with_suffix(".html").read_text()
    assert "<table>" in html and "Audit of prompt" in html
