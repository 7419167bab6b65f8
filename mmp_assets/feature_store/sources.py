"""Sources inside DuckDB: each one a temporary view named after it, so SQL can read it by name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import fsspec
import pandas as pd

from mmp_assets.feature_store.databases import read_database, table_query
from mmp_assets.feature_store.reads import referenced_sources
from mmp_assets.feature_store.sql import canonical_type, columns_of, ident, literal, table_exists
from mmp_assets.feature_store.templates import RenderedSql, render_sql
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.common import digest
from mmp_assets.recipes.source import SourceRecipe


class SourceError(ValueError):
    """A source that cannot be read or breaks its declared schema; names the recipe file."""


def resolve_path(source: SourceRecipe, root: Path) -> str:
    """Absolute local path, or the fsspec URI unchanged."""
    if "://" in source.path:
        return source.path
    path = Path(source.path)
    return str(path if path.is_absolute() else (root / path))


def source_query(source: SourceRecipe, root: Path) -> str:
    """SQL selecting a file source's rows through DuckDB's readers, globs included."""
    path = resolve_path(source, root)
    if source.file_format() == "csv":
        return f"SELECT * FROM read_csv({literal(path)}, auto_detect = true, union_by_name = true)"
    return f"SELECT * FROM read_parquet({literal(path)}, union_by_name = true)"


def source_sql(source: SourceRecipe, shown: str, params: dict | None = None) -> RenderedSql:
    """The query of a `sql` or database source with its bound values (recipe params, overridden by the run's)."""
    if source.table is not None:
        return table_query(source)
    values = dict(source.params) | (params or {})
    return render_sql(source.template, values, f"{shown}: {source.template_field}", params_field="the source's params")


def register_sources(
    conn: duckdb.DuckDBPyConnection, names: list[str], recipes: RecipeSet, root: Path, params: dict | None = None
) -> dict[str, dict]:
    """Make each named source, and every source its SQL reads, readable by name on `conn`, dependencies first.

    A file source is a TEMP VIEW over its files. A `sql` or database source is read once per
    connection (and set of values) into a temp table that the view of its name shows: whatever reads
    it next, a view, the spine or the fingerprint, sees those same rows. Returns the bound values
    each templated source was read with, for the record.
    """
    relations: dict[str, str] = {}
    used: dict[str, dict] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in relations:
            return
        if name in trail:
            raise SourceError(f"{recipes.file_of('source', name)}: sql: sources read each other in a cycle: {' -> '.join(trail + (name,))}")
        source, shown = recipes.sources[name], recipes.file_of("source", name)
        dependencies = [d for d in referenced_sources(source.sql or "", recipes) if d != name]
        for dependency in dependencies:
            visit(dependency, trail + (name,))
        if source.path is not None:
            _attach_filesystem(conn, source)
            _execute(conn, f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS {source_query(source, root)}", {}, f"{shown}: path")
            if source.file_format() == "csv":
                _check_csv_rows(source, root, shown)
            relations[name] = source.path
            return
        rendered = source_sql(source, shown, params)
        table = f"__mmp_read_{name}_{digest(rendered.sql, rendered.params, [relations[d] for d in dependencies])}"
        if not table_exists(conn, table):
            if source.connection is not None:
                read_database(conn, source, rendered, table, shown)
            else:
                _execute(conn, f"CREATE TEMP TABLE {ident(table)} AS {rendered.sql}", rendered.params, f"{shown}: sql")
        conn.execute(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS SELECT * FROM {ident(table)}")
        relations[name] = table
        if source.template is not None:
            used[name] = rendered.params

    confine_file_access(conn, root, list(recipes.sources.values()))
    for name in names:
        visit(name, ())
    return used


def _check_csv_rows(source: SourceRecipe, root: Path, shown: str) -> None:
    """SourceError for a local CSV file with a header line and no rows: DuckDB would read its header as a row
    of columns `column0`, `column1`... and every reader downstream would fail on the names instead."""
    import glob

    if "://" in source.path:
        return
    base = Path(resolve_path(source, root))
    for found in sorted(glob.glob(str(base))):
        with open(found, encoding="utf-8", errors="replace") as handle:
            lines = [line for _, line in zip(range(2), (line for line in handle if line.strip()))]
        if len(lines) < 2:
            shown_path = source.path if found == str(base) else str(Path(found).relative_to(root)) if Path(found).is_relative_to(root) else found
            what = "has a header and no data rows" if lines else "is empty"
            raise SourceError(f"{shown}: path: {shown_path} {what}; a CSV source needs a header and at least one row: write the "
                              "file's rows, or point path at the file that has them")


def confine_file_access(conn: duckdb.DuckDBPyConnection, root: Path, sources: list[SourceRecipe]) -> None:
    """From here on, SQL on `conn` reads and writes files only under the project, the store's own folder,
    the folders the connection already allows (the resource adds `feature_store.allowed_directories`)
    and the remote locations every source of the project declares (all of them: a connection confined for
    one source may read another next, and the list cannot grow later); DuckDB refuses the rest (`read_csv('/etc/passwd')`,
    `COPY ... TO` elsewhere, ATTACH). One-way by DuckDB's design: the setting cannot be re-enabled, which
    is why database sources are read on a connection of their own (`databases.read_database`)."""
    if not conn.execute("SELECT current_setting('enable_external_access')").fetchone()[0]:
        return  # already confined
    allowed = set(conn.execute("SELECT current_setting('allowed_directories')").fetchone()[0] or [])
    allowed.add(str(root.resolve()))
    # a DuckDB file's folder; a DuckLake store's data path is already allowed by its resource
    store = conn.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database() AND type = 'duckdb'").fetchone()
    if store and store[0]:
        allowed.add(str(Path(store[0]).resolve().parent))
    for source in sources:
        if source.path and "://" in source.path and not source.path.startswith("file://"):
            _attach_filesystem(conn, source)  # registering a filesystem is refused once confined
            allowed.add(source.path.rsplit("/", 1)[0] if source.path.count("/") > 2 else source.path)
    listed = ", ".join(literal(d if "://" in d else d.rstrip("/") + "/") for d in sorted(allowed))
    conn.execute(f"SET allowed_directories = [{listed}]")
    conn.execute("SET enable_external_access = false")


def _execute(conn: duckdb.DuckDBPyConnection, sql: str, params: dict, where: str) -> None:
    try:
        conn.execute(sql, params)
    except duckdb.Error as exc:
        raise SourceError(f"{where}: cannot be read: {outside_allowed(exc)}") from None


def outside_allowed(exc: duckdb.Error) -> str:
    """DuckDB's first line, said in mmp's terms when the file lies outside the allowed directories."""
    first = str(exc).splitlines()[0]
    if isinstance(exc, duckdb.PermissionException) and "disabled by configuration" in first:
        return (first.split(" - ")[0].removeprefix("Permission Error: ") + " outside the allowed directories "
                "(the project, the data folder and config feature_store.allowed_directories)")
    return first


def _attach_filesystem(conn: duckdb.DuckDBPyConnection, source: SourceRecipe) -> None:
    """Route a non-local URI through fsspec, which knows every protocol that has an implementation installed."""
    if source.path is None or "://" not in source.path or source.path.startswith("file://"):
        return
    protocol = source.path.split("://", 1)[0]
    filesystem = fsspec.filesystem(protocol)
    if filesystem.protocol not in conn.list_filesystems() and protocol not in conn.list_filesystems():
        conn.register_filesystem(filesystem)


def source_relation(
    conn: duckdb.DuckDBPyConnection, source_name: str, recipes: RecipeSet, root: Path, params: dict | None = None
) -> str:
    """Register the source (and what it reads), check its declared schema, and return the view's quoted name."""
    register_sources(conn, [source_name], recipes, root, params)
    check_source_schema(conn, source_name, recipes)
    return ident(source_name)


def check_source_schema(conn: duckdb.DuckDBPyConnection, source_name: str, recipes: RecipeSet) -> dict[str, str]:
    """The source's columns and types; SourceError naming every column that breaks the declared schema."""
    actual = columns_of(conn, f"SELECT * FROM {ident(source_name)}")
    declared = recipes.sources[source_name].schema_ or {}
    problems = []
    for column, wanted in declared.items():
        if column not in actual:
            problems.append(f"column {column!r} is missing (declared {wanted})")
        elif canonical_type(conn, wanted) != actual[column]:
            problems.append(f"column {column!r} is {actual[column]}, declared {canonical_type(conn, wanted)}")
    if problems:
        raise SourceError(f"{recipes.file_of('source', source_name)}: schema: " + "; ".join(problems))
    return actual


def read_source_frame(
    conn: duckdb.DuckDBPyConnection, source_name: str, recipes: RecipeSet, root: Path, params: dict | None = None
) -> pd.DataFrame:
    """Every row of a source as a pandas frame (for scoring, drift and serving)."""
    return conn.execute(f"SELECT * FROM {source_relation(conn, source_name, recipes, root, params)}").df()
