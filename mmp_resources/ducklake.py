"""The DuckLake offline store: a DuckDB connection whose default database is a DuckLake lake.

The lake's catalog lives in PostgreSQL and its tables are Parquet files under the data path, so
any number of processes on any number of hosts open it at once; each commit is one DuckLake
snapshot, and a commit that lost a race with another writer is retried by DuckLake itself.
The connection is in-memory DuckDB with the lake ATTACHed and made current (`USE lake`), so the
feature store's SQL (tables, views, transactions) runs on it unchanged.

The catalog URL may carry a password. It goes into a temporary DuckDB secret (which
`duckdb_secrets()` shows redacted) and the lake is attached through that secret, so neither
`duckdb_databases()` nor any error, log line or metadata quotes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from mmp_resources.duckdb_extensions import load_extension
from mmp_resources.secrets import mask
from mmp_resources.settings import PlatformConfig

if TYPE_CHECKING:
    import duckdb

LAKE = "lake"
CATALOG_FIELD = "feature_store.ducklake.catalog_url"


class DuckLakeUnavailable(RuntimeError):
    """The lake's catalog cannot be reached or attached; one masked line naming the config field."""


def catalog_url(config: PlatformConfig) -> str:
    url = config.feature_store.ducklake.catalog_url
    if url is None or not url.get_secret_value():
        raise DuckLakeUnavailable(f"config/{config.env}.yaml: {CATALOG_FIELD}: not set; export MMP_DUCKLAKE_CATALOG_URL with a postgresql:// URL")
    return url.get_secret_value()


def secret_parameters(url: str) -> dict[str, str]:
    """libpq parameters of a postgresql:// URL, for a DuckDB `TYPE postgres` secret."""
    parts = urlsplit(url)
    found = {
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or 5432),
        "DATABASE": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
    }
    return {key: value for key, value in found.items() if value}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_lake(config: PlatformConfig, allowed_directories: list[str]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the lake attached and current, confined to `allowed_directories`
    plus the lake's data path (recipe SQL may read those; DuckLake writes its Parquet files there)."""
    import duckdb

    url = catalog_url(config)
    data_path = config.ducklake_data_path
    conn = duckdb.connect()
    try:
        load_extension(conn, "postgres_scanner")
        load_extension(conn, "ducklake")
        if "://" in data_path:
            _object_storage(conn, data_path)
        else:
            from pathlib import Path

            Path(data_path).mkdir(parents=True, exist_ok=True)
        secret = ", ".join(f"{key} {_literal(value)}" for key, value in secret_parameters(url).items())
        conn.execute(f"CREATE TEMPORARY SECRET mmp_lake_catalog (TYPE postgres, {secret})")
        _attach(conn, data_path, url, f"config/{config.env}.yaml", config.feature_store.ducklake.connect_timeout_s)
        conn.execute(f"USE {LAKE}")
        conn.execute(f"SET ducklake_max_retry_count = {int(config.feature_store.ducklake.max_retries)}")
        folders = [*allowed_directories, data_path]
        conn.execute(f"SET allowed_directories = [{', '.join(_literal(d) for d in folders)}]")
    except BaseException:
        conn.close()
        raise
    return conn


INIT_ATTEMPTS = 10


def _attach(conn: duckdb.DuckDBPyConnection, data_path: str, url: str, shown_file: str, timeout_s: int) -> None:
    """ATTACH the lake. The first processes to reach a fresh catalog database each try to create DuckLake's
    tables, and all but one fail on PostgreSQL's unique index of type names; by the next attempt the
    winner's catalog is there to attach to (seen with two Celery workers on a fresh dev database).
    The libpq keywords after `postgres:` are added to the secret's, so `connect_timeout` bounds the wait
    for a server that never answers (a firewall dropping packets), which libpq would otherwise wait on
    for as long as the operating system lets a TCP connect hang."""
    import random
    import time

    import duckdb

    for attempt in range(1, INIT_ATTEMPTS + 1):
        try:
            conn.execute(f"ATTACH 'ducklake:postgres:connect_timeout={int(timeout_s)}' AS {LAKE} "
                         f"(DATA_PATH {_literal(data_path)}, META_SECRET 'mmp_lake_catalog')")
            return
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            racing = "duplicate key" in first or "already exists" in first
            if not racing or attempt == INIT_ATTEMPTS:
                password = secret_parameters(url).get("PASSWORD", "")
                shown = mask(first, url, *([password] if password else []))
                if "timeout expired" in first:
                    shown += f" (no answer within feature_store.ducklake.connect_timeout_s = {timeout_s} s)"
                raise DuckLakeUnavailable(f"{shown_file}: {CATALOG_FIELD}: cannot attach the DuckLake catalog: {shown}") from None
        time.sleep(random.uniform(0.1, 0.5) * attempt)


# S3 secret parameter → the environment variable the AWS tools read it from
S3_ENV = {"KEY_ID": "AWS_ACCESS_KEY_ID", "SECRET": "AWS_SECRET_ACCESS_KEY", "SESSION_TOKEN": "AWS_SESSION_TOKEN",
          "REGION": "AWS_REGION", "ENDPOINT": "AWS_ENDPOINT_URL"}


def _object_storage(conn: duckdb.DuckDBPyConnection, data_path: str) -> None:
    """Load httpfs from its wheel; for s3:// take the credentials from the standard AWS_* variables into a temporary
    secret (redacted by `duckdb_secrets()`), so nothing is downloaded and no key is written anywhere."""
    import os

    load_extension(conn, "httpfs")
    if not data_path.startswith("s3://"):
        return
    found = {key: os.environ[name] for key, name in S3_ENV.items() if os.environ.get(name)}
    if not found:
        return
    if "ENDPOINT" in found:  # DuckDB wants host[:port]; the AWS variable is a URL
        endpoint = urlsplit(found["ENDPOINT"])
        found["ENDPOINT"] = endpoint.netloc or endpoint.path
        found["USE_SSL"] = "false" if endpoint.scheme == "http" else "true"
        found["URL_STYLE"] = "path"
    body = ", ".join(f"{key} {_literal(value)}" for key, value in found.items())
    conn.execute(f"CREATE TEMPORARY SECRET mmp_lake_data (TYPE s3, PROVIDER config, {body})")


@contextmanager
def connect_lake(config: PlatformConfig, allowed_directories: list[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """`open_lake` for one block; closed however the block ends (a failed step must not keep a catalog connection)."""
    conn = open_lake(config, allowed_directories)
    try:
        yield conn
    finally:
        conn.close()
