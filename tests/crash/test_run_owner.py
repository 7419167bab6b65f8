"""On the instance mmp generates: a run whose owner process is gone is marked failed and its pool slot freed; a live
one is left alone; a run waiting for the pool gets one line naming the holder and since when."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import dagster as dg
import pytest
from dagster._core.utils import make_new_run_id

from mmp_assets.cli.run_owner import OWNER_HOST, OWNER_PID, OWNER_STARTED, owner_alive, owner_tags, reap_dead_runs
from mmp_assets.cli import slot_wait
from mmp_assets.cli.slot_wait import SlotWaitNotice, waiting_lines
from mmp_resources import load_config
from mmp_resources.instance import ensure_instance_home

POOL = "mmp_duckdb"


@pytest.fixture
def instance(project):
    home = ensure_instance_home(load_config(project), project)
    with dg.DagsterInstance.from_config(str(home)) as found:
        found.event_log_storage.set_concurrency_slots(POOL, 1)
        yield found


def _gone_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _run(instance: dg.DagsterInstance, tags: dict[str, str], step: str) -> str:
    run = dg.DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id(), tags=tags, status=dg.DagsterRunStatus.STARTED)
    instance.add_run(run)
    instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, step)
    return run.run_id


def _claimed(instance: dg.DagsterInstance) -> list[str]:
    return [s.run_id for s in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots]


def test_a_waiting_run_names_the_holder_then_the_dead_holder_is_reaped(instance):
    gone = _gone_pid()
    holder = _run(instance, {OWNER_PID: str(gone), OWNER_HOST: socket.gethostname()}, "features__activity")
    me = owner_tags()
    waiter = _run(instance, me, "returns__training_set")
    assert _claimed(instance) == [holder]

    line, = waiting_lines(instance, me)
    assert re.fullmatch(rf"waiting for pool {POOL} \(limit 1\): held by run {holder} \(step features__activity, pid {gone} "
                        rf"on {re.escape(socket.gethostname())}\) since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC", line), line
    assert waiting_lines(instance, {**me, OWNER_PID: "1"}) == []  # another process's waiting run is not ours to report

    reaped, = reap_dead_runs(instance)
    assert reaped.line().startswith(f"run {holder} (pid {gone} on {socket.gethostname()}, started ")
    assert reaped.line().endswith("died without finishing: marked failed, 1 pool slot freed")
    assert instance.get_run_by_id(holder).status == dg.DagsterRunStatus.FAILURE
    assert holder not in _claimed(instance)
    assert instance.get_run_by_id(waiter).status == dg.DagsterRunStatus.STARTED  # its owner (this process) is alive
    assert reap_dead_runs(instance) == []


def test_the_waiting_notice_frees_a_slot_whose_holder_died_while_it_waited(instance, monkeypatch):
    gone = _gone_pid()
    holder = _run(instance, {OWNER_PID: str(gone), OWNER_HOST: socket.gethostname()}, "features__activity")
    me = owner_tags()
    _run(instance, me, "returns__training_set")
    said: list[str] = []
    monkeypatch.setattr(slot_wait, "POLL_S", 0.2)
    with SlotWaitNotice(instance, me, emit=said.append):
        deadline = time.monotonic() + 20
        while not said and time.monotonic() < deadline:
            time.sleep(0.1)
    assert said and said[0].startswith(f"run {holder} ") and "1 pool slot freed" in said[0], said
    assert holder not in _claimed(instance)


def test_a_reused_pid_is_not_the_owner():
    tags = owner_tags()
    assert owner_alive(tags) is True
    if OWNER_STARTED in tags:  # /proc exists: the same pid started at another time is another process
        assert owner_alive({**tags, OWNER_STARTED: "1"}) is False
    assert owner_alive({**tags, OWNER_PID: str(_gone_pid())}) is False
    assert owner_alive({**tags, OWNER_HOST: "elsewhere"}) is None  # another host: cannot tell, never reaped
    assert owner_alive({OWNER_HOST: socket.gethostname(), OWNER_PID: str(os.getpid())}) is True


def test_a_pid_tag_that_disagrees_with_the_runs_events_reaps_nothing(instance):
    """The owner tag can be rewritten by anyone; the pid on the run's RUN_START event cannot."""
    run_id = _run(instance, {OWNER_PID: str(_gone_pid()), OWNER_HOST: socket.gethostname()}, "features__activity")
    started = dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_START.value, job_name="__ASSET_JOB",
                              message="started", pid=os.getpid())
    instance.report_dagster_event(started, run_id=run_id)
    assert reap_dead_runs(instance) == []
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED and _claimed(instance) == [run_id]
