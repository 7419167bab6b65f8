"""DuckDB extensions from their Python wheels: loaded from site-packages, never downloaded.

`duckdb-extension-<name>` wheels ship the compiled extension for exactly one DuckDB release
(`<package>/extensions/v<duckdb version>/<name>.duckdb_extension`). Loading that file by path
needs no network at run time, which is why mmp pins DuckDB to a release these wheels exist for
(docs/decisions.md). DuckDB's own autoload would try to download from extensions.duckdb.org.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

# extension name as DuckDB knows it → the wheel's import package
WHEELS: dict[str, str] = {
    "ducklake": "duckdb_extension_ducklake",
    "httpfs": "duckdb_extension_httpfs",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}
ALIASES = {"postgres": "postgres_scanner"}


class ExtensionUnavailable(RuntimeError):
    """The extension's wheel is not installed for the running DuckDB release."""


def extension_path(name: str) -> Path:
    """The `.duckdb_extension` file of `name` for the running DuckDB release."""
    name = ALIASES.get(name, name)
    package = WHEELS.get(name)
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionUnavailable(
            f"DuckDB extension {name!r} is not installed; install the pinned wheel from requirements.lock "
            f"({(package or 'duckdb_extension_' + name).replace('_', '-')})"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise ExtensionUnavailable(
            f"DuckDB extension {name!r} has no build for DuckDB {duckdb.__version__} in {path.parent.parent}; "
            "install the extension wheel whose version matches the pinned duckdb"
        )
    return path


def load_extension(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """LOAD `name` into `conn` from its wheel (a no-op when it is already loaded)."""
    name = ALIASES.get(name, name)
    loaded = conn.execute("SELECT loaded FROM duckdb_extensions() WHERE extension_name = ?", [name]).fetchone()
    if loaded and loaded[0]:
        return
    conn.execute(f"LOAD '{extension_path(name).as_posix()}'")
