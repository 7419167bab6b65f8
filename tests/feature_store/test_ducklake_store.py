"""The DuckLake offline store's config and secrets: strict one-line errors, and a catalog password that
never reaches an error, a log line, Dagster metadata or a DuckDB catalog function."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml

from mmp_resources import FeatureStoreResource, MmpValidationError, load_config
from mmp_resources.ducklake import DuckLakeUnavailable
from mmp_resources.postgres import create_database, drop_database
from mmp_resources.sandbox import PG_SERVER
from tests.feature_store.conftest import FsProject

PASSWORD = "s3cret-lake-pw"


def _env(root: Path, overlay: dict, monkeypatch) -> None:
    (root / "config" / "lake.yaml").write_text(yaml.safe_dump(overlay), encoding="utf-8")
    monkeypatch.setenv("MMP_ENV", "lake")


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        ({"feature_store": {"kind": "ducklake"}},
         "config/base.yaml + config/lake.yaml: feature_store: kind 'ducklake' needs feature_store.ducklake.catalog_url "
         "(a postgresql:// URL, from MMP_DUCKLAKE_CATALOG_URL) (got a value not shown, as it may hold a secret)"),
        ({"feature_store": {"kind": "ducklake", "ducklake": {"catalog_url": "mysql://u@h/db"}}},
         "config/base.yaml + config/lake.yaml: feature_store.ducklake.catalog_url: scheme 'mysql' is not supported; "
         "allowed: postgresql://, postgres:// (mmp keeps the DuckLake catalog in PostgreSQL) (got a value not shown, as it may hold a secret)"),
        ({"feature_store": {"kind": "iceberg"}},
         "config/base.yaml + config/lake.yaml: feature_store.kind: Input should be 'duckdb' or 'ducklake' (got 'iceberg')"),
        ({"feature_store": {"kind": "ducklake", "ducklake": {"catalog_url": "postgresql://h/db", "datapath": "x"}}},
         "config/base.yaml + config/lake.yaml: feature_store.ducklake.datapath: unknown field (value 'x'); remove it or check its spelling"),
    ],
    ids=["no-catalog-url", "not-postgres", "unknown-kind", "unknown-field"],
)
def test_a_broken_ducklake_config_is_one_line(fs_project, monkeypatch, overlay, message):
    _env(fs_project.root, overlay, monkeypatch)
    with pytest.raises(MmpValidationError) as caught:
        load_config(fs_project.root)
    assert str(caught.value).splitlines()[0] == message


def test_the_pool_applies_to_the_duckdb_file_only(fs_project, monkeypatch):
    assert load_config(fs_project.root).feature_store_pool == "mmp_duckdb"
    _env(fs_project.root, {"feature_store": {"kind": "ducklake", "ducklake": {"catalog_url": "postgresql://h/db"}}}, monkeypatch)
    config = load_config(fs_project.root)
    assert config.feature_store_pool is None
    assert config.ducklake_data_path == str((fs_project.root / ".mmp" / "ducklake").resolve()) + "/"


def test_dev_and_prod_use_ducklake(monkeypatch, tmp_path):
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("MMP_DATA_DIR", str(tmp_path))
    assert load_config(repo, "base").feature_store.kind == "duckdb"
    dev = load_config(repo, "dev")
    assert dev.feature_store.kind == "ducklake" and dev.ducklake_data_path == f"{tmp_path.resolve()}/ducklake/"


def test_an_unreachable_catalog_is_one_masked_line(fs_project, monkeypatch):
    monkeypatch.setenv("MMP_DUCKLAKE_CATALOG_URL", f"postgresql://mmp:{PASSWORD}@127.0.0.1:1/nowhere")
    _env(fs_project.root, {"feature_store": {"kind": "ducklake", "ducklake": {"catalog_url": "${MMP_DUCKLAKE_CATALOG_URL}"}}}, monkeypatch)
    with pytest.raises(DuckLakeUnavailable) as caught:
        with FeatureStoreResource(project_dir=str(fs_project.root), env="lake").connect():
            pass
    text = str(caught.value)
    assert text.startswith("config/lake.yaml: feature_store.ducklake.catalog_url: cannot attach the DuckLake catalog: IO Error: ")
    assert text.endswith('port 1 failed: Connection refused')
    assert PASSWORD not in text and "\n" not in text


@pytest.fixture
def lake_with_password(fs_project, tmp_path, monkeypatch):
    """A lake whose catalog URL carries a password (the local server trusts loopback, so it is sent and ignored)."""
    server = PG_SERVER.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")
    url = f"{server}/mmp_t{uuid.uuid4().hex[:10]}_lake"
    create_database(url)
    monkeypatch.setenv("MMP_DUCKLAKE_CATALOG_URL", url)
    _env(fs_project.root, {"feature_store": {"kind": "ducklake", "ducklake": {
        "catalog_url": "${MMP_DUCKLAKE_CATALOG_URL}", "data_path": str(tmp_path / "lake")}}}, monkeypatch)
    yield fs_project
    drop_database(url)


def test_the_catalog_password_reaches_no_log_metadata_or_catalog_function(lake_with_password: FsProject):
    project = lake_with_password
    project.source("snaps", pd.DataFrame({"user_id": ["a", "b"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "spend": [1.0, 2.0]}))
    project.view("spend", entity="user_id", timestamp="t", source="snaps")
    project.config = lambda: load_config(project.root, "lake")
    with dg.instance_for_test() as instance:
        result = project.materialize(instance)
        assert result.success
        records = instance.get_records_for_run(result.run_id).records
        logged = "\n".join(str(r.event_log_entry) for r in records)
    materialization = result.asset_materializations_for_node(result.get_step_success_events()[0].step_key.replace(".", "__"))
    assert records and "fv_spend__v1" in logged  # the table name is logged; the URL is not
    assert PASSWORD not in logged
    assert all(PASSWORD not in str(m.metadata) for m in materialization)
    with FeatureStoreResource(project_dir=str(project.root), env="lake").connect() as conn:
        assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 3.0
        shown = conn.execute("SELECT * FROM duckdb_databases()").fetchall() + conn.execute("SELECT * FROM duckdb_secrets()").fetchall()
        settings = conn.execute("SELECT value FROM duckdb_settings()").fetchall()
    assert PASSWORD not in str(shown) and PASSWORD not in str(settings)


@pytest.fixture
def silent_server():
    """A port that accepts TCP connections and never answers, like a server behind a firewall dropping packets."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.mark.parametrize(("open_", "what"), [("connect", "cannot attach the DuckLake catalog: IO Error: "),
                                             ("publishing", "cannot reach the catalog database: ")])
def test_a_catalog_server_that_never_answers_fails_in_one_masked_line_after_the_connect_timeout(fs_project, monkeypatch, silent_server, open_, what):
    monkeypatch.setenv("MMP_DUCKLAKE_CATALOG_URL", f"postgresql://mmp:{PASSWORD}@127.0.0.1:{silent_server}/nowhere")
    _env(fs_project.root, {"feature_store": {"kind": "ducklake", "ducklake": {
        "catalog_url": "${MMP_DUCKLAKE_CATALOG_URL}", "connect_timeout_s": 2}}}, monkeypatch)
    store = FeatureStoreResource(project_dir=str(fs_project.root), env="lake")
    with pytest.raises(DuckLakeUnavailable) as caught:
        with getattr(store, open_)(*(("view", "spend") if open_ == "publishing" else ())):
            pytest.fail("connected to a server that never answers")
    text = str(caught.value)
    assert text.startswith(f"config/lake.yaml: feature_store.ducklake.catalog_url: {what}")
    assert text.endswith("timeout expired (no answer within feature_store.ducklake.connect_timeout_s = 2 s)")
    assert PASSWORD not in text and "\n" not in text
