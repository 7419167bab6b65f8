"""Recipe SQL and source paths read only the project, the data folder and configured directories."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from mmp_assets.feature_store.sources import SourceError, read_source_frame
from mmp_assets.feature_store.views import materialize_view
from mmp_resources import build_resources

ROWS = pd.DataFrame({"user_id": ["a", "b"], "t": pd.to_datetime(["2024-01-01"] * 2), "score": [1, 2]})


def _outside(fs_project):
    """A Parquet file next to the project, not inside it."""
    folder = fs_project.root.parent / "elsewhere"
    folder.mkdir()
    ROWS.to_parquet(folder / "rows.parquet", index=False)
    fs_project._write("sources/outside.yaml", {"name": "outside", "description": "rows elsewhere", "owner": "team:test",
                                               "path": "../elsewhere/rows.parquet"})
    return folder


def test_a_view_cannot_read_a_file_outside_the_project(fs_project):
    fs_project.source("raw", ROWS)
    fs_project.view("sneaky", entity="user_id", timestamp="t",
                    source={"sql": "SELECT r.*, p.* FROM raw r, read_csv('/etc/passwd', header = false) p"})
    recipes = fs_project.recipes()
    with fs_project.connect() as conn, pytest.raises(ValueError) as caught:
        materialize_view(conn, recipes.views["sneaky"], recipes, fs_project.root, keep=10)
    assert str(caught.value).startswith(
        "recipes/features/sneaky.yaml: source.sql: the view's query failed: Permission Error: "
        'Cannot access file "/etc/passwd"')


def test_a_source_path_outside_the_allowed_directories_is_one_line(fs_project):
    folder = _outside(fs_project)
    with fs_project.connect() as conn, pytest.raises(SourceError) as caught:
        read_source_frame(conn, "outside", fs_project.recipes(), fs_project.root)
    assert str(caught.value) == (
        f'recipes/sources/outside.yaml: path: cannot be read: Cannot access file "{fs_project.root}/../elsewhere/rows.parquet" '
        "outside the allowed directories (the project, the data folder and config feature_store.allowed_directories)")
    assert folder.is_dir()


def test_configured_directories_are_readable_through_the_resource(fs_project):
    _outside(fs_project)
    config_file = fs_project.root / "config" / "base.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["feature_store"]["allowed_directories"] = ["../elsewhere"]
    config_file.write_text(yaml.safe_dump(config))
    store = build_resources(fs_project.config(), fs_project.root)["feature_store"]
    with store.connect() as conn:
        assert read_source_frame(conn, "outside", fs_project.recipes(), fs_project.root)["score"].tolist() == [1, 2]
        with pytest.raises(Exception, match="Permission Error"):
            conn.execute("COPY (SELECT 1) TO '/tmp/mmp_should_not_exist.csv'")
