"""Publishing feature view versions: new content → new version, same content → nothing, old versions readable."""

from __future__ import annotations

import pandas as pd
import pytest

from mmp_assets.feature_store import catalog
from mmp_assets.feature_store.training_build import materialize_training_set
from mmp_assets.feature_store.views import materialize_view, read_feature_view


def _snapshots(scale: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"user_id": ["a", "a", "b"], "snapshot_time": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02"]),
         "spend": [1.0 * scale, 2.0 * scale, 3.0 * scale]}
    )


@pytest.fixture
def store(fs_project):
    fs_project.source("snaps", _snapshots(1))
    fs_project.view("spend", entity="user_id", timestamp="snapshot_time", source="snaps")
    return fs_project


def _publish(project, scale: float | None = None, keep: int = 10):
    if scale is not None:
        project.source("snaps", _snapshots(scale))
    recipes = project.recipes()
    with project.connect() as conn:
        return materialize_view(conn, recipes.views["spend"], recipes, project.root, keep=keep, run_id="test")


def test_changed_content_publishes_a_new_version_and_unchanged_publishes_nothing(store):
    first = _publish(store)
    second = _publish(store)
    third = _publish(store, scale=10)
    assert (first.status, first.entry.version) == ("published", 1)
    assert (second.status, second.entry.version) == ("unchanged", 1)
    assert (third.status, third.entry.version) == ("published", 2)
    with store.connect() as conn:
        assert catalog.current_version(conn, "view", "spend") == 2
        assert [e.version for e in catalog.entries(conn, "view", "spend")] == [1, 2]
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"fv_spend__v1", "fv_spend__v2"} <= tables
    assert "fv_spend__v3" not in tables  # the no-op staged nothing that survived


def test_content_hash_ignores_row_order(store):
    first = _publish(store)
    store.source("snaps", _snapshots(1).iloc[::-1])
    assert _publish(store).status == "unchanged"
    assert first.entry.content_hash == _publish(store).entry.content_hash


def test_old_version_reads_back_by_number(store):
    _publish(store)
    _publish(store, scale=10)
    with store.connect() as conn:
        old = read_feature_view(conn, "spend", version=1).sort_values(["user_id", "snapshot_time"])
        new = read_feature_view(conn, "spend").sort_values(["user_id", "snapshot_time"])
        current = conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0]
    assert old["spend"].tolist() == [1.0, 2.0, 3.0]
    assert new["spend"].tolist() == [10.0, 20.0, 30.0]
    assert current == 60.0
    with store.connect() as conn, pytest.raises(LookupError, match="version 7 does not exist; readable versions: 1, 2"):
        read_feature_view(conn, "spend", version=7)


def test_catalog_records_owner_schema_nulls_and_sources(store):
    entry = _publish(store).entry
    assert entry.owner == "team:test" and entry.entity == ["user_id"] and entry.timestamp_column == "snapshot_time"
    assert entry.schema == {"user_id": "VARCHAR", "snapshot_time": "TIMESTAMP_NS", "spend": "DOUBLE"}
    assert entry.row_count == 3 and entry.null_fractions == {"user_id": 0.0, "snapshot_time": 0.0, "spend": 0.0}
    assert set(entry.source_fingerprints["snaps"]) == {"schema", "content"}
    assert entry.run_id == "test"


def test_retention_keeps_last_n_and_every_pinned_version(store):
    store.source("events", pd.DataFrame({"user_id": ["a", "b"] * 5, "t": pd.date_range("2024-01-06", periods=10, freq="D"), "y": [0, 1] * 5}))
    store.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y"}, features=[{"view": "spend"}])
    _publish(store)
    recipes = store.recipes()
    with store.connect() as conn:
        built = materialize_training_set(conn, recipes.models["m"], recipes, store.root)
    assert built.entry.pinned_views == {"spend": 1}
    for scale in (2, 3, 4):
        outcome = _publish(store, scale=scale, keep=2)
    assert outcome.retired == [2]
    with store.connect() as conn:
        live = [e.version for e in catalog.entries(conn, "view", "spend", retired=False)]
        assert live == [1, 3, 4]
        assert read_feature_view(conn, "spend", version=1)["spend"].sum() == 6.0
        with pytest.raises(LookupError, match="version 2 was retired by retention"):
            read_feature_view(conn, "spend", version=2)
