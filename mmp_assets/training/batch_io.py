"""What `mmp predict` reads and writes: Parquet or CSV by extension, or `duckdb:<table>` in the offline store.

A file is written beside its target and renamed over it only when complete, so a failed run leaves
the previous output as it was. Every row carries the model version, the feature-view versions and
the score time; Parquet also keeps the whole provenance in its schema metadata under `mmp`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import duckdb

import pandas as pd

from mmp_assets.feature_store.sql import ident, literal, tables_from_frame
from mmp_assets.training.batch import ScoredBatch, ScoringInputError

PARQUET_METADATA_KEY = b"mmp"
_FILES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# mmp's own tables in the store: feature views, training sets, prediction versions, the catalog
_RESERVED = ("fv_", "ts_", "pred_", "mmp_", "__mmp")


def file_kind(path: str, flag: str) -> str:
    """parquet or csv from a file name's extension; ScoringInputError naming the flag otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in _FILES:
        raise ScoringInputError(f"{flag}: {path}: unknown extension {repr(suffix) if suffix else '(none)'}; use .parquet, .pq or .csv"
                                + (" or duckdb:<table>" if flag == "--output" else ""))
    return _FILES[suffix]


def check_input(path: str) -> str:
    """parquet or csv, for a file that exists; ScoringInputError naming it otherwise."""
    kind = file_kind(path, "--input")
    if not Path(path).is_file():
        raise ScoringInputError(f"--input: {path}: no such file")
    return kind


def read_input(conn: duckdb.DuckDBPyConnection, path: str) -> pd.DataFrame:
    """Every row of a Parquet or CSV file, read by DuckDB (types detected as for a file source)."""
    kind = check_input(path)
    reader = "read_parquet" if kind == "parquet" else "read_csv"
    try:
        return conn.execute(f"SELECT * FROM {reader}({literal(str(Path(path).resolve()))})").df()
    except duckdb.Error as exc:
        raise ScoringInputError(f"--input: {path}: cannot be read as {kind}: {str(exc).splitlines()[0]}") from None


def output_kind(target: str) -> str:
    """parquet, csv or duckdb; checked before any scoring starts."""
    if target.startswith("duckdb:"):
        table = target.removeprefix("duckdb:")
        if not _TABLE.match(table):
            raise ScoringInputError(f"--output: {target}: {table!r} is not a table name; use letters, digits and _ (duckdb:scores)")
        if table.lower().startswith(_RESERVED):
            raise ScoringInputError(f"--output: {target}: names starting with {', '.join(_RESERVED)} belong to mmp's own tables; pick another")
        return "duckdb"
    return file_kind(target, "--output")


def write_scored(batch: ScoredBatch, target: str, conn: duckdb.DuckDBPyConnection | None = None) -> str:
    """Write the batch to `target`; returns what was written, for the user."""
    kind = output_kind(target)
    if kind == "duckdb":
        table = target.removeprefix("duckdb:")
        tables_from_frame(conn, batch.frame, [f"CREATE OR REPLACE TABLE {ident(table)} AS SELECT * FROM __mmp_frame"])
        return f"table {table}"
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(batch.frame, preserve_index=False)
            metadata = {**(table.schema.metadata or {}), PARQUET_METADATA_KEY: json.dumps(batch.provenance()).encode()}
            pq.write_table(table.replace_schema_metadata(metadata), partial)
        else:
            batch.frame.to_csv(partial, index=False)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return str(path)


def read_provenance(path: str | Path) -> dict:
    """The `mmp` provenance a Parquet output carries in its schema metadata."""
    import pyarrow.parquet as pq

    return json.loads(pq.read_schema(path).metadata[PARQUET_METADATA_KEY])
