"""The audit of a model version is complete and verified, catches a table altered behind mmp's back, and
reaches people through `mmp lineage audit`, the `lineage_audit` job, `mmp lineage impact` and `mmp plan`."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from mmp_assets.audit.job import report_paths
from mmp_assets.audit.lineage import audit_model_version
from mmp_assets.audit.lineage_render import to_json, to_markdown
from mmp_assets.cli.main import main
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config
from tests.automation.synthetic import project_definitions


def _audit(root: Path, instance, version: int | None = None):
    resources = build_resources(load_config(root), root)
    return audit_model_version("alpha", version, feature_store=resources["feature_store"], mlflow=resources["mlflow"],
                               instance=instance, recipes=load_recipes(root))


def _duckdb(root: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(load_config(root).duckdb_path)


def test_the_champion_audit_is_complete_and_verified(trained) -> None:
    root, instance = trained
    report = _audit(root, instance)
    assert report.verified, report.problems()
    assert report.model["chosen_as"] == "champion" and report.version == 1
    assert report.training_set["recomputed_hash"] == report.training_set["content_hash"] == report.model["training_set_hash"]
    assert [(v["name"], v["version"]) for v in report.views] == [("user_view", 1)]
    assert {s["source"] for s in report.sources} == {"events", "profiles"}
    assert {r["role"] for r in report.dagster_runs} == {"training_set", "view", "model"}
    assert report.evaluation["gate"] == "passed"
    gate = [f for f in report.findings if f.check == "gate verdict" and "evaluation record" in f.detail]
    assert [f.status for f in gate] == ["ok"], gate
    approval = next(a for a in report.approvals if a["action"] == "approve")
    assert (approval["approver"], approval["trainer"], approval["actor"]) == ("carol", "alice", "bob")
    body = json.loads(to_json(report))
    assert body["verified"] is True and body["problems"] == []
    markdown = to_markdown(report)
    assert "**Verdict: verified**" in markdown and "```mermaid" in markdown and "features/user_view v1" in markdown


@pytest.mark.parametrize(
    ("statement", "culprit"),
    [
        ("UPDATE fv_user_view__v1 SET p1 = p1 + 0.5 WHERE user_id = 'u3'", "feature view user_view v1: content hash"),
        ("DELETE FROM ts_alpha__v1 WHERE label = 1 AND x > 1", "training set alpha v1: content hash"),
    ],
)
def test_an_altered_table_fails_verification_and_is_named(trained, statement: str, culprit: str) -> None:
    root, instance = trained
    with _duckdb(root) as conn:
        table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
        conn.execute(f"CREATE TABLE backup AS SELECT * FROM {table}")
        conn.execute(statement)
    try:
        report = _audit(root, instance)
        assert not report.verified and report.verdict == "tampered or inconsistent"
        assert [p for p in report.problems() if p.startswith(culprit)], report.problems()
        assert "style" in to_markdown(report)  # the altered node is drawn red
    finally:
        with _duckdb(root) as conn:  # put the rows back for the other tests
            conn.execute(f"DELETE FROM {table}")
            conn.execute(f"INSERT INTO {table} SELECT * FROM backup")
            conn.execute("DROP TABLE backup")
    assert _audit(root, instance).verified


def test_a_dropped_table_and_an_unknown_version_are_missing_pieces(trained) -> None:
    root, instance = trained
    assert _audit(root, instance, version=7).problems() == [
        "model alpha: registered model version: version 7 is not registered in MLflow (not registered)"]
    with _duckdb(root) as conn:
        conn.execute("ALTER TABLE fv_user_view__v1 RENAME TO parked")
    try:
        report = _audit(root, instance)
        assert report.verdict == "incomplete"
        assert "feature view user_view v1: stored table: table fv_user_view__v1 is gone (dropped outside mmp)" in report.problems()
    finally:
        with _duckdb(root) as conn:
            conn.execute("ALTER TABLE parked RENAME TO fv_user_view__v1")


def test_audit_command_writes_json_and_exits_by_verdict(trained, tmp_path: Path, capsys) -> None:
    out = tmp_path / "alpha.json"
    assert main(["lineage", "audit", "alpha", "--format", "json", "--out", str(out)]) == 0
    body = json.loads(out.read_text())
    assert body["verified"] and body["version"] == 1 and body["model"]["chosen_as"] == "champion"
    assert main(["lineage", "audit", "alpha", "--version", "9"]) == 1
    assert "version 9 is not registered" in capsys.readouterr().err


def test_audit_job_writes_the_same_report(trained) -> None:
    root, instance = trained
    job = project_definitions(root).resolve_job_def("lineage_audit")
    result = job.execute_in_process(instance=instance, run_config={"ops": {"write_lineage_report": {"config": {"recipe": "alpha"}}}})
    assert result.success
    json_path, md_path = report_paths(load_config(root).data_dir, "alpha", 1)
    assert json.loads(json_path.read_text())["verdict"] == "verified"
    assert "```mermaid" in md_path.read_text()


def test_impact_and_plan_commands(trained, capsys) -> None:
    assert main(["lineage", "impact", "profiles"]) == 0
    text = capsys.readouterr().out
    assert "recipe alpha (reads via features/user_view (all columns))" in text and "gamma" not in text
    assert main(["lineage", "impact", "nope"]) == 2
    assert main(["plan", "--detailed-exitcode"]) == 2  # merchant_view and the other recipes were never built
    assert "+ features/merchant_view" in capsys.readouterr().out
