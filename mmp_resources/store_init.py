"""The embedded stores are created once, by one process, under a file lock.

Dagster's SQLite run, event and schedule storages and MLflow's SQLite tracking/registry store create
their schema with Alembic the first time a process opens them. Four commands started at once on a
fresh data folder each saw an empty database and ran the migrations together: `table runs already
exists`, `table alembic_version already exists`, or Alembic's "more than one head present". Now the
first command to arrive holds `<data_dir>/.stores.lock`, creates every SQLite store of the active
environment, and writes `<data_dir>/.stores-ready` (a digest of the stores' locations, never the
locations themselves); the others wait on the lock, find the marker and go on. PostgreSQL stores are
left to their own servers' locking (Optuna's schema has its own advisory lock in `studies.py`).
"""

from __future__ import annotations

import fcntl
import hashlib
from contextlib import contextmanager
from pathlib import Path

from mmp_resources.settings import PlatformConfig

LOCK_FILE = ".stores.lock"
READY_FILE = ".stores-ready"


def _sqlite(uri: str) -> bool:
    return uri.startswith("sqlite:")


def _fingerprint(config: PlatformConfig, home: Path) -> str:
    parts = [str(home.resolve()), config.dagster.storage.kind, config.tracking_uri, config.registry_uri, config.optuna_storage]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_stores(config: PlatformConfig, data_dir: Path, home: Path) -> bool:
    """Create the environment's SQLite stores unless a previous command did; True when this call created them."""
    ready, digest = data_dir / READY_FILE, _fingerprint(config, home)
    if ready.is_file() and ready.read_text(encoding="utf-8") == digest:
        return False
    with _locked(data_dir / LOCK_FILE):
        if ready.is_file() and ready.read_text(encoding="utf-8") == digest:
            return False  # another process created them while this one waited
        if config.dagster.storage.kind == "sqlite":
            _create_dagster_storage(home)
        if _sqlite(config.tracking_uri) or _sqlite(config.registry_uri):
            _create_mlflow_store(config)
        if _sqlite(config.optuna_storage):
            from mmp_resources.studies import _rdb_storage

            _rdb_storage(config.optuna_storage)
        ready.write_text(digest, encoding="utf-8")
    return True


def _create_dagster_storage(home: Path) -> None:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)  # run, event-log index and schedule storages are created on open


def _create_mlflow_store(config: PlatformConfig) -> None:
    from mmp_resources.mlflow_stores import mlflow_client

    client = mlflow_client(config)
    client.search_experiments(max_results=1)  # the tracking store's tables
    client.search_registered_models(max_results=1)  # the registry store's (the same file by default)
