"""What a source looks like right now: its schema fingerprint and content fingerprint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from mmp_assets.feature_store.fingerprints import file_fingerprint, relation_fingerprint, schema_fingerprint
from mmp_assets.feature_store.sources import resolve_path, source_relation
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.common import digest


@dataclass(frozen=True)
class SourceObservation:
    name: str
    columns: dict[str, str]
    schema_fingerprint: str
    content_fingerprint: str

    @property
    def data_version(self) -> str:
        """Changes when either the schema or the content changes."""
        return digest(self.schema_fingerprint, self.content_fingerprint)

    def as_dict(self) -> dict[str, str]:
        return {"schema": self.schema_fingerprint, "content": self.content_fingerprint}


def observe_source(
    conn: duckdb.DuckDBPyConnection, name: str, recipes: RecipeSet, root: Path, params: dict | None = None
) -> SourceObservation:
    """Fingerprint a source: file bytes for files, an order-independent row aggregate for queries and
    databases (over the rows this connection read, so a view built on the same connection used them).

    Raises SourceError when the source breaks its declared schema.
    """
    relation = source_relation(conn, name, recipes, root, params)
    columns = {row[0]: row[1] for row in conn.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    source = recipes.sources[name]
    if source.path is not None:
        content = file_fingerprint(resolve_path(source, root))
    else:
        content, _ = relation_fingerprint(conn, f"SELECT * FROM {relation}")
    return SourceObservation(name, columns, schema_fingerprint(columns), content)
