"""The audit of a model version is complete and verified, and catches a table altered behind mmp's back."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from mmp_assets.audit.lineage import audit_model_version
from mmp_assets.audit.lineage_render import to_json, to_markdown
from mmp_assets.recipes import load_recipes
from mmp_resources import build_resources, load_config


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
