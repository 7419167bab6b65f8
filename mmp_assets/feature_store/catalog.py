"""The catalog: one DuckDB row per published version of a feature view or training set.

`mmp_catalog` keeps every version ever published (a retired one keeps its row, with
`retired_at`, so lineage still resolves); `mmp_current` points at the version readers get;
`mmp_pins` records which view versions each training-set version was built from.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

import duckdb

from mmp_assets.feature_store.sql import table_exists
from mmp_assets.feature_store.transactions import in_transaction

_DDL = [
    """CREATE TABLE IF NOT EXISTS mmp_catalog (
        kind VARCHAR, name VARCHAR, version INTEGER, table_name VARCHAR, content_hash VARCHAR,
        owner VARCHAR, description VARCHAR, entity VARCHAR, timestamp_column VARCHAR, ttl VARCHAR,
        schema VARCHAR, row_count BIGINT, null_fractions VARCHAR, source_fingerprints VARCHAR,
        pinned_views VARCHAR, details VARCHAR, created_at TIMESTAMP, run_id VARCHAR, retired_at TIMESTAMP)""",
    "CREATE TABLE IF NOT EXISTS mmp_current (kind VARCHAR, name VARCHAR, version INTEGER)",
    "CREATE TABLE IF NOT EXISTS mmp_pins (training_set VARCHAR, version INTEGER, view VARCHAR, view_version INTEGER)",
]
_JSON = {"entity", "schema", "null_fractions", "source_fingerprints", "pinned_views", "details"}


@dataclass
class CatalogEntry:
    """One published version. `kind` is "view" or "training_set"."""

    kind: str
    name: str
    version: int
    table_name: str
    content_hash: str
    owner: str
    description: str
    entity: list[str]
    timestamp_column: str | None
    """None for a static view or a plain-table training set."""
    ttl: str | None
    schema: dict[str, str]
    row_count: int
    null_fractions: dict[str, float]
    source_fingerprints: dict[str, Any] = field(default_factory=dict)
    pinned_views: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    run_id: str | None = None
    retired_at: datetime | None = None


_COLUMNS = [f.name for f in fields(CatalogEntry)]


def ensure_catalog(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the catalog tables once; on DuckLake two first publishes may race to create them (then rerun: IF NOT EXISTS)."""
    for statement in _DDL:
        in_transaction(conn, lambda statement=statement: conn.execute(statement))


def insert_entry(conn: duckdb.DuckDBPyConnection, entry: CatalogEntry) -> None:
    row = {k: json.dumps(v, default=str) if k in _JSON else v for k, v in asdict(entry).items()}
    placeholders = ", ".join(f"${c}" for c in _COLUMNS)
    conn.execute(f"INSERT INTO mmp_catalog ({', '.join(_COLUMNS)}) VALUES ({placeholders})", row)


def entries(conn: duckdb.DuckDBPyConnection, kind: str, name: str | None = None, *, retired: bool = True) -> list[CatalogEntry]:
    """Catalog rows of one kind (optionally one name), oldest version first; [] before anything is published."""
    if not table_exists(conn, "mmp_catalog"):
        return []
    where = "kind = $kind" + (" AND name = $name" if name else "") + ("" if retired else " AND retired_at IS NULL")
    params = {"kind": kind} | ({"name": name} if name else {})
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM mmp_catalog WHERE {where} ORDER BY name, version", params).fetchall()
    return [CatalogEntry(**{k: json.loads(v) if k in _JSON and v is not None else v for k, v in zip(_COLUMNS, row)}) for row in rows]


def find_entry(conn: duckdb.DuckDBPyConnection, kind: str, name: str, version: int | None = None) -> CatalogEntry | None:
    """A given version, or the current one when `version` is None."""
    version = current_version(conn, kind, name) if version is None else version
    return next((e for e in entries(conn, kind, name) if e.version == version), None)


def current_version(conn: duckdb.DuckDBPyConnection, kind: str, name: str) -> int | None:
    if not table_exists(conn, "mmp_current"):
        return None
    row = conn.execute("SELECT max(version) FROM mmp_current WHERE kind = $k AND name = $n", {"k": kind, "n": name}).fetchone()
    return row[0]


def next_version(conn: duckdb.DuckDBPyConnection, kind: str, name: str) -> int:
    """Version numbers are never reused, even after retention retired the newest ones' predecessors."""
    row = conn.execute("SELECT coalesce(max(version), 0) FROM mmp_catalog WHERE kind = $k AND name = $n", {"k": kind, "n": name}).fetchone()
    return int(row[0]) + 1


def set_current(conn: duckdb.DuckDBPyConnection, kind: str, name: str, version: int) -> None:
    conn.execute("DELETE FROM mmp_current WHERE kind = $k AND name = $n", {"k": kind, "n": name})
    conn.execute("INSERT INTO mmp_current VALUES ($k, $n, $v)", {"k": kind, "n": name, "v": version})


def pinned_versions(conn: duckdb.DuckDBPyConnection, view: str) -> set[int]:
    """View versions some existing training-set version was built from."""
    rows = conn.execute("SELECT DISTINCT view_version FROM mmp_pins WHERE view = $v", {"v": view}).fetchall()
    return {r[0] for r in rows}


def record_pins(conn: duckdb.DuckDBPyConnection, training_set: str, version: int, views: dict[str, int]) -> None:
    for view, view_version in sorted(views.items()):
        conn.execute("INSERT INTO mmp_pins VALUES ($t, $v, $view, $vv)", {"t": training_set, "v": version, "view": view, "vv": view_version})


def release_pins(conn: duckdb.DuckDBPyConnection, training_set: str, version: int) -> None:
    """Let retention reclaim the view versions this training-set version held (when no registered model uses it)."""
    conn.execute("DELETE FROM mmp_pins WHERE training_set = $t AND version = $v", {"t": training_set, "v": version})
