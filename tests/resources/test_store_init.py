"""Four first commands at once on a fresh data folder: the SQLite stores are created once, all four work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmp_resources.store_init import READY_FILE

REPO = Path(__file__).resolve().parents[2]

# what every mmp command that runs does first, then a read of each store
FIRST_COMMAND = """
import sys
from pathlib import Path
import dagster as dg
from mmp_assets.cli.instance import use_instance_home
from mmp_resources import load_config
from mmp_resources.mlflow_stores import mlflow_client
root = Path(sys.argv[1])
use_instance_home(root)
with dg.DagsterInstance.get() as instance:
    instance.get_runs(limit=1)
client = mlflow_client(load_config(root))
client.search_experiments(max_results=1)
client.search_registered_models(max_results=1)
print("stores ok")
"""


@pytest.mark.slow
def test_four_first_commands_at_once_on_a_fresh_data_folder_all_succeed(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    (root / "recipes").mkdir()
    env = {**os.environ, "MMP_PROJECT_DIR": str(root), "MMP_DATA_DIR": str(root / ".mmp")}
    env.pop("MMP_ENV", None)
    env.pop("DAGSTER_HOME", None)
    processes = [subprocess.Popen([sys.executable, "-c", FIRST_COMMAND, str(root)], cwd=root, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outcomes = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=480)
            outcomes.append((process.returncode, out.decode().strip(), err.decode()[-1500:]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert [(code, out) for code, out, _ in outcomes] == [(0, "stores ok")] * 4, "\n".join(err for _, _, err in outcomes)
    assert (root / ".mmp" / READY_FILE).is_file()
