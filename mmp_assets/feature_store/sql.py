"""Small SQL helpers: quoting identifiers and literals, and DuckDB's canonical type names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # quoting helpers are used when the definitions load; DuckDB itself only when a run connects
    import duckdb

_TYPE_TEXT = re.compile(r"^[A-Za-z][A-Za-z0-9_ ,()\[\]]*$")


def ident(name: str) -> str:
    """A double-quoted identifier, safe for any column name."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A single-quoted string literal; only for values DuckDB cannot bind (table function paths, DDL)."""
    return "'" + text.replace("'", "''") + "'"


def columns_of(conn: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> dict[str, str]:
    """Column name → DuckDB type of a query, without running it."""
    rows = conn.execute(f"DESCRIBE SELECT * FROM ({query}) AS q", params or {}).fetchall()
    return {row[0]: row[1] for row in rows}


def canonical_type(conn: duckdb.DuckDBPyConnection, declared: str) -> str:
    """DuckDB's own spelling of a type (`int` → INTEGER, `text` → VARCHAR); ValueError if unknown."""
    import duckdb

    if not _TYPE_TEXT.match(declared):
        raise ValueError(f"{declared!r} is not a DuckDB type name; write one such as VARCHAR, BIGINT, DOUBLE, TIMESTAMP")
    try:
        return conn.execute(f"SELECT typeof(CAST(NULL AS {declared}))").fetchone()[0]
    except duckdb.Error:
        raise ValueError(f"{declared!r} is not a DuckDB type; write one such as VARCHAR, BIGINT, DOUBLE, TIMESTAMP") from None


def table_exists(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $n", {"n": name}).fetchone()[0])


def tables_from_frame(conn: duckdb.DuckDBPyConnection, frame, statements: list[str]) -> None:
    """Run `statements`, which read `frame` as `__mmp_frame`, in one transaction: all of them or none."""
    from mmp_assets.feature_store.transactions import in_transaction

    conn.register("__mmp_frame", frame)
    try:
        in_transaction(conn, lambda: [conn.execute(statement) for statement in statements])
    finally:
        conn.unregister("__mmp_frame")
