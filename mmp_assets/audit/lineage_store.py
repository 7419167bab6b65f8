"""The feature store's side of a lineage audit: catalog entries, and their tables hashed again.

The content hash is recomputed with the feature store's own `profile_table`, the function that
produced it at publish time, so any row changed, added or deleted behind mmp's back, or a
changed column type, shows as a mismatch against the catalog.
"""

from __future__ import annotations

import duckdb

from mmp_assets.audit.lineage_report import LineageReport
from mmp_assets.feature_store import catalog
from mmp_assets.feature_store.fingerprints import profile_table
from mmp_assets.feature_store.sql import table_exists

KIND_NAMES = {"view": "feature view", "training_set": "training set"}


def _summary(entry: catalog.CatalogEntry) -> dict:
    return {
        "kind": entry.kind, "name": entry.name, "version": entry.version, "table": entry.table_name, "content_hash": entry.content_hash,
        "row_count": entry.row_count, "owner": entry.owner, "created_at": str(entry.created_at) if entry.created_at else None,
        "dagster_run_id": entry.run_id, "retired_at": str(entry.retired_at) if entry.retired_at else None,
        "source_fingerprints": entry.source_fingerprints, "pinned_views": entry.pinned_views, "columns": list(entry.schema),
        "params": run_params(entry), "partition": entry.details.get("partition"),
    }


def run_params(entry: catalog.CatalogEntry) -> dict:
    """The template values a version was built with: its own template's, and each source's it read."""
    found = {f"sources/{name}": values for name, values in (entry.details.get("source_params") or {}).items() if values}
    if entry.details.get("params"):
        found[f"features/{entry.name}"] = entry.details["params"]
    return found


def verify_stored(conn: duckdb.DuckDBPyConnection, report: LineageReport, kind: str, name: str, version: int | None) -> dict | None:
    """The catalog facts of one stored version, with its table re-hashed; findings go into `report`."""
    subject = f"{KIND_NAMES[kind]} {name} v{version}"
    entry = catalog.find_entry(conn, kind, name, version) if version is not None else None
    if entry is None:
        report.add("catalog entry", subject, "missing", "no catalog row for this version")
        return None
    facts = _summary(entry)
    if not table_exists(conn, entry.table_name):
        report.add("stored table", subject, "missing", f"table {entry.table_name} is gone"
                   + (" (retired by retention)" if entry.retired_at else " (dropped outside mmp)"))
        facts["recomputed_hash"] = None
        return facts
    profile = profile_table(conn, entry.table_name)
    facts["recomputed_hash"] = profile.content_hash
    if profile.content_hash == entry.content_hash:
        report.add("content hash", subject, "ok", f"recomputed {profile.content_hash} matches the catalog")
    else:
        report.add("content hash", subject, "mismatch",
                   f"table {entry.table_name} now hashes to {profile.content_hash} ({profile.row_count} rows), "
                   f"catalog recorded {entry.content_hash} ({entry.row_count} rows): altered after publishing")
    return facts


def source_rows(entries: list[dict]) -> list[dict]:
    """One row per (source, fingerprint) seen by the training set and its views, with who saw it."""
    rows: dict[tuple, dict] = {}
    for entry in entries:
        for source, fingerprint in sorted((entry.get("source_fingerprints") or {}).items()):
            key = (source, fingerprint.get("schema"), fingerprint.get("content"))
            row = rows.setdefault(key, {"source": source, "schema_fingerprint": key[1], "content_fingerprint": key[2], "seen_by": []})
            row["seen_by"].append(f"{entry['kind']}:{entry['name']} v{entry['version']}")
    return list(rows.values())
