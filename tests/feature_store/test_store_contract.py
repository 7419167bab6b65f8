"""One contract for the offline store, run over both implementations (the way Optuna tests its storages):
the DuckDB file, and DuckLake with its catalog in a uuid-named PostgreSQL database and its data in tmp_path.

Publish, versions, the point-in-time join, the contract check, retention and crash safety must behave
the same on both; only where the tables live differs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pandas as pd
import pytest
import yaml

from mmp_assets.feature_store import catalog, load_training_set
from mmp_assets.feature_store.training_build import materialize_training_set
from mmp_assets.feature_store.views import materialize_view, read_feature_view
from mmp_resources import FeatureStoreResource
from mmp_resources.postgres import create_database, drop_database
from mmp_resources.sandbox import PG_SERVER
from tests.feature_store.conftest import FsProject

ENV = "contract"
T = pd.Timestamp


class StoreProject(FsProject):
    """An FsProject whose connections come from the configured FeatureStoreResource, whatever its kind."""

    def resource(self) -> FeatureStoreResource:
        return FeatureStoreResource(project_dir=str(self.root), env=ENV)

    def connect(self, read_only: bool = False):
        return self.resource().connect()

    def config(self):
        from mmp_resources import load_config

        return load_config(self.root, ENV)


@pytest.fixture(scope="session")
def s3_endpoint():
    """A local S3 API (moto's server) standing in for prod's object storage."""
    import socket
    import urllib.request

    if shutil.which("moto_server") is None:
        pytest.skip("moto_server is not installed: DuckLake on object storage is not exercised here")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(params=["duckdb", "ducklake", "ducklake-s3"])
def store(request, fs_project, tmp_path, monkeypatch):
    """The same tiny project on one implementation; DuckLake's catalog database is created here and dropped after.
    `ducklake-s3` keeps the lake's Parquet in an S3 bucket (prod's layout) instead of a folder."""
    kind = request.param.split("-")[0]
    overlay: dict = {"feature_store": {"kind": kind}}
    url = None
    if kind == "ducklake":
        data_path = str(tmp_path / "lake")
        if request.param == "ducklake-s3":
            import urllib.request

            endpoint = request.getfixturevalue("s3_endpoint")
            bucket = f"lake-{uuid.uuid4().hex[:10]}"
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{bucket}", method="PUT"), timeout=10)
            for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                                "AWS_ENDPOINT_URL": endpoint}.items():
                monkeypatch.setenv(name, value)
            data_path = f"s3://{bucket}/features/"
        url = f"{PG_SERVER}/mmp_t{uuid.uuid4().hex[:10]}_lake"
        create_database(url)
        monkeypatch.setenv("MMP_DUCKLAKE_CATALOG_URL", url)
        overlay["feature_store"]["ducklake"] = {"catalog_url": "${MMP_DUCKLAKE_CATALOG_URL}", "data_path": data_path}
    (fs_project.root / "config" / f"{ENV}.yaml").write_text(yaml.safe_dump(overlay), encoding="utf-8")
    monkeypatch.setenv("MMP_ENV", ENV)
    project = StoreProject(fs_project.root)
    project.kind = kind
    project.data_path = overlay["feature_store"].get("ducklake", {}).get("data_path")
    yield project
    if url is not None:
        drop_database(url)


def _snapshots(scale: float) -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a", "a", "b"], "snapshot_time": [T("2024-01-01"), T("2024-01-10"), T("2024-01-01")],
                         "spend": [1.0 * scale, 2.0 * scale, 3.0 * scale]})


def _events() -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a", "a", "b", "b", "z"] * 2,
                         "t": [T("2023-12-31"), T("2024-01-05"), T("2024-01-02"), T("2024-01-20"), T("2024-01-05")] * 2,
                         "y": [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]})


def _publish(project: StoreProject, scale: float | None = None, keep: int = 10):
    if scale is not None:
        project.source("snaps", _snapshots(scale))
    recipes = project.recipes()
    with project.connect() as conn:
        return materialize_view(conn, recipes.views["spend"], recipes, project.root, keep=keep, run_id="contract")


@pytest.fixture
def spend(store):
    store.source("snaps", _snapshots(1))
    store.view("spend", entity="user_id", timestamp="snapshot_time", source="snaps")
    return store


class TestOfflineStoreContract:
    def test_the_configured_implementation_is_the_one_connected(self, spend):
        with spend.connect() as conn:
            kind = conn.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
        assert kind == spend.kind
        if spend.kind == "ducklake":  # a few rows are inlined into the catalog; more become Parquet under the data path
            with spend.connect() as conn:
                conn.execute("CREATE TABLE big AS SELECT range AS x FROM range(5000)")
                files = [r[0] for r in conn.execute("SELECT data_file FROM ducklake_list_files('lake', 'big')").fetchall()]
            assert files and all(f.startswith(spend.data_path.rstrip("/")) and f.endswith(".parquet") for f in files)

    def test_publish_new_content_as_a_new_version_and_same_content_as_none(self, spend):
        first, second, third = _publish(spend), _publish(spend), _publish(spend, scale=10)
        assert [(o.status, o.entry.version) for o in (first, second, third)] == [("published", 1), ("unchanged", 1), ("published", 2)]
        with spend.connect() as conn:
            assert catalog.current_version(conn, "view", "spend") == 2
            assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 60.0
            assert read_feature_view(conn, "spend", version=1)["spend"].sum() == 6.0
            with pytest.raises(LookupError, match="version 7 does not exist; readable versions: 1, 2"):
                read_feature_view(conn, "spend", version=7)

    def test_fingerprints_are_the_same_on_both_implementations(self, spend):
        entry = _publish(spend).entry
        # the digest of these three rows and this schema, whichever store holds them
        assert entry.content_hash == EXPECTED_CONTENT_HASH
        assert entry.schema == {"user_id": "VARCHAR", "snapshot_time": "TIMESTAMP_NS", "spend": "DOUBLE"}
        assert entry.row_count == 3 and set(entry.source_fingerprints["snaps"]) == {"schema", "content"}

    def test_contract_check_rejects_duplicate_keys_and_keeps_the_current_version(self, spend):
        _publish(spend)
        duplicated = pd.concat([_snapshots(5), _snapshots(5).iloc[:1]])
        spend.source("snaps", duplicated)
        outcome = _publish(spend)
        assert outcome.status == "rejected"
        assert outcome.report.violations == ["2 row(s) share their key (user_id, snapshot_time) with another row"]
        with spend.connect() as conn:
            assert catalog.current_version(conn, "view", "spend") == 1
            assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 6.0
            assert "fv_spend__v2" not in {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}

    def test_point_in_time_join_takes_the_latest_row_at_or_before_each_spine_row(self, spend):
        spend.source("events", _events())
        spend.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y"},
                    features=[{"view": "spend"}], split={"strategy": "random", "validation": 0.2, "test": 0.2})
        _publish(spend)
        recipes = spend.recipes()
        with spend.connect() as conn:
            built = materialize_training_set(conn, recipes.models["m"], recipes, spend.root)
            loaded = load_training_set(conn, recipes.models["m"])
        assert (built.status, built.entry.version, built.violations) == ("published", 1, [])
        assert built.entry.content_hash == EXPECTED_TRAINING_SET_HASH  # same rows, same split, same digest on both
        assert sorted(loaded.frame["split"].unique()) == ["test", "train", "validation"]
        rows = loaded.frame
        got = sorted((r.user_id, str(r.t.date()), None if pd.isna(r.spend) else r.spend) for r in rows.itertuples())
        expected = sorted([("a", "2023-12-31", None), ("a", "2024-01-05", 1.0), ("b", "2024-01-02", 3.0),
                           ("b", "2024-01-20", 3.0), ("z", "2024-01-05", None)] * 2)
        assert got == expected

    def test_retention_keeps_the_last_n_and_every_pinned_version(self, spend):
        spend.source("events", _events())
        spend.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y"}, features=[{"view": "spend"}])
        _publish(spend)
        recipes = spend.recipes()
        with spend.connect() as conn:
            assert materialize_training_set(conn, recipes.models["m"], recipes, spend.root).entry.pinned_views == {"spend": 1}
        for scale in (2, 3, 4):
            outcome = _publish(spend, scale=scale, keep=2)
        assert outcome.retired == [2]
        with spend.connect() as conn:
            assert [e.version for e in catalog.entries(conn, "view", "spend", retired=False)] == [1, 3, 4]
            assert read_feature_view(conn, "spend", version=1)["spend"].sum() == 6.0
            with pytest.raises(LookupError, match="version 2 was retired by retention"):
                read_feature_view(conn, "spend", version=2)

    @pytest.mark.parametrize("point", ["staged", "in_transaction"])
    def test_kill_9_mid_publish_leaves_the_previous_version_current_and_readable(self, spend, tmp_path, point):
        _publish(spend)
        spend.source("snaps", _snapshots(5))
        script = tmp_path / "child.py"
        script.write_text(KILLED_CHILD)
        child = subprocess.Popen([sys.executable, str(script), str(spend.root), ENV, point], stdout=subprocess.PIPE, text=True,
                                 env=os.environ.copy())
        try:
            # staged: the new version's table is written and committed, nothing points at it yet;
            # in_transaction: inside the publish transaction, the current pointer already moved
            assert child.stdout.readline().strip() == "READY"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        with spend.connect() as conn:
            assert catalog.current_version(conn, "view", "spend") == 1
            assert [e.version for e in catalog.entries(conn, "view", "spend")] == [1]
            assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 6.0
        again = _publish(spend)
        assert (again.status, again.entry.version) == ("published", 2)
        with spend.connect() as conn:
            assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 30.0


EXPECTED_CONTENT_HASH = "9cd24b22fdf76454"  # hashlib digest of DuckDB's hash() of each row, the row count and the schema

EXPECTED_TRAINING_SET_HASH = "0c11c1a2b2cc8534"

# Publishes through the configured resource, stops at `point` and waits to be killed there.
KILLED_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mmp_assets.feature_store import catalog, publish, views
    from mmp_assets.recipes import load_recipes
    from mmp_resources import FeatureStoreResource

    root, env, point = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    module, name = {"staged": (publish, "profile_table"), "in_transaction": (catalog, "set_current")}[point]
    original = getattr(module, name)

    def stop_here(*args, **kwargs):
        result = original(*args, **kwargs)
        print("READY", flush=True)
        time.sleep(120)
        return result

    setattr(module, name, stop_here)
    recipes = load_recipes(root)
    with FeatureStoreResource(project_dir=str(root), env=env).connect() as conn:
        views.materialize_view(conn, recipes.views["spend"], recipes, root, keep=10)
    """
)
