"""Sources inside DuckDB: each one a temporary view named after it, so SQL can read it by name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import fsspec
import pandas as pd

from mmp_assets.feature_store.reads import referenced_sources
from mmp_assets.feature_store.sql import canonical_type, columns_of, ident, literal
from mmp_assets.recipes import RecipeSet
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
    """SQL selecting the source's rows (file sources through DuckDB's readers, globs included)."""
    if source.sql is not None:
        return source.sql
    path = resolve_path(source, root)
    if source.file_format() == "csv":
        return f"SELECT * FROM read_csv({literal(path)}, auto_detect = true, union_by_name = true)"
    return f"SELECT * FROM read_parquet({literal(path)}, union_by_name = true)"


def register_sources(conn: duckdb.DuckDBPyConnection, names: list[str], recipes: RecipeSet, root: Path) -> None:
    """Create a TEMP VIEW per named source and every source its SQL reads, dependencies first."""
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in trail:
            raise SourceError(f"{recipes.file_of('source', name)}: sql: sources read each other in a cycle: {' -> '.join(trail + (name,))}")
        source = recipes.sources[name]
        for dependency in referenced_sources(source.sql or "", recipes):
            if dependency != name:
                visit(dependency, trail + (name,))
        _attach_filesystem(conn, source)
        try:
            conn.execute(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS {source_query(source, root)}")
        except duckdb.Error as exc:
            where = "sql" if source.sql else "path"
            raise SourceError(f"{recipes.file_of('source', name)}: {where}: cannot be read: {str(exc).splitlines()[0]}") from None
        done.add(name)

    for name in names:
        visit(name, ())


def _attach_filesystem(conn: duckdb.DuckDBPyConnection, source: SourceRecipe) -> None:
    """Route a non-local URI through fsspec, which knows every protocol that has an implementation installed."""
    if source.path is None or "://" not in source.path or source.path.startswith("file://"):
        return
    protocol = source.path.split("://", 1)[0]
    filesystem = fsspec.filesystem(protocol)
    if filesystem.protocol not in conn.list_filesystems() and protocol not in conn.list_filesystems():
        conn.register_filesystem(filesystem)


def source_relation(conn: duckdb.DuckDBPyConnection, source_name: str, recipes: RecipeSet, root: Path) -> str:
    """Register the source (and what it reads), check its declared schema, and return the view's quoted name."""
    register_sources(conn, [source_name], recipes, root)
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


def read_source_frame(conn: duckdb.DuckDBPyConnection, source_name: str, recipes: RecipeSet, root: Path) -> pd.DataFrame:
    """Every row of a source as a pandas frame (for scoring, drift and serving)."""
    return conn.execute(f"SELECT * FROM {source_relation(conn, source_name, recipes, root)}").df()
