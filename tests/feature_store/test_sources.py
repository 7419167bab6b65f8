"""Sources: files, globs, fsspec URIs and SQL over other sources; fingerprints; declared schemas."""

from __future__ import annotations

import dagster as dg
import duckdb
import fsspec
import pandas as pd
import pytest

from mmp_assets.feature_store import read_source_frame
from mmp_assets.feature_store.observation import observe_source
from mmp_assets.feature_store.sources import SourceError
from mmp_assets.feature_store.source_assets import build_source_asset

ROWS = pd.DataFrame({"id": [1, 2, 3], "kind": ["x", "y", "x"]})


def _observe(project, name: str):
    recipes = project.recipes()
    with duckdb.connect() as conn:
        return observe_source(conn, name, recipes, project.root)


def test_file_fingerprints_follow_content_and_schema(fs_project):
    fs_project.source("rows", ROWS)
    first = _observe(fs_project, "rows")
    assert _observe(fs_project, "rows") == first
    fs_project.source("rows", ROWS.assign(id=[1, 2, 4]))
    changed = _observe(fs_project, "rows")
    assert changed.schema_fingerprint == first.schema_fingerprint and changed.content_fingerprint != first.content_fingerprint
    fs_project.source("rows", ROWS.assign(id=["1", "2", "4"]))
    retyped = _observe(fs_project, "rows")
    assert retyped.schema_fingerprint != first.schema_fingerprint and retyped.columns == {"id": "VARCHAR", "kind": "VARCHAR"}


def test_sql_source_reads_other_sources_by_name_and_is_order_independent(fs_project):
    fs_project.source("rows", ROWS, fmt="csv")
    fs_project.source("xs", sql="SELECT id FROM rows WHERE kind = 'x'")
    fs_project.source("xs_desc", sql="SELECT id FROM xs ORDER BY id DESC")
    recipes = fs_project.recipes()
    with duckdb.connect() as conn:
        assert read_source_frame(conn, "xs_desc", recipes, fs_project.root)["id"].tolist() == [3, 1]
    assert _observe(fs_project, "xs").content_fingerprint == _observe(fs_project, "xs_desc").content_fingerprint


def test_globs_and_fsspec_uris(fs_project):
    parts = fs_project.root / "data" / "parts"
    parts.mkdir(parents=True)
    ROWS.iloc[:2].to_parquet(parts / "a.parquet")
    ROWS.iloc[2:].to_parquet(parts / "b.parquet")
    memory = fsspec.filesystem("memory")
    with memory.open("/fs_test/rows.parquet", "wb") as handle:
        ROWS.to_parquet(handle)
    fs_project._write("sources/parts.yaml", {"name": "parts", "description": "d", "owner": "team:t", "path": "data/parts/*.parquet"})
    fs_project._write("sources/remote.yaml", {"name": "remote", "description": "d", "owner": "team:t", "path": "memory://fs_test/rows.parquet"})
    recipes = fs_project.recipes()
    with duckdb.connect() as conn:
        assert sorted(read_source_frame(conn, "parts", recipes, fs_project.root)["id"]) == [1, 2, 3]
        assert read_source_frame(conn, "remote", recipes, fs_project.root)["id"].tolist() == [1, 2, 3]
    assert _observe(fs_project, "remote").content_fingerprint


def test_declared_schema_is_checked_at_observation(fs_project):
    fs_project.source("rows", ROWS, schema={"id": "BIGINT", "kind": "INTEGER", "extra": "TEXT"})
    with pytest.raises(SourceError, match=r"recipes/sources/rows.yaml: schema: column 'kind' is VARCHAR, declared INTEGER; column 'extra' is missing"):
        _observe(fs_project, "rows")
    fs_project.source("rows", ROWS, schema={"id": "int8", "kind": "text"})  # DuckDB aliases are canonicalised
    assert _observe(fs_project, "rows").columns == {"id": "BIGINT", "kind": "VARCHAR"}


def test_source_asset_records_its_data_version(fs_project, instance):
    fs_project.source("rows", ROWS)
    recipes = fs_project.recipes()
    asset = build_source_asset(recipes.sources["rows"], recipes, fs_project.root)
    job = dg.Definitions(assets=[asset]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, asset_selection=[dg.AssetKey(["sources", "rows"])])
    observed = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    assert len(observed) == 1
    event = observed[0].event_specific_data.asset_observation
    assert event.data_version == _observe(fs_project, "rows").data_version
    assert set(event.metadata) >= {"mmp/schema_fingerprint", "mmp/content_fingerprint", "dagster/column_schema"}
    spec = next(iter(asset.specs))
    assert spec.owners == ["team:test"] and spec.group_name == "sources"
