"""One line when a run of this process waits for a pool slot: which run holds it, since when.
A holder whose process has died meanwhile is marked failed and its slot freed, so the wait ends.

Dagster's executor waits for a free slot silently (its engine event is below the console's level), so
`mmp materialize` watches the pools from a thread while its run executes and prints, once per holder,
`waiting for pool mmp_duckdb (limit 1): held by run <id> (step <key>, pid <n> on <host>) since <time>`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mmp_assets.cli.run_owner import OWNER_HOST, OWNER_PID, OWNER_STARTED, describe_owner, reap_dead_runs

if TYPE_CHECKING:
    import dagster as dg

POLL_S = 2.0


def waiting_lines(instance: dg.DagsterInstance, owner: dict[str, str]) -> list[str]:
    """For each pool where a step of a run owned by `owner` waits: who holds the pool's slots, and since when."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    lines = []
    for key in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(key)
        waiting = [s for s in info.pending_steps if s.assigned_timestamp is None and _owned(instance, s.run_id, owner)]
        if not waiting or not info.claimed_slots:
            continue
        assigned = {(s.run_id, s.step_key): s.assigned_timestamp for s in info.pending_steps if s.assigned_timestamp}
        holders = []
        for slot in info.claimed_slots:
            run = instance.get_run_by_id(slot.run_id)
            since = assigned.get((slot.run_id, slot.step_key))
            if since is None and run is not None:
                record = instance.get_run_record_by_id(slot.run_id)
                since = datetime.fromtimestamp(record.start_time, UTC) if record and record.start_time else None
            who = describe_owner(dict(run.tags)) if run is not None else "a run no longer in storage"
            when = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if since else "an unknown time"
            holders.append(f"run {slot.run_id} (step {slot.step_key}, {who}) since {when}")
        lines.append(f"waiting for pool {key} (limit {info.slot_count}): held by " + "; ".join(holders))
    return lines


def _owned(instance: dg.DagsterInstance, run_id: str, owner: dict[str, str]) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and all(run.tags.get(k) == owner.get(k) for k in (OWNER_PID, OWNER_HOST, OWNER_STARTED))


class SlotWaitNotice:
    """A daemon thread that prints `waiting_lines` (each distinct line once) while the `with` block runs."""

    def __init__(self, instance: dg.DagsterInstance, owner: dict[str, str], emit: Callable[[str], None] | None = None):
        self._instance, self._owner = instance, owner
        self._emit = emit or (lambda line: print(line, file=sys.stderr, flush=True))
        self._stop = threading.Event()
        self._said: set[str] = set()
        self._thread = threading.Thread(target=self._watch, name="mmp-slot-wait", daemon=True)

    def __enter__(self) -> SlotWaitNotice:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=POLL_S * 2)

    def _watch(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                lines = waiting_lines(self._instance, self._owner)
                if lines:  # a holder may have died since this run started: free its slot rather than wait for ever
                    reaped = [r.line() for r in reap_dead_runs(self._instance)]
                    lines = reaped + (waiting_lines(self._instance, self._owner) if reaped else lines)
            except Exception:  # noqa: BLE001 - a notice must never break the run it watches
                continue
            for line in lines:
                if line not in self._said:
                    self._said.add(line)
                    self._emit(line)
