"""Catalog facts as Dagster metadata: the same schema, row count and version the catalog holds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import dagster as dg

if TYPE_CHECKING:
    from mmp_assets.feature_store.catalog import CatalogEntry


def one_line(description: str) -> str:
    """Dagster shows the description in lists; the first sentence or line is what fits."""
    text = " ".join(description.split())
    return text.split(". ")[0].rstrip(".") + "." if text else text


def column_schema(schema: dict[str, str], null_fractions: dict[str, float] | None = None) -> dg.TableSchema:
    nulls = null_fractions or {}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c, type=t, description=f"null fraction {nulls[c]:.4f}" if c in nulls else None)
            for c, t in schema.items()
        ]
    )


def entry_metadata(entry: CatalogEntry | None, status: str) -> dict[str, Any]:
    """Standard Dagster keys plus mmp's own for the version that is current after this run."""
    meta: dict[str, Any] = {"mmp/status": status}
    if entry is None:
        return meta
    return meta | {
        "dagster/column_schema": column_schema(entry.schema, entry.null_fractions),
        "dagster/row_count": entry.row_count,
        "dagster/table_name": entry.table_name,
        "mmp/version": entry.version,
        "mmp/content_hash": entry.content_hash,
        "mmp/null_fractions": dg.MetadataValue.json(entry.null_fractions),
        "mmp/source_fingerprints": dg.MetadataValue.json(entry.source_fingerprints),
    }


def changes_markdown(changes: list[dict[str, str | None]]) -> dg.MetadataValue:
    if not changes:
        return dg.MetadataValue.md("no schema change")
    lines = ["| column | change | before | after |", "| --- | --- | --- | --- |"]
    lines += [f"| {c['column']} | {c['change']} | {c['before'] or ''} | {c['after'] or ''} |" for c in changes]
    return dg.MetadataValue.md("\n".join(lines))


def as_json(value: Any) -> dg.MetadataValue:
    return dg.MetadataValue.json(json.loads(json.dumps(value, default=str)))
