"""Immutable versioned tables: write a version completely, then make it current in one transaction.

A version is written to its own table `<prefix>_<name>__v<N>` (and committed) before anything
points at it; the catalog row, the current pointer and the `<prefix>_<name>` view then change
together in one transaction. A crash or `kill -9` at any moment therefore leaves the previous
version current and intact; an uncatalogued table left by a killed run is dropped by the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from mmp_assets.feature_store import catalog
from mmp_assets.feature_store.fingerprints import TableProfile, profile_table
from mmp_assets.feature_store.sql import ident
from mmp_assets.feature_store.transactions import in_transaction

PREFIX = {"view": "fv", "training_set": "ts"}


def version_table(kind: str, name: str, version: int) -> str:
    return f"{PREFIX[kind]}_{name}__v{version}"


def current_view(kind: str, name: str) -> str:
    return f"{PREFIX[kind]}_{name}"


@dataclass(frozen=True)
class Staged:
    """A fully written, not yet current, candidate version."""

    kind: str
    name: str
    version: int
    table: str
    profile: TableProfile


def stage(conn: duckdb.DuckDBPyConnection, kind: str, name: str, query: str, params: dict | None = None) -> Staged:
    """Write `query`'s rows as the next version's table and profile it; nothing points at it yet."""
    catalog.ensure_catalog(conn)
    version = catalog.next_version(conn, kind, name)
    table = version_table(kind, name, version)
    conn.execute(f"DROP TABLE IF EXISTS {ident(table)}")  # left by a run killed before it published
    conn.execute(f"CREATE TABLE {ident(table)} AS {query}", params or {})
    return Staged(kind=kind, name=name, version=version, table=table, profile=profile_table(conn, table))


def same_as_current(conn: duckdb.DuckDBPyConnection, staged: Staged) -> catalog.CatalogEntry | None:
    """The current version's entry when the staged content is identical to it."""
    current = catalog.find_entry(conn, staged.kind, staged.name)
    return current if current is not None and current.content_hash == staged.profile.content_hash else None


def discard(conn: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {ident(staged.table)}")


def publish(conn: duckdb.DuckDBPyConnection, staged: Staged, entry: catalog.CatalogEntry) -> None:
    """Catalog row, pins, current pointer and current view: all or nothing."""

    def work() -> None:
        catalog.insert_entry(conn, entry)
        if staged.kind == "training_set":
            catalog.record_pins(conn, staged.name, staged.version, entry.pinned_views)
        catalog.set_current(conn, staged.kind, staged.name, staged.version)
        conn.execute(f"CREATE OR REPLACE VIEW {ident(current_view(staged.kind, staged.name))} AS SELECT * FROM {ident(staged.table)}")

    in_transaction(conn, work)


def retire_old_versions(conn: duckdb.DuckDBPyConnection, kind: str, name: str, keep: int) -> list[int]:
    """Drop the tables of all but the newest `keep` versions, sparing the current and every pinned one."""
    live = catalog.entries(conn, kind, name, retired=False)
    spared = {e.version for e in live[-keep:]} | {catalog.current_version(conn, kind, name)}
    if kind == "view":
        spared |= catalog.pinned_versions(conn, name)
    retired = [e for e in live if e.version not in spared]
    for entry in retired:
        in_transaction(conn, lambda entry=entry: _retire(conn, kind, name, entry))
    return [e.version for e in retired]


def _retire(conn: duckdb.DuckDBPyConnection, kind: str, name: str, entry: catalog.CatalogEntry) -> None:
    conn.execute(
        "UPDATE mmp_catalog SET retired_at = current_timestamp WHERE kind = $k AND name = $n AND version = $v",
        {"k": kind, "n": name, "v": entry.version},
    )
    conn.execute(f"DROP TABLE IF EXISTS {ident(entry.table_name)}")


def resolve_version(conn: duckdb.DuckDBPyConnection, kind: str, name: str, version: int | None = None) -> catalog.CatalogEntry:
    """The catalog entry of a readable version (current when None); LookupError saying which exist."""
    entry = catalog.find_entry(conn, kind, name, version)
    if entry is not None and entry.retired_at is None:
        return entry
    live = [e.version for e in catalog.entries(conn, kind, name, retired=False)]
    what = "feature view" if kind == "view" else "training set"
    if not live:
        raise LookupError(f"{what} {name!r} has no published version yet; materialize it first")
    state = "was retired by retention" if entry is not None else "does not exist"
    raise LookupError(f"{what} {name!r} version {version} {state}; readable versions: {', '.join(map(str, live))}")
