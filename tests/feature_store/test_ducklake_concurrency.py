"""DuckLake: four processes publishing different views at once on a fresh catalog database all succeed, with
no pool and no lock error, and every version each of them published is catalogued, current and readable afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid

import pandas as pd
import pytest
import yaml

from mmp_assets.feature_store import catalog
from mmp_assets.feature_store.views import read_feature_view
from mmp_resources import FeatureStoreResource, load_config
from mmp_resources.postgres import create_database, drop_database
from mmp_resources.sandbox import PG_SERVER
from tests.feature_store.test_store_contract import ENV

VIEWS = ["v0", "v1", "v2", "v3"]
ROUNDS = 3

# Publishes ROUNDS new versions of one view, each with different content, as fast as it can.
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from mmp_assets.feature_store import views
    from mmp_assets.recipes import load_recipes
    from mmp_resources import FeatureStoreResource

    root, env, view, rounds, start = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    recipes = load_recipes(root)
    time.sleep(max(0.0, start - time.time()))  # every writer starts at the same moment
    store = FeatureStoreResource(project_dir=str(root), env=env)
    for round in range(1, rounds + 1):
        with store.connect() as conn:
            outcome = views.materialize_view(conn, recipes.views[view], recipes, root, keep=2, params={"scale": round})
        print(view, outcome.status, outcome.entry.version, outcome.retired, flush=True)
    """
)


@pytest.fixture
def lake(fs_project, tmp_path, monkeypatch):
    url = f"{PG_SERVER}/mmp_t{uuid.uuid4().hex[:10]}_lake"
    create_database(url)
    monkeypatch.setenv("MMP_DUCKLAKE_CATALOG_URL", url)
    monkeypatch.setenv("MMP_ENV", ENV)
    overlay = {"feature_store": {"kind": "ducklake", "ducklake": {"catalog_url": "${MMP_DUCKLAKE_CATALOG_URL}", "data_path": str(tmp_path / "lake")}}}
    (fs_project.root / "config" / f"{ENV}.yaml").write_text(yaml.safe_dump(overlay), encoding="utf-8")
    yield fs_project
    drop_database(url)


def test_four_writers_at_once_publish_every_version_without_a_lock_error(lake, tmp_path):
    frame = pd.DataFrame({"user_id": [f"u{i}" for i in range(50)], "spend": [float(i) for i in range(50)]})
    lake.source("users", frame)
    for view in VIEWS:
        lake.view(view, entity="user_id", source={"sql": "SELECT user_id, spend * {{ scale }} AS spend FROM users", "params": {"scale": 1}})
    # no process has touched the catalog database yet: the four also race to create the lake and mmp's tables
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    start = time.time() + 3
    writers = [subprocess.Popen([sys.executable, str(script), str(lake.root), ENV, view, str(ROUNDS), str(start)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()) for view in VIEWS]
    results = [w.communicate(timeout=300) for w in writers]
    for writer, (out, err) in zip(writers, results):
        assert writer.returncode == 0, err[-2000:]
        assert "lock" not in err.lower() and "conflict" not in err.lower()
    published = sorted(line for out, _ in results for line in out.splitlines())
    assert published == sorted(f"{v} published {r} {[r - 2] if r > 2 else []}" for v in VIEWS for r in range(1, ROUNDS + 1))
    config = load_config(lake.root, ENV)
    assert config.feature_store_pool is None  # no Dagster pool serializes DuckLake writers
    with FeatureStoreResource(project_dir=str(lake.root), env=ENV).connect() as conn:
        for view in VIEWS:
            assert catalog.current_version(conn, "view", view) == ROUNDS
            assert [e.version for e in catalog.entries(conn, "view", view, retired=False)] == [ROUNDS - 1, ROUNDS]
            assert read_feature_view(conn, view)["spend"].sum() == ROUNDS * sum(range(50))
            assert conn.execute(f"SELECT sum(spend) FROM fv_{view}").fetchone()[0] == ROUNDS * sum(range(50))
