"""PostgreSQL databases the environment names (Dagster's, MLflow's, Optuna's, the DuckLake catalog), created on first use.

The server itself is not mmp's to run; mmp only creates the databases its config points at, from the
maintenance database `postgres`, with the same credentials.
"""

from __future__ import annotations

from urllib.parse import urlparse

from sqlalchemy.engine import URL, make_url

from mmp_resources.settings import PlatformConfig


def postgres_urls(config: PlatformConfig) -> dict[str, str]:
    """Which config fields point at a PostgreSQL database, with their URLs (secret: never print them)."""
    found = {}
    if config.dagster.storage.kind == "postgres" and config.dagster.storage.postgres_url:
        found["dagster.storage.postgres_url"] = config.dagster.storage.postgres_url.get_secret_value()
    if config.mlflow.backend_store_uri:
        found["mlflow.backend_store_uri"] = config.mlflow.backend_store_uri.get_secret_value()
    found["mlflow.tracking_uri"] = config.tracking_uri
    found["optuna.storage"] = config.optuna_storage
    if config.feature_store.kind == "ducklake" and config.feature_store.ducklake.catalog_url:
        found["feature_store.ducklake.catalog_url"] = config.feature_store.ducklake.catalog_url.get_secret_value()
    return {field: url for field, url in found.items() if url.startswith("postgresql")}


def _connect_maintenance(url: URL):
    import psycopg2

    return psycopg2.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password or None, dbname="postgres"
    )


def database_exists(url: str) -> bool:
    parsed = make_url(url)
    conn = _connect_maintenance(parsed)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
            return cur.fetchone() is not None
    finally:
        conn.close()


def create_database(url: str) -> bool:
    """Create the URL's database when missing; True when this call created it."""
    import psycopg2
    from psycopg2 import errors, sql

    if database_exists(url):
        return False
    parsed = make_url(url)
    conn = _connect_maintenance(parsed)
    conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))
        return True
    except (errors.DuplicateDatabase, psycopg2.errors.UniqueViolation):
        return False  # another process created it between our check and our CREATE
    finally:
        conn.close()


def drop_database(url: str) -> None:
    """Drop the URL's database if it exists, ending any connection still open on it (tests and benches clean up)."""
    from psycopg2 import sql

    parsed = make_url(url)
    conn = _connect_maintenance(parsed)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parsed.database)))
    finally:
        conn.close()


def ensure_databases(config: PlatformConfig) -> list[str]:
    """Create every PostgreSQL database the config names; returns the names of those created now."""
    return [make_url(url).database for url in dict.fromkeys(postgres_urls(config).values()) if create_database(url)]


def safe_url(url: str) -> str:
    """A URL fit for a terminal or a log: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a SQLAlchemy URL (http://, redis://)
        parsed = urlparse(url)
        return url.replace(parsed.password, "***") if parsed.password else url
