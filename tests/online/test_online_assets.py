"""`features/<view>/online` pushes the current DuckDB version of an `online: true` view to Redis."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml

from mmp_assets.feature_store import build_feature_store_assets
from mmp_assets.online.assets import build_online_assets, online_key
from mmp_assets.online.read import current_version, get_latest
from mmp_assets.recipes import load_recipes
from mmp_resources import OnlineStoreResource, build_resources, load_config
from mmp_resources.sandbox import REDIS_URL

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "base.yaml", root / "config" / "base.yaml")
    prefix = f"mmp_t{uuid.uuid4().hex[:10]}"
    overlay = {"data_dir": str(tmp_path / "data"), "online_store": {"kind": "redis", "url": REDIS_URL, "key_prefix": prefix}}
    (root / "config" / "online.yaml").write_text(yaml.safe_dump(overlay))
    (root / "config" / "offline.yaml").write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    pd.DataFrame({
        "user_id": ["u1", "u1", "u2"], "snapshot_time": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-15"]),
        "txn_count": [1, 4, 2],
    }).to_parquet(root / "snapshots.parquet")  # fmt: skip
    for folder, body in [
        ("sources/snapshots.yaml", {"name": "snapshots", "description": "s", "owner": "team:t", "path": "snapshots.parquet"}),
        ("features/profile.yaml", {"name": "profile", "description": "p", "owner": "team:t", "entity": "user_id",
                                   "timestamp": "snapshot_time", "source": "snapshots", "online": True}),
        ("features/offline_only.yaml", {"name": "offline_only", "description": "o", "owner": "team:t", "entity": "user_id",
                                        "timestamp": "snapshot_time", "source": "snapshots"}),
    ]:  # fmt: skip
        (root / "recipes" / folder).parent.mkdir(parents=True, exist_ok=True)
        (root / "recipes" / folder).write_text(yaml.safe_dump(body))
    yield root
    store = OnlineStoreResource(project_dir=str(root), env="online")
    keys = list(store.client().scan_iter(match=f"{prefix}:*"))
    if keys:
        store.client().delete(*keys)


def materialize(root: Path, env: str):
    recipes, config = load_recipes(root), load_config(root, env)
    assets = build_feature_store_assets(recipes, config, root) + build_online_assets(recipes, config, root)
    with dg.instance_for_test() as instance:
        return dg.materialize(
            assets, resources=build_resources(config, root), instance=instance,
            selection=dg.AssetSelection.assets(dg.AssetKey(["features", "profile"]), online_key("profile")),
        )  # fmt: skip


def test_only_online_views_get_an_online_asset_downstream_of_the_view(project):
    recipes = load_recipes(project)
    specs = [spec for a in build_online_assets(recipes, load_config(project, "online"), project) for spec in a.specs]
    assert [s.key for s in specs] == [online_key("profile")]
    assert [d.asset_key for d in specs[0].deps] == [dg.AssetKey(["features", "profile"])]
    assert specs[0].owners == ["team:t"] and specs[0].group_name == "feature_store" and "redis" in specs[0].kinds


@pytest.mark.services
def test_pushes_the_latest_row_per_entity_of_the_current_version(project):
    result = materialize(project, "online")
    assert result.success
    meta = result.asset_materializations_for_node("features__profile__online")[0].metadata
    assert meta["mmp/view_version"].value == 1 and meta["mmp/entities"].value == 2
    store = OnlineStoreResource(project_dir=str(project), env="online")
    assert current_version(store, "profile") == 1
    assert get_latest(store, "profile", "u1") == {"snapshot_time": "2026-02-01T00:00:00", "txn_count": 4}


def test_without_an_online_store_nothing_is_pushed_and_the_run_says_so(project):
    result = materialize(project, "offline")
    meta = result.asset_materializations_for_node("features__profile__online")[0].metadata
    assert meta["mmp/online_store"].value == "none (nothing pushed)"


@pytest.mark.services
def test_a_static_view_pushes_its_one_row_per_entity_and_serving_reads_it_as_current(project):
    from mmp_assets.serving.features import _fresh

    static = {"name": "profile", "description": "p", "owner": "team:t", "entity": "user_id", "source": "statics", "online": True}
    pd.DataFrame({"user_id": ["u1", "u2"], "segment": ["gold", "tin"]}).to_parquet(project / "statics.parquet")
    (project / "recipes" / "sources" / "statics.yaml").write_text(
        yaml.safe_dump({"name": "statics", "description": "s", "owner": "team:t", "path": "statics.parquet"}))
    (project / "recipes" / "features" / "profile.yaml").write_text(yaml.safe_dump(static))
    assert materialize(project, "online").success
    store = OnlineStoreResource(project_dir=str(project), env="online")
    assert get_latest(store, "profile", "u1") == {"segment": "gold"}
    view = load_recipes(project).views["profile"]
    assert _fresh(view, {"segment": "gold"}, pd.Timestamp("1990-01-01"))  # no time: always current, like the training join
