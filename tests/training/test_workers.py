"""Two `mmp tune --worker` processes share one PostgreSQL study and stop together at n trials."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

REPO = Path(__file__).resolve().parents[2]
PG = "postgresql://postgres@127.0.0.1:5432"
N_TRIALS = 6

WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mmp_assets.cli.tune import _work
    from mmp_resources.loader import load_config
    from mmp_resources.studies import StudyStorageResource
    from tests.training.toys import make_recipe, make_training_set

    root, go, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    recipe = make_recipe(tuning={"n_trials": n, "pruner": "median"})
    recipe = recipe.model_copy(update={"model": recipe.model.model_copy(update={"params": {**recipe.model.params, "iterations": 80}})})
    training_set = make_training_set()
    while not go.exists():  # start both workers' searches together
        time.sleep(0.05)
    sys.exit(_work(recipe, training_set, load_config(root, "dev"), StudyStorageResource(project_dir=str(root), env="dev"), n, None))
    """
)


@pytest.fixture
def database():
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"mmp_tune_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(f"{PG}/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.services
@pytest.mark.slow
def test_two_workers_finish_n_trials_together_without_duplicates(database, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    env = {**os.environ, "PYTHONPATH": str(REPO), "MMP_ENV": "dev", "MMP_OPTUNA_STORAGE": database, "MMP_DATA_DIR": str(root / ".mmp")}
    go = tmp_path / "go"
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(root), str(go), str(N_TRIALS)], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    time.sleep(1.0)
    go.touch()
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [out[-3000:] for out in outputs]

    (name,) = optuna.get_all_study_names(database)
    trials = optuna.load_study(study_name=name, storage=database).trials
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == N_TRIALS
    assert len({t.number for t in finished}) == N_TRIALS
    assert not [t for t in trials if t.state == TrialState.FAIL and not t.user_attrs.get("surplus")]
    by_worker = Counter(t.user_attrs["worker"] for t in finished)
    assert len(by_worker) == 2, f"one worker did everything: {by_worker}"
