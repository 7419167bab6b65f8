"""`kill -9` in the middle of a publish leaves the previous version current and intact."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from mmp_assets.feature_store import catalog
from mmp_assets.feature_store.views import materialize_view

# Runs one publish in a child process that stops at `point` and waits to be killed there.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import duckdb
    from mmp_assets.feature_store import catalog, publish, views
    from mmp_assets.recipes import load_recipes
    from mmp_resources import load_config

    root, point = Path(sys.argv[1]), sys.argv[2]
    module, name = {"staged": (publish, "profile_table"), "in_transaction": (catalog, "set_current")}[point]
    original = getattr(module, name)

    def stop_here(*args, **kwargs):
        result = original(*args, **kwargs)
        print("READY", flush=True)
        time.sleep(120)
        return result

    setattr(module, name, stop_here)
    recipes = load_recipes(root)
    with duckdb.connect(load_config(root).duckdb_path) as conn:
        views.materialize_view(conn, recipes.views["spend"], recipes, root, keep=10)
    """
)


def _snapshots(value: float) -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a", "b"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "spend": [value, value]})


@pytest.mark.parametrize("point", ["staged", "in_transaction"])
def test_killed_publish_leaves_previous_version_current(fs_project, tmp_path, point):
    fs_project.source("snaps", _snapshots(1.0))
    fs_project.view("spend", entity="user_id", timestamp="t", source="snaps")
    recipes = fs_project.recipes()
    with fs_project.connect() as conn:
        materialize_view(conn, recipes.views["spend"], recipes, fs_project.root, keep=10)
    fs_project.source("snaps", _snapshots(5.0))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(script), str(fs_project.root), point], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "READY"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with fs_project.connect() as conn:
        assert catalog.current_version(conn, "view", "spend") == 1
        assert [e.version for e in catalog.entries(conn, "view", "spend")] == [1]
        assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 2.0
        assert conn.execute("SELECT sum(spend) FROM fv_spend__v1").fetchone()[0] == 2.0
        again = materialize_view(conn, fs_project.recipes().views["spend"], recipes, fs_project.root, keep=10)
        assert (again.status, again.entry.version) == ("published", 2)
        assert conn.execute("SELECT sum(spend) FROM fv_spend").fetchone()[0] == 10.0
