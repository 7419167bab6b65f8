"""The offline feature store: one DuckDB file, opened through dagster-duckdb's resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mmp_resources.base import PlatformResource

if TYPE_CHECKING:  # DuckDB loads when a run first connects, not when the definitions load
    import duckdb


class FeatureStoreResource(PlatformResource):
    """DuckDB file of feature views, the catalog and training sets."""

    @property
    def database(self) -> str:
        return self.config.duckdb_path

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store; dagster-duckdb retries while another process holds the lock."""
        from dagster_duckdb import DuckDBResource

        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with DuckDBResource(database=self.database).get_connection() as conn:
            try:
                yield conn
            finally:  # dagster-duckdb closes only on success; a failed step must not keep the file open
                conn.close()
