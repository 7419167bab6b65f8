"""Benchmark: batch scoring by `mmp predict`'s code path against the bare libraries doing the same work.

    .venv/bin/python bench/predict.py [--rows 100000,1000000] [--repeat 3] [--work DIR]

Setup (untimed): `mmp init` writes the example project into a temporary folder and materializes
`returns` (its feature view, training set and model). Then, for each size, rows like the example's
orders (timestamps across the snapshots' range, 40 customers) are scored to Parquet twice per round:

- mmp: `score_batch` (version lookup, the feature store's point-in-time join against the current
  view version, signature casts, the pyfunc) and `write_scored` (Parquet with provenance metadata).
- bare: one hand-written DuckDB ASOF LEFT JOIN with the view's 30-day TTL, the same pyfunc, pyarrow.

Both run in this process on the same rows and the same store; rounds interleave and the best time
counts, since a shared machine's load varies. The model is loaded in both timings (mmp loads it per
call). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def setup(work: Path) -> Path:
    from mmp_assets.cli.main import main

    root = work / "shop"
    fresh = not root.exists()  # a --work folder from an earlier run is reused as it is
    if fresh:
        assert main(["init", str(root)]) == 0
    os.chdir(root)
    for name in ("MMP_PROJECT_DIR", "MMP_DATA_DIR", "MMP_ENV"):
        os.environ.pop(name, None)
    if fresh:
        assert main(["materialize", "--select", "*returns/model"]) == 0
    return root


def make_rows(n: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "order_id": np.arange(n, dtype="int64"),
        "customer_id": [f"c{i:02d}" for i in rng.integers(0, 40, n)],
        "order_time": pd.Timestamp("2025-01-08") + pd.to_timedelta(rng.uniform(0, 90 * 86400, n), unit="s"),
        "amount": np.round(rng.lognormal(3.5, 0.6, n), 2),
        "channel": rng.choice(["web", "app", "store"], n),
    })


def mmp_score(root: Path, rows, out: Path) -> None:
    from mmp_assets.recipes import load_recipes
    from mmp_assets.training.batch import resolve_version, score_batch
    from mmp_assets.training.batch_io import write_scored
    from mmp_resources import build_resources, load_config

    recipes = load_recipes(root)
    resources = build_resources(load_config(root), root)
    version, alias = resolve_version(resources["mlflow"].client(), "returns")
    with resources["feature_store"].connect() as conn:
        batch = score_batch(conn, recipes.models["returns"], recipes, rows, version, alias)
        write_scored(batch, str(out), conn)


def bare_score(root: Path, rows, out: Path) -> None:
    import duckdb
    import mlflow
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mmp_resources import load_config

    config = load_config(root)
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_registry_uri(config.registry_uri)
    model = mlflow.pyfunc.load_model("models:/returns/1")
    with duckdb.connect(config.duckdb_path, read_only=True) as conn:
        conn.register("rows_", rows)
        joined = conn.execute(
            "SELECT r.*, "
            + ", ".join(f"CASE WHEN f.snapshot_time >= r.order_time - INTERVAL 30 DAY THEN f.{c} END AS {c}"
                        for c in ("orders_30d", "avg_amount_30d", "return_rate_30d"))
            + " FROM rows_ r ASOF LEFT JOIN fv_customer_activity f ON r.customer_id = f.customer_id AND r.order_time >= f.snapshot_time"
        ).df()
    inputs = [c.name for c in model.metadata.get_input_schema().inputs]
    features = joined[inputs].astype({c: "float64" for c in inputs if c != "channel"})
    scores = model.predict(features)
    for column in scores.columns:
        joined[column] = scores[column].to_numpy()
    pq.write_table(pa.Table.from_pandas(joined, preserve_index=False), out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="mmp-bench-predict-"))
    root = setup(work)
    print(f"{'rows':>9}  {'mmp s':>8}  {'bare s':>8}  ratio")
    for n in (int(x) for x in args.rows.split(",")):
        rows = make_rows(n)
        best = {"mmp": float("inf"), "bare": float("inf")}
        for _ in range(args.repeat):
            for name, fn in (("mmp", mmp_score), ("bare", bare_score)):
                started = time.perf_counter()
                fn(root, rows, work / f"{name}.parquet")
                best[name] = min(best[name], time.perf_counter() - started)
        print(f"{n:>9}  {best['mmp']:>8.2f}  {best['bare']:>8.2f}  {best['mmp'] / best['bare']:.2f}x")


if __name__ == "__main__":
    main()
