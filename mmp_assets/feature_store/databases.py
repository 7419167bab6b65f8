"""Database sources, read once through DuckDB's own scanner into a temp table.

The database is ATTACHed read-only on a private in-memory connection that closes after the read, so
the URL (which `duckdb_databases()` would show) does not outlive it; the rows become a temp table on
the caller's connection. Everything downstream, the views,
the spine and the fingerprint, reads that temp table: the rows fingerprinted are the rows used.
Drivers quote the URL in their errors, so every message is masked before it is raised.
"""

from __future__ import annotations

import os
import uuid

import duckdb

from mmp_assets.feature_store.sql import ident, literal
from mmp_assets.feature_store.templates import RenderedSql
from mmp_assets.recipes.source import SourceRecipe
from mmp_resources.duckdb_extensions import load_extension
from mmp_resources.secrets import mask

SCHEMES = {"postgres": ("postgresql://", "postgres://")}
CONNECT_TIMEOUT_S = 10  # libpq waits forever for a host that drops packets; a read should fail instead


class DatabaseError(ValueError):
    """A database source that cannot be reached or read; one masked line naming the recipe and field."""


def database_url(source: SourceRecipe, shown: str) -> str:
    """The connection URL from the environment variable the recipe names; DatabaseError when unusable."""
    name = source.connection.url_env
    url = os.environ.get(name, "").strip()
    kind = source.connection.type
    if not url:
        raise DatabaseError(f"{shown}: connection.url_env: environment variable {name} is not set; "
                            f"export it with the database URL, such as {SCHEMES[kind][0]}user:password@host:5432/database")
    if not url.startswith(SCHEMES[kind]):
        scheme = url.split("://", 1)[0] + "://" if "://" in url else "no scheme"
        raise DatabaseError(f"{shown}: connection.url_env: {name} holds a URL starting {scheme!r}; a {kind} source needs "
                            f"{' or '.join(SCHEMES[kind])}")
    if "connect_timeout=" not in url:
        url += ("&" if "?" in url else "?") + f"connect_timeout={CONNECT_TIMEOUT_S}"
    return url


def table_query(source: SourceRecipe) -> RenderedSql:
    """`SELECT *` over the recipe's `table`, each name part quoted."""
    return RenderedSql(f"SELECT * FROM {'.'.join(ident(part) for part in source.table.split('.'))}", {})


def read_database(conn: duckdb.DuckDBPyConnection, source: SourceRecipe, rendered: RenderedSql, into: str, shown: str) -> None:
    """CREATE TEMP TABLE `into` on `conn` from the database, read once with bound values.

    The database is attached read-only on a private in-memory connection, which is confined to no files
    at all before the query runs; the rows reach `conn` as Arrow. `conn` itself never attaches anything,
    so it can be confined to its allowed directories (`sources.confine_file_access`) before or after."""

    url = database_url(source, shown)
    where = "table" if source.table else "query"
    with duckdb.connect() as side:
        load_extension(side, source.connection.type)
        try:
            side.execute(f"ATTACH {literal(url)} AS db (TYPE {source.connection.type}, READ_ONLY)")
        except duckdb.Error as exc:
            raise DatabaseError(f"{shown}: connection: cannot connect to ${source.connection.url_env}: {_first_line(exc, url)}") from None
        side.execute("USE db")  # the query names the database's own tables, as it would in the database
        side.execute("SET allowed_directories = []")
        side.execute("SET enable_external_access = false")
        try:
            rows = side.execute(rendered.sql, rendered.params).to_arrow_table()
        except duckdb.Error as exc:
            raise DatabaseError(f"{shown}: {where}: the database read failed: {_first_line(exc, url)}") from None
    handover = f"__mmp_rows_{uuid.uuid4().hex[:12]}"
    conn.register(handover, rows)
    try:
        conn.execute(f"CREATE TEMP TABLE {ident(into)} AS SELECT * FROM {ident(handover)}")
    finally:
        conn.unregister(handover)


def _first_line(exc: Exception, url: str) -> str:
    return mask(str(exc).strip().splitlines()[0], url)
