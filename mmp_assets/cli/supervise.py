"""Run a process tree in the foreground and stop all of it on SIGTERM or SIGINT: what `mmp dev` does.

`dagster dev` starts a webserver, a daemon and code servers, and the daemon starts a process per run;
none of them leaves the process group `dagster dev` leads. Started in a session of its own, the whole
tree is one process group, so a signal to `mmp dev` becomes SIGTERM to that group, then SIGKILL for
whatever still runs after the grace period. Handlers are installed explicitly: a shell starts a
background job with SIGINT ignored, and Python then never raises KeyboardInterrupt.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

EXIT_CODES = {signal.SIGTERM: 0, signal.SIGINT: 130}


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def stop_group(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM every process of the group `process` leads; SIGKILL the rest after `grace_s`; reap the leader."""
    pgid = process.pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        process.poll()  # reap the leader: a zombie still counts as a member of its group
        if not group_alive(pgid):
            return
        time.sleep(0.2)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def supervise(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, grace_s: float = 20.0) -> int:
    """Run `command` until it exits (its exit code) or until SIGTERM (0) / SIGINT (130) stops its whole group."""
    received: list[int] = []

    def on_signal(signum, _frame) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in EXIT_CODES}
    try:
        process = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
        try:
            while not received and process.poll() is None:
                time.sleep(0.2)
        finally:
            stop_group(process, grace_s)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return EXIT_CODES[received[0]] if received else process.returncode
