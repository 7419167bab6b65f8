"""The offline feature store: one DuckDB file (dagster-duckdb's resource) or a DuckLake lake.

`feature_store.kind` picks the implementation; both hand out a DuckDB connection whose default
database holds the catalog, the versioned tables and their current views, so the feature store's
code is the same on both (tests/feature_store/test_store_contract.py runs one contract over each).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mmp_resources.base import PlatformResource

if TYPE_CHECKING:  # DuckDB loads when a run first connects, not when the definitions load
    import duckdb


class FeatureStoreResource(PlatformResource):
    """Feature views, the catalog and training sets: a DuckDB file, or DuckLake (catalog in PostgreSQL, Parquet data)."""

    @property
    def kind(self) -> str:
        return self.config.feature_store.kind

    @property
    def database(self) -> str:
        """The DuckDB file (kind duckdb); DuckLake has no file to name."""
        return self.config.duckdb_path

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store. DuckDB file: dagster-duckdb retries while another process holds the lock.
        DuckLake: every process connects at once; DuckLake retries commits that raced."""
        if self.kind == "ducklake":
            from mmp_resources.ducklake import connect_lake

            with connect_lake(self.config, self.allowed_directories) as conn:
                yield conn
            return
        from dagster_duckdb import DuckDBResource

        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with DuckDBResource(database=self.database).get_connection() as conn:
            conn.execute(f"SET allowed_directories = [{', '.join(_quoted(d) for d in self.allowed_directories)}]")
            try:
                yield conn
            finally:  # dagster-duckdb closes only on success; a failed step must not keep the file open
                conn.close()

    @contextmanager
    def publishing(self, kind: str, name: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection on which this run alone publishes versions of `kind` ("view", "training_set",
        "predictions") `name` until the block ends. DuckDB file: the connection holds the file's one write lock.
        DuckLake: a PostgreSQL advisory lock on the catalog database; a second run waits (up to
        `feature_store.ducklake.publish_wait_s`), then publishes the next version. After a block that
        succeeded, DuckLake's own cleanup deletes the files retention freed (`mmp_resources.ducklake_cleanup`)."""
        if self.kind != "ducklake":
            with self.connect() as conn:
                yield conn
            return
        from mmp_resources.ducklake_cleanup import clean_up
        from mmp_resources.ducklake_locks import publish_lock

        with publish_lock(self.config, kind, name) as lock, self.connect() as conn:
            yield conn
            if lock.try_cleanup():
                clean_up(conn, self.config.feature_store.ducklake.cleanup_after_s)

    @property
    def allowed_directories(self) -> list[str]:
        """Where recipe SQL may read once the feature store confines a connection (see
        `feature_store.sources.confine_file_access`): data_dir and `feature_store.allowed_directories`."""
        root = Path(self.project_dir)
        extra = [d if "://" in d else str((root / d).resolve()) for d in self.config.feature_store.allowed_directories]
        return [str(Path(self.config.data_dir).resolve()), *extra]


def _quoted(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"
