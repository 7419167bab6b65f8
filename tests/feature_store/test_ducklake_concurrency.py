"""DuckLake: four processes publishing different views at once on a fresh catalog database all succeed, with
no pool and no lock error, and every version each of them published is catalogued, current and readable afterwards;
two processes publishing the same view at once take turns, so its versions neither collide nor skip."""

from __future__ import annotations

import os
import socket
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
from mmp_resources.ducklake_locks import PublishInProgress, publish_lock
from mmp_resources.postgres import create_database, drop_database
from mmp_resources.sandbox import PG_SERVER
from tests.feature_store.test_store_contract import ENV

VIEWS = ["v0", "v1", "v2", "v3"]
ROUNDS = 3

# Publishes one new version of one view per scale given, each with different content, as fast as it can,
# through the resource's publishing connection (as the view asset does).
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from mmp_assets.feature_store import views
    from mmp_assets.recipes import load_recipes
    from mmp_resources import FeatureStoreResource

    root, env, view, scales, start = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].split(","), float(sys.argv[5])
    recipes = load_recipes(root)
    time.sleep(max(0.0, start - time.time()))  # every writer starts at the same moment
    store = FeatureStoreResource(project_dir=str(root), env=env)
    for scale in scales:
        with store.publishing("view", view) as conn:
            outcome = views.materialize_view(conn, recipes.views[view], recipes, root, keep=2, params={"scale": int(scale)})
        print(view, outcome.status, outcome.entry.version, scale, outcome.retired, flush=True)
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
    results = _run_writers(lake, tmp_path, [(view, list(range(1, ROUNDS + 1))) for view in VIEWS])
    published = sorted(line for out in results for line in out.splitlines())
    assert published == sorted(f"{v} published {r} {r} {[r - 2] if r > 2 else []}" for v in VIEWS for r in range(1, ROUNDS + 1))
    config = load_config(lake.root, ENV)
    assert config.feature_store_pool is None  # no Dagster pool serializes DuckLake writers
    with FeatureStoreResource(project_dir=str(lake.root), env=ENV).connect() as conn:
        for view in VIEWS:
            assert catalog.current_version(conn, "view", view) == ROUNDS
            assert [e.version for e in catalog.entries(conn, "view", view, retired=False)] == [ROUNDS - 1, ROUNDS]
            assert read_feature_view(conn, view)["spend"].sum() == ROUNDS * sum(range(50))
            assert conn.execute(f"SELECT sum(spend) FROM fv_{view}").fetchone()[0] == ROUNDS * sum(range(50))


def _run_writers(lake, tmp_path, jobs: list[tuple[str, list[int]]]) -> list[str]:
    """Start one writer process per (view, scales) at the same instant; their stdout once all succeeded."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    start = time.time() + 3
    writers = [subprocess.Popen([sys.executable, str(script), str(lake.root), ENV, view, ",".join(map(str, scales)), str(start)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()) for view, scales in jobs]
    results = [w.communicate(timeout=300) for w in writers]
    for writer, (out, err) in zip(writers, results):
        assert writer.returncode == 0, err[-2000:]
        assert "lock" not in err.lower() and "conflict" not in err.lower()
    return [out for out, _ in results]


def test_two_runs_publishing_the_same_view_at_once_take_turns_and_number_every_version_once(lake, tmp_path):
    frame = pd.DataFrame({"user_id": [f"u{i}" for i in range(50)], "spend": [float(i) for i in range(50)]})
    lake.source("users", frame)
    lake.view("v0", entity="user_id", source={"sql": "SELECT user_id, spend * {{ scale }} AS spend FROM users", "params": {"scale": 1}})
    # two runs of one view asset at the same instant, each publishing two versions with contents no other has
    results = _run_writers(lake, tmp_path, [("v0", [1, 3]), ("v0", [2, 4])])
    reported = [line.split() for out in results for line in out.splitlines()]
    assert sorted(int(r[2]) for r in reported) == [1, 2, 3, 4]  # no version twice, none skipped
    assert all(r[1] == "published" for r in reported)
    scale_of = {int(r[2]): int(r[3]) for r in reported}
    with FeatureStoreResource(project_dir=str(lake.root), env=ENV).connect() as conn:
        rows = conn.execute("SELECT version, table_name, details FROM mmp_catalog WHERE name = 'v0' ORDER BY version").fetchall()
        assert [r[0] for r in rows] == [1, 2, 3, 4] and len({r[1] for r in rows}) == 4
        for version, _, details in rows:  # each catalog row describes the rows its own run wrote
            assert f'"scale": {scale_of[version]}' in details
        assert catalog.current_version(conn, "view", "v0") == 4
        assert [e.version for e in catalog.entries(conn, "view", "v0", retired=False)] == [3, 4]
        assert read_feature_view(conn, "v0")["spend"].sum() == scale_of[4] * sum(range(50))


def test_a_run_that_waited_too_long_for_the_same_view_refuses_in_one_line_naming_the_holder(lake):
    overlay = yaml.safe_load((lake.root / "config" / f"{ENV}.yaml").read_text())
    overlay["feature_store"]["ducklake"]["publish_wait_s"] = 0.5
    (lake.root / "config" / f"{ENV}.yaml").write_text(yaml.safe_dump(overlay), encoding="utf-8")
    config = load_config(lake.root, ENV)
    store = FeatureStoreResource(project_dir=str(lake.root), env=ENV)
    with publish_lock(config, "view", "spend"):  # another run is publishing view spend
        with pytest.raises(PublishInProgress) as caught:
            with store.publishing("view", "spend"):
                pytest.fail("the block ran while another run held the lock")
        with store.publishing("view", "other"):  # another view is not held up
            pass
    holder = f"mmp publish view spend (pid {os.getpid()} on {socket.gethostname()})"[:63]  # PostgreSQL keeps 63 bytes
    assert str(caught.value) == (
        f"view 'spend': another run is publishing it ({holder}) "
        "and did not finish within feature_store.ducklake.publish_wait_s = 0.5 s; nothing was written, run again once it is done")
    with store.publishing("view", "spend"):  # released with the session that held it
        pass
