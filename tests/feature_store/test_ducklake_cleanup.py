"""DuckLake: after a publish, DuckLake's own cleanup deletes the Parquet files of versions retention retired, once
they have been unneeded for `feature_store.ducklake.cleanup_after_s`; the current version stays readable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from mmp_assets.feature_store import catalog
from mmp_assets.feature_store.views import materialize_view, read_feature_view
from mmp_resources import FeatureStoreResource
from tests.feature_store.test_ducklake_concurrency import lake  # noqa: F401 (the fixture)
from tests.feature_store.test_store_contract import ENV

ROWS = 5000  # enough that DuckLake writes Parquet files instead of inlining the rows into the catalog database


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _files(store: FeatureStoreResource, table: str) -> list[Path]:
    with store.connect() as conn:
        return [Path(r[0]) for r in conn.execute("SELECT data_file FROM ducklake_list_files('lake', $t)", {"t": table}).fetchall()]


def test_retired_versions_files_leave_the_data_path_after_the_grace_period(lake, tmp_path):  # noqa: F811
    lake.source("users", pd.DataFrame({"user_id": [f"u{i}" for i in range(ROWS)], "spend": [float(i) for i in range(ROWS)]}))
    lake.view("spend", entity="user_id", source={"sql": "SELECT user_id, spend * {{ scale }} AS spend FROM users", "params": {"scale": 1}})
    recipes = lake.recipes()
    store = FeatureStoreResource(project_dir=str(lake.root), env=ENV)

    def publish(scale: int) -> list[int]:
        with store.publishing("view", "spend") as conn:
            return materialize_view(conn, recipes.views["spend"], recipes, lake.root, keep=1, params={"scale": scale}).retired

    publish(1)
    first = _files(store, "fv_spend__v1")
    assert first and all(f.exists() for f in first)
    assert publish(2) == [1]
    # the default grace period (an hour): a reader still on an older snapshot may need v1's files
    assert all(f.exists() for f in first)
    second = _files(store, "fv_spend__v2")
    before = _size(tmp_path / "lake")

    config = lake.root / "config" / f"{ENV}.yaml"
    overlay = yaml.safe_load(config.read_text())
    overlay["feature_store"]["ducklake"]["cleanup_after_s"] = 0
    config.write_text(yaml.safe_dump(overlay), encoding="utf-8")
    store = FeatureStoreResource(project_dir=str(lake.root), env=ENV)
    assert publish(3) == [2]

    assert not any(f.exists() for f in first + second)
    assert _size(tmp_path / "lake") < before
    with store.connect() as conn:
        assert catalog.current_version(conn, "view", "spend") == 3
        assert read_feature_view(conn, "spend")["spend"].sum() == 3 * sum(range(ROWS))
        assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 3 * sum(range(ROWS))
        assert all(Path(r[0]).exists() for r in conn.execute("SELECT data_file FROM ducklake_list_files('lake', 'fv_spend__v3')").fetchall())
