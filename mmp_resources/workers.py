"""The dev environment's Celery workers, started and stopped by `mmp services up --workers N | down`.

Each worker is its own `celery -A mmp_resources.celery_app worker` process (one step at a time), named
`mmp-<i>@<host>`, with its pid in `<data_dir>/services/celery-<i>.pid` and its log beside it. The same
command on another host, with the same environment variables, adds a worker there: the broker and the
Dagster instance are shared services, nothing ties a worker to this machine but the data_dir volume.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from mmp_resources.services import stop_process_group
from mmp_resources.settings import PlatformConfig


class CeleryWorkers:
    """The workers this project started on this host, by pid file."""

    def __init__(self, config: PlatformConfig, root: Path, dagster_home: Path | None = None):
        self.config = config
        self.root = Path(root)
        self.dagster_home = dagster_home
        data_dir = Path(config.data_dir)
        self.state_dir = (data_dir if data_dir.is_absolute() else self.root / data_dir) / "services"
        self.enabled = config.dagster.executor.kind == "celery"

    def name(self, index: int) -> str:
        from celery.utils.nodenames import host_format

        return host_format(f"mmp-{index}@%h")

    def pid_file(self, index: int) -> Path:
        return self.state_dir / f"celery-{index}.pid"

    def indexes(self) -> list[int]:
        """Indexes of every worker with a pid file, alive or not."""
        return sorted(int(p.stem.removeprefix("celery-")) for p in self.state_dir.glob("celery-*.pid") if p.stem[7:].isdigit())

    def pid(self, index: int) -> int | None:
        """The pid of worker `index` when it is alive and still a Celery worker (a reused pid is never signalled)."""
        try:
            pid = int(self.pid_file(index).read_text().strip())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and b"celery" not in cmdline.read_bytes():
            return None
        return pid

    def start(self, count: int, timeout_s: float = 120) -> list[str]:
        """Start workers 1..count that are not running; wait until each answers a ping through the broker."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MMP_PROJECT_DIR": str(self.root), "MMP_ENV": self.config.env}
        if self.dagster_home is not None:
            env["DAGSTER_HOME"] = str(self.dagster_home)
        lines, started = [], {}
        for index in range(1, count + 1):
            if (pid := self.pid(index)) is not None:
                lines.append(f"{self.name(index)}: already running (pid {pid})")
                continue
            cmd = [sys.executable, "-m", "celery", "-A", "mmp_resources.celery_app", "worker", "--loglevel", "INFO",
                   "--concurrency", "1", "--prefetch-multiplier", "1", "-n", f"mmp-{index}@%h", "-Q", "dagster",
                   "--without-gossip", "--without-mingle"]  # fmt: skip
            with open(self.state_dir / f"celery-{index}.log", "ab") as log:
                process = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self.pid_file(index).write_text(str(process.pid))
            started[index] = process
        waiting = {self.name(index): index for index in started}
        deadline = time.monotonic() + timeout_s
        while waiting and time.monotonic() < deadline:
            for index, process in started.items():
                if process.poll() is not None and self.name(index) in waiting:
                    self.stop()
                    raise RuntimeError(f"celery worker {self.name(index)} exited with code {process.returncode}; "
                                       f"see {self.state_dir / f'celery-{index}.log'}")
            for name in self.answering(timeout_s=1.0):
                waiting.pop(name, None)
        if waiting:
            self.stop()
            raise RuntimeError(f"celery workers {', '.join(sorted(waiting))} did not answer within {timeout_s:.0f}s; "
                               f"see the logs in {self.state_dir}")
        return lines + [f"{self.name(index)}: started (pid {process.pid})" for index, process in started.items()]

    def answering(self, timeout_s: float = 1.0) -> set[str]:
        """Names of the workers on this project's broker (any host) that answer a ping."""
        from mmp_resources.executors import celery_app

        app = celery_app(self.config)
        try:
            return {name for reply in app.control.ping(timeout=timeout_s) or [] for name in reply}
        finally:
            app.close()

    def stop(self, timeout_s: float = 30) -> list[str]:
        """Stop every worker this project started here: a warm shutdown (the running step finishes), then SIGKILL."""
        lines = []
        for index in self.indexes():
            pid = self.pid(index)
            if pid is None:
                self.pid_file(index).unlink(missing_ok=True)
                continue
            stop_process_group(pid, timeout_s)
            self.pid_file(index).unlink(missing_ok=True)
            lines.append(f"{self.name(index)}: stopped (pid {pid})")
        return lines or ["no worker running"]

