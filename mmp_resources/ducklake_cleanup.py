"""DuckLake's own file cleanup, run after each publish, so retention frees the data path as well as the catalog.

DuckLake keeps every snapshot for time travel, so dropping a retired version's table removes it from the
catalog but not its Parquet files: they are referenced by older snapshots until those expire. mmp never
reads an old snapshot (a version is a table, not a snapshot), so after a publish it calls DuckLake's three
maintenance functions with one grace period, `feature_store.ducklake.cleanup_after_s`:

1. `ducklake_expire_snapshots`: snapshots older than the grace period go (never the latest one), and the
   files only they referenced are scheduled for deletion;
2. `ducklake_cleanup_old_files`: files scheduled for deletion longer ago than the grace period are deleted;
3. `ducklake_delete_orphaned_files`: files under the data path no snapshot knows (written by a run killed
   mid-write) and older than the grace period are deleted.

The grace period is what keeps a reader or writer on an older snapshot (a long training-set build) from
losing a file under it. One process cleans at a time (an advisory lock tried without waiting, see
`ducklake_locks`); the others skip, as the one cleaning removes the same files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmp_resources.ducklake import LAKE

if TYPE_CHECKING:
    import duckdb


def clean_up(conn: duckdb.DuckDBPyConnection, after_s: float) -> None:
    """Expire snapshots and delete unneeded files older than `after_s` seconds (0: everything no current table needs)."""
    older_than = f"older_than => now() - to_microseconds({int(after_s * 1_000_000)})"
    conn.execute(f"CALL ducklake_expire_snapshots('{LAKE}', {older_than})")
    conn.execute(f"CALL ducklake_cleanup_old_files('{LAKE}', {older_than})")
    conn.execute(f"CALL ducklake_delete_orphaned_files('{LAKE}', {older_than})")
