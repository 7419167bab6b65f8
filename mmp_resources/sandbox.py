"""A throwaway dev environment on the local services, for tests and end-to-end checks.

`dev_sandbox()` gives one caller its own PostgreSQL databases (Dagster, MLflow, Optuna, the DuckLake catalog), its own Redis
key prefix and data_dir, exported as the env vars `config/dev.yaml` reads, and removes all of it
afterwards. `query()` reads those databases directly, so a test checks what landed in the services
instead of trusting the code that wrote it.
"""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from mmp_resources.postgres import create_database
from mmp_resources.services import MlflowServer

PG_SERVER = os.environ.get("MMP_TEST_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("MMP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@dataclass
class DevSandbox:
    """Where one sandbox's state lives; `env` holds the variables it exported."""

    name: str
    data_dir: Path
    databases: dict[str, str]  # role (dagster | mlflow | optuna | ducklake) → URL
    redis_prefix: str
    env: dict[str, str] = field(default_factory=dict)
    user: str = "sandbox-trainer"  # the MLflow user a sandbox with a tracking server acts as (not the OS user)

    def query(self, role: str, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of one SQL query against the sandbox's `role` database."""
        import psycopg2

        url = make_url(self.databases[role])
        conn = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname=url.database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    def redis_keys(self) -> list[str]:
        import redis

        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        return sorted(client.scan_iter(match=f"{self.redis_prefix}:*", count=1000))


@contextmanager
def private_services(data_dir: Path) -> Iterator[DevSandbox]:
    """Private databases and a Redis prefix, dropped afterwards; `env` says how dev.yaml would reach them,
    but nothing is exported (safe for fixtures shared across tests)."""
    name = f"mmp_t{uuid.uuid4().hex[:10]}"
    databases = {role: f"{PG_SERVER}/{name}_{role}" for role in ("dagster", "mlflow", "optuna", "ducklake")}
    sandbox = DevSandbox(name=name, data_dir=Path(data_dir), databases=databases, redis_prefix=name)
    sandbox.env = {
        "MMP_ENV": "dev",
        "MMP_DATA_DIR": str(data_dir),
        "MMP_DAGSTER_PG_URL": databases["dagster"],
        "MMP_MLFLOW_BACKEND_STORE_URI": databases["mlflow"],
        "MMP_MLFLOW_TRACKING_URI": databases["mlflow"],
        "MMP_OPTUNA_STORAGE": databases["optuna"],
        "MMP_DUCKLAKE_CATALOG_URL": databases["ducklake"],  # the offline store's catalog; its Parquet under data_dir
        "MMP_REDIS_URL": REDIS_URL,
        "MMP_REDIS_PREFIX": name,  # the online store's keys and the Celery broker's (<name>:celery:*)
        "MMP_CELERY_BROKER_URL": REDIS_URL,
        "MMP_MLFLOW_AUTH": "none",  # the tracking URI is the database itself: no server, so no MLflow users
    }
    try:
        for url in databases.values():
            create_database(url)
        yield sandbox
    finally:
        _cleanup(sandbox)


@contextmanager
def dev_sandbox(data_dir: Path, *, mlflow_server: bool = False, config_root: Path | None = None) -> Iterator[DevSandbox]:
    """MMP_ENV=dev on private databases and a private Redis prefix, exported for the duration of the block.

    Without `mlflow_server` the MLflow tracking URI is the PostgreSQL database itself (no server, so no
    MLflow auth: `MMP_MLFLOW_AUTH=none`); with it, `mlflow server --app-name basic-auth` is started on a free
    loopback port as `mmp services up` starts it (the admin's password random, in the environment only),
    user `sandbox.user` is added through `mmp_resources.users`, and its credentials are exported as
    MLFLOW_TRACKING_USERNAME/PASSWORD for the block: every process started inside acts as that user.
    """
    with private_services(data_dir) as sandbox:
        if mlflow_server:
            sandbox.env["MMP_MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{_free_port()}"
            sandbox.env["MMP_MLFLOW_AUTH"] = "basic"
            sandbox.env["MLFLOW_AUTH_ADMIN_USERNAME"] = "admin"
            sandbox.env["MLFLOW_AUTH_ADMIN_PASSWORD"] = secrets.token_urlsafe(16)
            sandbox.env["MLFLOW_TRACKING_USERNAME"] = sandbox.user
            sandbox.env["MLFLOW_TRACKING_PASSWORD"] = secrets.token_urlsafe(16)
        saved = {key: os.environ.get(key) for key in sandbox.env}
        os.environ.update(sandbox.env)
        server = None
        try:
            if mlflow_server:
                from mmp_resources.loader import load_config
                from mmp_resources.users import UserAdmin

                config = load_config(config_root, "dev")
                server = MlflowServer(config)
                server.start()
                UserAdmin(config).add(sandbox.user, sandbox.env["MLFLOW_TRACKING_PASSWORD"])
            yield sandbox
        finally:
            if server is not None:
                server.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _cleanup(sandbox: DevSandbox) -> None:
    import psycopg2
    import redis
    from psycopg2 import sql

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    keys = list(client.scan_iter(match=f"{sandbox.redis_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    url = make_url(PG_SERVER + "/postgres")
    conn = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for db in sandbox.databases.values():
                # FORCE ends connections a pooled engine (Dagster, MLflow, Optuna) may still hold
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(make_url(db).database)))
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
