"""Fingerprints: what a source or table looks like (schema) and what it holds (content).

Both are hashlib digests so they are equal across processes and machines. A table's content
fingerprint is order-independent: DuckDB's `hash()` of every row (a fixed function, not seeded
per process) summed as a HUGEINT, together with the row count and the schema, so the same rows
in any order give the same fingerprint, and a duplicated row changes it.
"""

from __future__ import annotations

import glob as globlib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import fsspec

from mmp_assets.feature_store.sql import columns_of, ident
from mmp_assets.recipes.common import digest

_CHUNK = 1 << 20


def schema_fingerprint(columns: dict[str, str]) -> str:
    """Digest of column names and DuckDB types, in column order."""
    return digest("schema", list(columns.items()))


def relation_fingerprint(conn: duckdb.DuckDBPyConnection, relation_sql: str, params: dict | None = None) -> tuple[str, int]:
    """(order-independent content digest, row count) of a query or table name."""
    count, total = conn.execute(
        f"SELECT count(*), coalesce(sum(hash(q)::HUGEINT), 0)::VARCHAR FROM ({relation_sql}) AS q", params or {}
    ).fetchone()
    return digest("rows", count, total), int(count)


@dataclass(frozen=True)
class TableProfile:
    """What one scan of a stored table tells: its schema, content digest, size and null fractions."""

    columns: dict[str, str]
    content_hash: str
    row_count: int
    null_fractions: dict[str, float]


def profile_table(conn: duckdb.DuckDBPyConnection, table: str) -> TableProfile:
    """Schema, order-independent content digest, row count and null fraction per column, in one scan."""
    columns = columns_of(conn, f"SELECT * FROM {ident(table)}")
    counts = ", ".join(f"count({ident(c)})" for c in columns)
    row = conn.execute(
        f"SELECT count(*), coalesce(sum(hash(q)::HUGEINT), 0)::VARCHAR, {counts} FROM {ident(table)} AS q"
    ).fetchone()
    total = int(row[0])
    nulls = {c: (round(1 - n / total, 6) if total else 0.0) for c, n in zip(columns, row[2:])}
    content = digest("table", total, row[1], schema_fingerprint(columns))
    return TableProfile(columns=columns, content_hash=content, row_count=total, null_fractions=nulls)


def file_fingerprint(path: str) -> str:
    """Digest of every matching file's name and bytes (local), or of its size and checksum (remote)."""
    if "://" in path and not path.startswith("file://"):
        return _remote_fingerprint(path)
    local = path.removeprefix("file://")
    matches = sorted(globlib.glob(local, recursive=True)) if globlib.has_magic(local) else [local]
    sha = hashlib.sha256()
    for match in matches:
        sha.update(Path(match).name.encode() + b"\0")
        with open(match, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                sha.update(chunk)
    return sha.hexdigest()[:16]


def _remote_fingerprint(uri: str) -> str:
    """Reading every remote byte would cost a download; the store's own checksum or size+mtime stands in."""
    fs, _, paths = fsspec.get_fs_token_paths(uri)
    facts = []
    for path in sorted(paths):
        info = fs.info(path)
        if "memory" in fs.protocol:  # in-process store: bytes are cheap to read
            facts.append((path, hashlib.sha256(fs.cat_file(path)).hexdigest()))
            continue
        stamp = info.get("ETag") or info.get("etag") or info.get("checksum") or info.get("md5Hash") or info.get("mtime") or info.get("LastModified")
        facts.append((path, info.get("size"), str(stamp)))
    return digest("remote", facts)
