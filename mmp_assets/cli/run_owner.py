"""Runs whose process died: found from the owner recorded in their tags, marked failed, their pool slots freed.

`mmp materialize` runs its steps in its own process (`execute_in_process`, or as the orchestrator of
`execute_job`). A `kill -9` of that process leaves the run STARTED in Dagster's storage and the DuckDB
pool slot its step claimed held for ever, so every later run would wait on it. Each run mmp launches
therefore records its owner in its tags (pid, host and the process's start time, which tells a dead
pid from a reused one); before the next run starts, every unfinished run owned by a process of this
host that no longer exists is marked failed and its slots freed. The pid tag must agree with the pid
Dagster recorded on the run's start events, so a tag edited after launch cannot get a live run failed. Runs launched by the daemon or the
UI carry no owner tags: Dagster's run monitoring (enabled in the generated dagster.yaml) covers them.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

OWNER_PID, OWNER_HOST, OWNER_STARTED = "mmp/owner_pid", "mmp/owner_host", "mmp/owner_started"


def process_start(pid: int) -> str | None:
    """The start time of process `pid` in clock ticks since boot (Linux /proc), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name in parentheses may hold spaces
    return fields[19] if len(fields) > 19 else None


def owner_tags() -> dict[str, str]:
    """Tags naming this process as the owner of the run it launches."""
    tags = {OWNER_PID: str(os.getpid()), OWNER_HOST: socket.gethostname()}
    started = process_start(os.getpid())
    if started:
        tags[OWNER_STARTED] = started
    return tags


def owner_alive(tags: dict[str, str]) -> bool | None:
    """Whether the process these owner tags name still runs; None when it cannot be told from here
    (another host, or no owner tags)."""
    if tags.get(OWNER_HOST) != socket.gethostname() or not str(tags.get(OWNER_PID, "")).isdigit():
        return None
    pid = int(tags[OWNER_PID])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user: it exists
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): the pid exists, trust it
    if state in {"Z", "X"}:  # killed, not yet reaped by its parent
        return False
    recorded = tags.get(OWNER_STARTED)
    return recorded is None or recorded == process_start(pid)  # another start time: the pid was reused


def describe_owner(tags: dict[str, str]) -> str:
    return f"pid {tags.get(OWNER_PID, '?')} on {tags.get(OWNER_HOST, '?')}" if OWNER_PID in tags else "launched outside mmp materialize"


@dataclass(frozen=True)
class Reaped:
    run_id: str
    owner: str
    started: str
    freed: int

    def line(self) -> str:
        slots = f"{self.freed} pool slot{'s' if self.freed != 1 else ''} freed"
        return f"run {self.run_id} ({self.owner}, started {self.started}) died without finishing: marked failed, {slots}"


def reap_dead_runs(instance: dg.DagsterInstance) -> list[Reaped]:
    """Mark failed every unfinished run whose owner process is gone, free its pool slots; also free slots
    still held by runs that have finished (a run failed by a crash frees nothing itself)."""
    import dagster as dg
    from dagster._core.storage.dagster_run import FINISHED_STATUSES

    unfinished = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                  dg.DagsterRunStatus.CANCELING]
    reaped = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=unfinished, tags={OWNER_HOST: socket.gethostname()})):
        run = record.dagster_run
        if owner_alive(dict(run.tags)) is not False:
            continue
        recorded = _event_pids(instance, run.run_id)
        if recorded and int(run.tags[OWNER_PID]) not in recorded:
            continue  # the pid tag disagrees with the pid on the run's own events: an edited tag decides nothing
        owner = describe_owner(dict(run.tags))
        instance.report_run_failed(run, f"mmp: the process that ran this run ({owner}) ended without finishing it "
                                        "(killed or crashed); marked failed so its pool slots can be freed")
        freed = _free_slots(instance, run.run_id)
        reaped.append(Reaped(run.run_id, owner, _when(record.start_time or record.create_timestamp.timestamp()), freed))
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holders = storage.get_concurrency_run_ids()
        known = {r.dagster_run.run_id: r for r in instance.get_run_records(dg.RunsFilter(run_ids=list(holders)))} if holders else {}
        for run_id in holders:
            if run_id not in known or known[run_id].dagster_run.status in FINISHED_STATUSES:
                storage.free_concurrency_slots_for_run(run_id)  # a finished (or deleted) run holds nothing
    return reaped


def _event_pids(instance: dg.DagsterInstance, run_id: str) -> set[int]:
    """Pids recorded on the run's start events (append-only, unlike tags), empty when it never started."""
    import dagster as dg

    kinds = {dg.DagsterEventType.RUN_START, dg.DagsterEventType.STEP_START}
    return {e.dagster_event.pid for e in instance.all_logs(run_id, of_type=kinds) if e.dagster_event and e.dagster_event.pid}


def _free_slots(instance: dg.DagsterInstance, run_id: str) -> int:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return 0
    held = sum(1 for key in storage.get_concurrency_keys()
               for slot in storage.get_concurrency_info(key).claimed_slots if slot.run_id == run_id)
    storage.free_concurrency_slots_for_run(run_id)
    return held


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "?"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
