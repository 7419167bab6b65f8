"""The deterministic demo dataset: card transactions, weekly snapshots and a scoring fortnight."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from mmp_assets.demo import files
from mmp_assets.demo.snapshots import build_snapshots
from mmp_assets.demo.transactions import simulate_transactions
from mmp_assets.demo.world import Calendar, build_world

# Bump whenever the simulation changes, so existing demo directories are regenerated.
GENERATOR_VERSION = 1
DEFAULT_SEED = 7


def generate_demo_data(
    out_dir: Path,
    *,
    seed: int = DEFAULT_SEED,
    n_users: int = 2000,
    n_merchants: int = 250,
    months: int = 6,
    end: datetime = datetime(2026, 6, 30),
) -> dict[str, Path]:
    """Write the four demo Parquet files into `out_dir`; the same arguments give the same bytes.

    Training transactions cover `months` 30-day months before the final 14 days; those final
    days, up to `end`, are the unlabelled, mildly drifted scoring period.
    """
    for field, value in (("n_users", n_users), ("n_merchants", n_merchants), ("months", months)):
        if value < 1:
            raise ValueError(f"generate_demo_data: {field}: {value} is not allowed; give a positive integer")
    if end.tzinfo is not None:
        raise ValueError(f"generate_demo_data: end: {end} is timezone-aware; give a naive datetime")
    rng = np.random.default_rng(seed)
    calendar = Calendar.ending(end, months)
    world = build_world(rng, calendar, n_users, n_merchants)
    txns = simulate_transactions(rng, world, calendar)
    user_snaps, merchant_snaps = build_snapshots(txns, world, calendar)

    is_training = pl.col("event_time") < calendar.scoring_start
    frames = {
        "transactions": txns.filter(is_training),
        "user_snapshots": user_snaps,
        "merchant_snapshots": merchant_snaps,
        "scoring_transactions": txns.filter(~is_training),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: files.write_parquet(frame, name, out_dir) for name, frame in frames.items()}


def write_demo_data(project_root: Path, *, force: bool = False) -> dict[str, Path]:
    """Generate the demo into `<project_root>/data/demo`, unless its manifest shows it is intact."""
    out_dir = Path(project_root) / "data" / "demo"
    settings = {"generator_version": GENERATOR_VERSION, "seed": DEFAULT_SEED}
    if not force and files.matches(out_dir, settings):
        return {name: out_dir / f"{name}.parquet" for name in files.SCHEMAS}
    out_dir.mkdir(parents=True, exist_ok=True)
    # Drop the manifest first: a run interrupted from here on is never mistaken for a complete one.
    (out_dir / files.MANIFEST).unlink(missing_ok=True)
    # Generate everything aside, then swap file by file: a failed run leaves the old files in place.
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        written = generate_demo_data(staging, seed=DEFAULT_SEED)
        paths = {name: out_dir / tmp.name for name, tmp in written.items()}
        for name, tmp in written.items():
            os.replace(tmp, paths[name])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    hashes = {name: files.sha256(path) for name, path in paths.items()}
    files.write_manifest(out_dir, {**settings, "files": hashes})
    return paths
