"""`mmp features list | show | docs` read the catalog without writing to the store."""

from __future__ import annotations

import re

import pandas as pd

from mmp_assets.cli.main import main
from mmp_assets.feature_store.views import materialize_view


def _published(project):
    frame = pd.DataFrame({"user_id": ["a", "b"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "spend": [1.0, None]})
    project.source("snaps", frame)
    project.view("spend", entity="user_id", timestamp="t", ttl="7d", source="snaps", description="Spend per user.")
    project.view("later", entity="user_id", timestamp="t", source="snaps")
    recipes = project.recipes()
    with project.connect() as conn:
        materialize_view(conn, recipes.views["spend"], recipes, project.root, keep=10)


def test_list_before_anything_is_materialized_creates_no_store(fs_project, capsys):
    fs_project.source("snaps", pd.DataFrame({"user_id": ["a"], "t": pd.to_datetime(["2024-01-01"])}))
    fs_project.view("later", entity="user_id", timestamp="t", source="snaps")
    assert main(["features", "list"]) == 0
    out = capsys.readouterr().out
    assert "later" in out and "not materialized" in out
    assert not (fs_project.root / ".mmp" / "mmp.duckdb").exists()


def test_list_show_and_docs(fs_project, capsys):
    _published(fs_project)
    assert main(["features", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split()[:4] == ["view", "version", "versions", "rows"]
    assert listed[1].split()[:3] == ["later", "-", "0"] and "not materialized" in listed[1]
    assert listed[2].split()[:7] == ["spend", "1", "1", "2", "team:test", "user_id", "7d"]
    assert main(["features", "show", "spend", "--version", "1"]) == 0
    card = capsys.readouterr().out
    assert "spend v1" in card and "Spend per user." in card and re.search(r"\n    spend\s+DOUBLE\s+nulls 50.00%", card)
    assert main(["features", "show", "spend", "--version", "3"]) == 1
    assert main(["features", "docs", "--out", "docs/catalog.md"]) == 0
    text = (fs_project.root / "docs" / "catalog.md").read_text()
    assert "## spend" in text and "| spend | DOUBLE | 50.00% |" in text and "- not materialized yet" in text
