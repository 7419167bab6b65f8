"""`kill -9` of a real `mmp materialize` (its own process group) at step start, mid-publish, mid-registration
and mid-evaluation, then a plain rerun: it finishes without help, and the stores read as if the killed run
never happened or had completed (current versions readable, registry consistent, `mmp audit verify` clean).

The child stops at its point through tests/crash/pause/sitecustomize.py (put on its PYTHONPATH only), and the
test checks the state the kill leaves in the real stores (Dagster's run and pool slot, DuckDB, MLflow)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow
PAUSE = Path(__file__).parent / "pause"
POOL = "mmp_duckdb"


def _env(point: str | None = None, marker: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMP_", "DAGSTER_", "MLFLOW_"))}
    env |= {"OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    if point:
        env |= {"PYTHONPATH": str(PAUSE), "MMP_CRASH_TEST_POINT": point, "MMP_CRASH_TEST_MARKER": str(marker)}
    return env


def _mmp(root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mmp_assets.cli", *args], cwd=root, env=_env(), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """`mmp init shop`: two sources, one feature view, one model recipe (2 trials), tiny generated data."""
    done = subprocess.run([sys.executable, "-m", "mmp_assets.cli", "init", "shop"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return tmp_path / "shop"


class Paused:
    """`mmp materialize` started in its own process group, stopped at `point`; `kill()` sends SIGKILL to the group."""

    def __init__(self, root: Path, point: str, *args: str):
        self.marker, self.log = root / f".{point}.reached", root / f".{point}.log"
        with self.log.open("w") as out:
            self.child = subprocess.Popen([sys.executable, "-m", "mmp_assets.cli", "materialize", *args], cwd=root,
                                          env=_env(point, self.marker), stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    def wait_reached(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            if self.child.poll() is not None:
                pytest.fail(f"mmp materialize ended (exit {self.child.returncode}) before its stop:\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"mmp materialize did not reach its stop in {timeout:.0f}s:\n{self.log.read_text()}")
            time.sleep(0.5)

    def kill(self) -> None:
        if self.child.poll() is None:
            os.killpg(self.child.pid, signal.SIGKILL)
        self.child.wait(timeout=60)


def _instance(root: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(root / ".mmp" / "dagster_home"))


def _held_slots(root: Path) -> list[tuple[str, str]]:
    with _instance(root) as instance:
        storage = instance.event_log_storage
        return [(s.run_id, s.step_key) for key in storage.get_concurrency_keys()
                for s in storage.get_concurrency_info(key).claimed_slots]


def _runs(root: Path) -> dict[str, dg.DagsterRunStatus]:
    with _instance(root) as instance:
        return {r.run_id: r.status for r in instance.get_runs()}


def _client(root: Path) -> MlflowClient:
    uri = f"sqlite:///{root / '.mmp' / 'mlflow.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)  # not a registry URI an earlier test in this worker set globally


def _read(root: Path, sql: str):
    with duckdb.connect(str(root / ".mmp" / "mmp.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _change_snapshots(root: Path) -> None:
    """New snapshot values: the view, the training set and the model inputs all change."""
    path = root / "data" / "customer_snapshots.parquet"
    frame = pd.read_parquet(path)
    numeric = frame.select_dtypes("number").columns
    frame[numeric[0]] = frame[numeric[0]] + 1
    frame.to_parquet(path, index=False)


def _assert_consistent(root: Path, rerun: subprocess.CompletedProcess) -> None:
    """The rerun succeeded and left every store whole: nothing running, no slot held, current versions readable,
    the candidate complete and evaluated, the audit log intact against MLflow."""
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert dg.DagsterRunStatus.STARTED not in _runs(root).values()
    assert _held_slots(root) == []
    assert _read(root, "SELECT count(*) FROM fv_customer_activity")[0][0] > 0
    assert _read(root, "SELECT count(*) FROM ts_returns")[0][0] > 0
    client = _client(root)
    candidate = client.get_model_version_by_alias("returns", "candidate")
    assert candidate.tags["mmp.registration"] == "complete" and candidate.tags["gate"] in {"passed", "failed"}
    verify = _mmp(root, "audit", "verify", timeout=300)
    assert verify.returncode == 0, verify.stderr
    assert "intact" in verify.stdout


def test_kill_at_step_start_frees_the_pool_slot_for_the_rerun(shop):
    killed = Paused(shop, "step_start")
    try:
        killed.wait_reached()
        (run_id, step), = _held_slots(shop)  # the view step claimed the DuckDB pool's only slot
        assert step == "features__customer_activity"
    finally:
        killed.kill()
    assert _runs(shop)[run_id] == dg.DagsterRunStatus.STARTED and _held_slots(shop) == [(run_id, step)]  # what kill -9 leaves

    rerun = _mmp(shop, "materialize")

    first = rerun.stderr.splitlines()[0]
    assert first.startswith(f"run {run_id} (pid {killed.child.pid} on ") and first.endswith(
        "died without finishing: marked failed, 1 pool slot freed"), rerun.stderr
    assert _runs(shop)[run_id] == dg.DagsterRunStatus.FAILURE
    _assert_consistent(shop, rerun)
    assert _read(shop, "SELECT version FROM mmp_catalog WHERE kind = 'view'") == [(1,)]


def test_kill_mid_publish_keeps_the_previous_version_current(shop):
    first = _mmp(shop, "materialize", "--select", "features/customer_activity")
    assert first.returncode == 0, first.stderr
    before = _read(shop, "SELECT * FROM fv_customer_activity ORDER BY ALL")
    _change_snapshots(shop)
    killed = Paused(shop, "publish")
    try:
        killed.wait_reached()
    finally:
        killed.kill()
    assert _read(shop, "SELECT * FROM fv_customer_activity ORDER BY ALL") == before  # v1 current and whole

    rerun = _mmp(shop, "materialize")

    _assert_consistent(shop, rerun)
    assert _read(shop, "SELECT version FROM mmp_catalog WHERE kind = 'view' ORDER BY version") == [(1,), (2,)]
    assert _read(shop, "SELECT * FROM fv_customer_activity ORDER BY ALL") != before


def test_kill_mid_registration_marks_the_version_incomplete_and_registers_a_complete_one(shop):
    killed = Paused(shop, "register")
    try:
        killed.wait_reached()
        half = _client(shop).get_model_version("returns", "1")
        assert half.tags["mmp.registration"] == "pending"
    finally:
        killed.kill()
    assert "candidate" not in _client(shop).get_registered_model("returns").aliases

    rerun = _mmp(shop, "materialize")

    assert "returns v1: registration of v1 did not complete" in rerun.stdout + rerun.stderr
    _assert_consistent(shop, rerun)
    client = _client(shop)
    assert str(client.get_model_version_by_alias("returns", "candidate").version) == "2"
    assert client.get_model_version("returns", "1").tags["mmp.registration"] == "incomplete"
    listed = _mmp(shop, "models", "list", "returns", timeout=300)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert "registration incomplete" in rows["1"] and "candidate" in rows["2"]
    promote = _mmp(shop, "models", "promote", "returns", "--version", "1", "--approver", "someone-else", "--reason", "try", timeout=300)
    assert promote.returncode == 1
    assert "returns v1: its registration did not complete" in promote.stderr
    again = _mmp(shop, "materialize", "--select", "returns/model")  # repaired once: nothing left to repair or retrain
    assert again.returncode == 0 and "did not complete" not in again.stdout + again.stderr
    assert sorted(int(v.version) for v in client.search_model_versions("name = 'returns'")) == [1, 2]


def test_kill_mid_evaluation_is_evaluated_again_by_the_rerun(shop):
    killed = Paused(shop, "evaluate")
    try:
        killed.wait_reached()
    finally:
        killed.kill()
    version = _client(shop).get_model_version_by_alias("returns", "candidate")
    assert "gate" not in version.tags  # the verdict was never recorded

    rerun = _mmp(shop, "materialize")

    _assert_consistent(shop, rerun)
    assert _client(shop).get_model_version_by_alias("returns", "candidate").version == version.version  # inputs unchanged
    assert (shop / ".mmp" / "reports" / "returns" / f"v{version.version}" / "metrics.json").is_file()


def test_a_run_waiting_for_the_pool_names_the_holder_and_goes_on_when_it_dies(shop):
    holder = Paused(shop, "step_start")
    errors = shop / ".waiting.err"
    try:
        holder.wait_reached()
        (run_id, step), = _held_slots(shop)
        with errors.open("w") as err_file:
            waiting = subprocess.Popen([sys.executable, "-m", "mmp_assets.cli", "materialize", "--select", "features/customer_activity"],
                                       cwd=shop, env=_env(), stdout=subprocess.PIPE, stderr=err_file, text=True,
                                       start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while not any(line.startswith("waiting for pool") for line in errors.read_text().splitlines()):
                assert waiting.poll() is None and time.monotonic() < deadline, errors.read_text()
                time.sleep(0.5)
            line, = [line for line in errors.read_text().splitlines() if line.startswith("waiting for pool")]
            assert line.startswith(f"waiting for pool {POOL} (limit 1): held by run {run_id} (step {step}, "
                                   f"pid {holder.child.pid} on "), line
            assert line.endswith(" UTC")
            holder.kill()  # the holder dies while the other run waits: the waiting run frees its slot and goes on
            out, _ = waiting.communicate(timeout=600)
        finally:
            if waiting.poll() is None:
                os.killpg(waiting.pid, signal.SIGKILL)
                waiting.wait()
    finally:
        holder.kill()
    err = errors.read_text()
    assert waiting.returncode == 0, out + err
    assert any(line.startswith(f"run {run_id} (pid {holder.child.pid} on ") and line.endswith("1 pool slot freed")
               for line in err.splitlines()), err
    assert f"ok   {step}" in out
    assert _runs(shop)[run_id] == dg.DagsterRunStatus.FAILURE and _held_slots(shop) == []
