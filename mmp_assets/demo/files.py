"""Byte-stable, crash-safe Parquet writing and the manifest that says a demo directory is complete."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import polars as pl

US = pl.Datetime("us")
TRANSACTION_SCHEMA = {
    "transaction_id": pl.Int64,
    "user_id": pl.String,
    "merchant_id": pl.String,
    "amount": pl.Float64,
    "category": pl.String,
    "channel": pl.String,
    "hour_of_day": pl.Int32,
    "event_time": US,
    "is_fraud": pl.Int32,
}
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "transactions": TRANSACTION_SCHEMA,
    "user_snapshots": {
        "user_id": pl.String,
        "snapshot_time": US,
        "account_age_days": pl.Int32,
        "txn_count_30d": pl.Int32,
        "avg_amount_30d": pl.Float64,
        "std_amount_30d": pl.Float64,
        "max_amount_30d": pl.Float64,
        "distinct_merchants_30d": pl.Int32,
        "night_share_30d": pl.Float64,
    },
    "merchant_snapshots": {
        "merchant_id": pl.String,
        "snapshot_time": US,
        "merchant_category": pl.String,
        "merchant_txn_count_30d": pl.Int32,
        "merchant_avg_amount_30d": pl.Float64,
        "merchant_fraud_rate_90d": pl.Float64,
    },
    "scoring_transactions": {k: v for k, v in TRANSACTION_SCHEMA.items() if k != "is_fraud"},
}
MANIFEST = "manifest.json"


def write_parquet(frame: pl.DataFrame, name: str, out_dir: Path) -> Path:
    """Cast to the published schema and write `<name>.parquet` via a temp file and os.replace."""
    schema = SCHEMAS[name]
    frame = frame.select([pl.col(c).cast(t) for c, t in schema.items()])
    path = out_dir / f"{name}.parquet"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp, compression="zstd", compression_level=3, statistics=True, row_group_size=100_000)
    os.replace(tmp, path)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(out_dir: Path) -> dict | None:
    try:
        return json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def write_manifest(out_dir: Path, content: dict) -> None:
    path = out_dir / MANIFEST
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def matches(out_dir: Path, expected: dict) -> bool:
    """True when the manifest has `expected`'s settings and every file still has its recorded hash."""
    manifest = read_manifest(out_dir)
    if manifest is None or {k: manifest.get(k) for k in expected} != expected:
        return False
    files = manifest.get("files", {})
    if set(files) != set(SCHEMAS):
        return False
    return all((out_dir / f"{n}.parquet").is_file() and sha256(out_dir / f"{n}.parquet") == h for n, h in files.items())
