"""A search killed after k of n trials resumes to n on the next run, not to k + n."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from mmp_assets.training.budget import Budget
from mmp_assets.training.search import run_search
from tests.training.toys import make_recipe, make_training_set

REPO = Path(__file__).resolve().parents[2]
RECIPE = {"tuning": {"n_trials": 5, "pruner": "none"}}

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from mmp_assets.training.budget import Budget
    from mmp_assets.training.pipeline import build_pipeline
    from mmp_assets.training.search import run_search
    from tests.training.toys import make_recipe, make_training_set

    journal, stuck = sys.argv[1], Path(sys.argv[2])
    built = []

    def hangs_on_the_third_trial(recipe, params, numeric, categorical):
        built.append(1)
        if len(built) == 3:
            stuck.touch()
            time.sleep(600)  # killed here, mid-trial
        return build_pipeline(recipe, params, numeric, categorical)

    storage = JournalStorage(JournalFileBackend(journal))
    run_search(make_recipe(tuning={"n_trials": 5, "pruner": "none"}), make_training_set(n=300),
               Budget(5, "tuning.n_trials", None, None, 1, "tuning.n_jobs"), storage,
               pipeline_factory=hangs_on_the_third_trial)
    """
)


def test_killed_search_resumes_to_n_trials(tmp_path):
    journal, stuck = tmp_path / "journal.log", tmp_path / "stuck"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(journal), str(stuck)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    try:
        deadline = time.monotonic() + 120
        while not stuck.exists():
            assert child.poll() is None, "the child search ended before it could be interrupted"
            assert time.monotonic() < deadline, "the child search never reached its third trial"
            time.sleep(0.2)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    storage = JournalStorage(JournalFileBackend(str(journal)))
    result = run_search(make_recipe(**RECIPE), make_training_set(n=300), Budget(5, "tuning.n_trials", None, None, 1, "tuning.n_jobs"), storage)

    assert result.ran_here == 3  # 2 finished before the kill + 3 now = 5
    assert result.counts == {"complete": 5, "pruned": 0, "failed": 1}
    killed = result.study.trials[2]
    assert killed.state == TrialState.FAIL and killed.user_attrs["error"].startswith("interrupted")
    again = run_search(make_recipe(**RECIPE), make_training_set(n=300), Budget(5, "tuning.n_trials", None, None, 1, "tuning.n_jobs"), storage)
    assert again.ran_here == 0 and again.stopped_by == "already_complete"
