"""The live scenarios under a real `dagster-daemon` on a temporary instance (slow, one test).

On the tiny project (alpha reads every column of user_view, beta only p1; LogisticRegression, one
trial), with every mmp sensor ticking each 2 s:
1. a new all-NULL column in `profiles` retrains alpha only, which registers version 2;
2. a failing drift check with unchanged inputs launches nothing;
3. a drift retrain of beta that fails (its new data has one class) is not retried while nothing
   changes, and is retried exactly once when the data is fixed, registering version 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from mmp_assets.automation.retrain import RECIPE_TAG, TRIGGER_TAG
from mmp_assets.automation.runs import IN_FLIGHT
from mmp_resources import build_resources, load_config
from mmp_resources.instance import ensure_instance_home
from mmp_resources.services import stop_process_group
from mmp_assets.evaluation.assets import DRIFT_CHECK
from tests.automation.synthetic import REPO, frames, materialize, project_definitions, write_source

DEADLINE_S = 900
TICK_S = 2


def _fast_automation(root: Path) -> None:
    path = root / "config" / "base.yaml"
    config = yaml.safe_load(path.read_text())
    config["automation"].update(sensor_interval_seconds=TICK_S, source_observation_cron="0 0 1 1 *")  # the test observes itself
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "workspace.yaml").write_text((REPO / "workspace.yaml").read_text())
    for name in ("alpha", "beta"):  # a scoring source gives the recipe its `<recipe>/drift` asset and check
        recipe_file = root / "recipes" / f"{name}.yaml"
        recipe = yaml.safe_load(recipe_file.read_text())
        recipe["monitoring"] = {"scoring_source": "events"}
        recipe_file.write_text(yaml.safe_dump(recipe, sort_keys=False))


class Daemon:
    """`dagster-daemon run` on the project's instance, in a process group of its own."""

    def __init__(self, root: Path, home: Path):
        self.log = open(root / "daemon.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dagster._daemon", "run", "-w", "workspace.yaml"], cwd=root,  # i.e. `dagster-daemon run`
            env={**os.environ, "DAGSTER_HOME": str(home)}, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.deadline = time.monotonic() + DEADLINE_S

    def wait(self, what: str, predicate, timeout_s: float = 400) -> None:
        until = min(self.deadline, time.monotonic() + timeout_s)
        while not predicate():
            assert self.process.poll() is None, f"the daemon exited while waiting for {what}"
            assert time.monotonic() < until, f"timed out waiting for {what}"
            time.sleep(2)

    def stop(self) -> None:
        if self.process.poll() is None:
            stop_process_group(self.process.pid, 15)
        self.log.close()


def _cursor(instance: dg.DagsterInstance, sensor: str) -> str | None:
    for state in instance.all_instigator_state():
        if state.name == sensor and state.instigator_data is not None:
            return getattr(state.instigator_data, "cursor", None)
    return None


def _runs(instance: dg.DagsterInstance, recipe: str) -> list[dg.DagsterRun]:
    return [r for r in instance.get_runs(filters=dg.RunsFilter(tags={RECIPE_TAG: recipe})) if TRIGGER_TAG in r.tags]


def _settled(instance: dg.DagsterInstance) -> bool:
    return not instance.get_runs(filters=dg.RunsFilter(statuses=list(IN_FLIGHT)), limit=1)


@pytest.mark.slow
def test_live_automation_under_a_real_daemon(tiny_project: Path) -> None:
    root = tiny_project
    _fast_automation(root)
    config = load_config(root)
    home = ensure_instance_home(config, root)
    client = build_resources(config, root)["mlflow"].client()

    def versions(name: str) -> list[int]:
        return sorted(int(v.version) for v in client.search_model_versions(f"name = '{name}'"))

    defs = project_definitions(root)
    observe = defs.resolve_job_def("observe_sources")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert observe.execute_in_process(instance=instance).success
        chains = [f"{r}/{s}" for r in ("alpha", "beta") for s in ("training_set", "model", "evaluation")]
        assert materialize(defs, instance, ["features/user_view", "features/merchant_view", *chains]).success
        assert {r: versions(r) for r in ("alpha", "beta")} == {"alpha": [1], "beta": [1]}

        daemon = Daemon(root, home)
        try:
            daemon.wait("the schema sensor's first tick", lambda: _cursor(instance, "schema_change_sensor") is not None, 240)

            # 1. a new all-NULL column in profiles: alpha (reads all of user_view) retrains, beta (reads p1) does not
            profiles = frames()["profiles"]
            write_source(root, "profiles", profiles.assign(p3=None))
            assert observe.execute_in_process(instance=instance).success
            daemon.wait("alpha version 2", lambda: versions("alpha") == [1, 2] and _settled(instance))
            time.sleep(3 * TICK_S)
            assert _settled(instance)
            assert [r.tags[TRIGGER_TAG] for r in _runs(instance, "alpha")] == ["schema_change:sources/profiles"]
            assert _runs(instance, "beta") == [] and versions("beta") == [1]

            # 2. a drift breach with unchanged inputs launches nothing
            runs_before = len(instance.get_runs())
            drift = dg.AssetKey(["alpha", "drift"])
            assert dg.AssetCheckKey(drift, DRIFT_CHECK) in defs.resolve_asset_graph().get_check_keys_for_assets({drift})
            instance.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=drift, check_name=DRIFT_CHECK, passed=False))
            time.sleep(4 * TICK_S)
            assert len(instance.get_runs()) == runs_before, "a retrain that could change nothing was launched"
            instance.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=drift, check_name=DRIFT_CHECK, passed=True))

            # 3. beta's drift retrain fails on one-class data; retried once after the data is fixed
            events = frames()["events"]
            events = events.assign(x=events["x"] + 0.5)
            write_source(root, "events", events.assign(label=1))
            assert observe.execute_in_process(instance=instance).success
            instance.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=dg.AssetKey(["beta", "drift"]), check_name=DRIFT_CHECK, passed=False))
            daemon.wait("beta's drift retrain to fail", lambda: [r.status for r in _runs(instance, "beta")] == [dg.DagsterRunStatus.FAILURE])
            time.sleep(4 * TICK_S)
            assert len(_runs(instance, "beta")) == 1, "retried although nothing changed since the failure"
            failed = _runs(instance, "beta")[0]

            write_source(root, "events", events)  # fixed: both classes again
            assert observe.execute_in_process(instance=instance).success
            daemon.wait("beta version 2", lambda: versions("beta") == [1, 2] and _settled(instance))
            time.sleep(3 * TICK_S)
            retries = [r for r in _runs(instance, "beta") if r.run_id != failed.run_id]
            assert [(r.tags[TRIGGER_TAG], r.tags.get("mmp/retry_of"), r.status) for r in retries] == [
                ("retry:drift", failed.run_id, dg.DagsterRunStatus.SUCCESS)]
            assert versions("alpha") == [1, 2]
        finally:
            daemon.stop()
