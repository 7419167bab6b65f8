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
            conn.execute(f"SET allowed_directories = [{', '.join(_quoted(d) for d in self.allowed_directories)}]")
            try:
                yield conn
            finally:  # dagster-duckdb closes only on success; a failed step must not keep the file open
                conn.close()

    @property
    def allowed_directories(self) -> list[str]:
        """Where recipe SQL may read once the feature store confines a connection (see
        `feature_store.sources.confine_file_access`): data_dir and `feature_store.allowed_directories`."""
        root = Path(self.project_dir)
        extra = [d if "://" in d else str((root / d).resolve()) for d in self.config.feature_store.allowed_directories]
        return [str(Path(self.config.data_dir).resolve()), *extra]


def _quoted(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"
