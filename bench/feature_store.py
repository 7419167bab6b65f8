"""Benchmark: one point-in-time training set built by mmp, by raw DuckDB ASOF SQL and by pandas merge_asof.

    .venv/bin/python bench/feature_store.py [--sizes small,large] [--work DIR] [--no-ducklake]

small = 100k spine rows x 1M feature rows, large = 1M x 10M; both with 10 features over 10k
entities and a 30-day TTL. Each method runs in its own subprocess, which reports its wall time and
its peak RSS (ru_maxrss); the methods run interleaved `--repeat` times and the best time counts,
since a shared machine's load varies from one run to the next. Inputs are Parquet files; mmp and raw DuckDB read the features from the
same DuckDB table (mmp's published view version, loaded untimed), pandas reads both from Parquet.
mmp's time is `materialize_training_set`: join, temporal split, content hash, null fractions,
leakage check and the catalog publish. `mmp_ducklake` is the same on the DuckLake store (catalog in a
fresh PostgreSQL database, Parquet under the work folder; the view is published into it untimed).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = {"small": (100_000, 1_000_000), "large": (1_000_000, 10_000_000)}
ENTITIES, FEATURES, TTL_DAYS = 10_000, 10, 30
FEATURE_COLUMNS = [f"f{i}" for i in range(FEATURES)]


def generate(work: Path, spine_rows: int, feature_rows: int) -> None:
    """Features: each entity gets a row every ~N seconds over a year; spine events fall in the same year."""
    import duckdb

    per_entity = feature_rows // ENTITIES
    step = 365 * 86400 // per_entity
    features = ", ".join(f"(hash(i, {k}) % 100000) / 100.0 AS f{k}" for k in range(FEATURES))
    with duckdb.connect() as conn:
        conn.execute(
            f"COPY (SELECT 'u' || lpad((i % {ENTITIES})::VARCHAR, 5, '0') AS user_id, "
            f"TIMESTAMP '2024-01-01' + to_seconds((i // {ENTITIES}) * {step} + i % {ENTITIES} % {step}) AS snapshot_time, {features} "
            f"FROM range({feature_rows}) t(i)) TO '{work}/features.parquet' (FORMAT parquet)"
        )
        conn.execute(
            f"COPY (SELECT i AS event_id, 'u' || lpad((hash(i, 'e') % {ENTITIES})::VARCHAR, 5, '0') AS user_id, "
            f"TIMESTAMP '2024-01-01' + to_seconds(hash(i, 't') % (365 * 86400)) AS event_time, (hash(i, 'y') % 10 = 0)::INTEGER AS label "
            f"FROM range({spine_rows}) t(i)) TO '{work}/spine.parquet' (FORMAT parquet)"
        )


def write_project(work: Path) -> None:
    import yaml

    (work / "config").mkdir(exist_ok=True)
    (work / "config" / "base.yaml").write_text(yaml.safe_dump({"data_dir": str(work / "store")}))
    for sub in ("sources", "features"):
        (work / "recipes" / sub).mkdir(parents=True, exist_ok=True)
    documents = {
        "sources/spine.yaml": {"name": "spine", "description": "events", "owner": "team:bench", "path": "spine.parquet"},
        "sources/feats.yaml": {"name": "feats", "description": "features", "owner": "team:bench", "path": "features.parquet"},
        "features/bench_view.yaml": {"name": "bench_view", "description": "features", "owner": "team:bench", "entity": "user_id",
                                     "timestamp": "snapshot_time", "ttl": f"{TTL_DAYS}d", "source": "feats"},
        "bench.yaml": {"name": "bench", "description": "bench", "owner": "team:bench", "task": "classification",
                       "spine": {"source": "spine", "entity": "user_id", "timestamp": "event_time", "label": "label", "columns": ["event_id"]},
                       "features": [{"view": "bench_view"}], "split": {"strategy": "temporal"},
                       "model": {"class_path": "sklearn.linear_model.LogisticRegression"}, "tuning": {"metric": "roc_auc"}},
    }
    for name, document in documents.items():
        (work / "recipes" / name).write_text(yaml.safe_dump(document))


def run_mmp(work: Path) -> dict:
    import duckdb

    from mmp_assets.feature_store.training_build import materialize_training_set
    from mmp_assets.feature_store.views import materialize_view
    from mmp_assets.recipes import load_recipes
    from mmp_resources import load_config

    recipes = load_recipes(work)
    recipes.raise_if_problems()
    store = Path(load_config(work).duckdb_path)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.unlink(missing_ok=True)  # every run starts from an empty store
    with duckdb.connect(str(store)) as conn:
        started = time.perf_counter()
        materialize_view(conn, recipes.views["bench_view"], recipes, work, keep=10)
        view_s = time.perf_counter() - started
        started = time.perf_counter()
        outcome = materialize_training_set(conn, recipes.models["bench"], recipes, work)
        seconds = time.perf_counter() - started
        rows = outcome.entry.row_count
    return {"seconds": seconds, "rows": rows, "view_publish_s": view_s}


def run_mmp_ducklake(work: Path) -> dict:
    """mmp's same build on the DuckLake store: catalog in a fresh uuid-named PostgreSQL database (dropped
    afterwards), Parquet under the work folder."""
    import os
    import shutil
    import uuid

    import yaml

    from mmp_assets.feature_store.training_build import materialize_training_set
    from mmp_assets.feature_store.views import materialize_view
    from mmp_assets.recipes import load_recipes
    from mmp_resources import FeatureStoreResource
    from mmp_resources.postgres import create_database, drop_database
    from mmp_resources.sandbox import PG_SERVER

    recipes = load_recipes(work)
    recipes.raise_if_problems()
    url = f"{PG_SERVER}/mmp_bench{uuid.uuid4().hex[:10]}_lake"
    shutil.rmtree(work / "lake", ignore_errors=True)
    os.environ["MMP_DUCKLAKE_CATALOG_URL"] = url
    (work / "config" / "lake.yaml").write_text(yaml.safe_dump({"feature_store": {"kind": "ducklake", "ducklake": {
        "catalog_url": "${MMP_DUCKLAKE_CATALOG_URL}", "data_path": str(work / "lake")}}}))
    create_database(url)
    try:
        with FeatureStoreResource(project_dir=str(work), env="lake").connect() as conn:
            started = time.perf_counter()
            materialize_view(conn, recipes.views["bench_view"], recipes, work, keep=10)
            view_s = time.perf_counter() - started
            started = time.perf_counter()
            outcome = materialize_training_set(conn, recipes.models["bench"], recipes, work)
            seconds = time.perf_counter() - started
    finally:
        drop_database(url)
    return {"seconds": seconds, "rows": outcome.entry.row_count, "view_publish_s": view_s}


def run_raw(work: Path) -> dict:
    import duckdb

    (work / "raw").mkdir(exist_ok=True)
    (work / "raw" / "raw.duckdb").unlink(missing_ok=True)
    with duckdb.connect(str(work / "raw" / "raw.duckdb")) as conn:
        conn.execute(f"CREATE OR REPLACE TABLE feats AS SELECT * FROM '{work}/features.parquet'")
        conn.execute("DROP TABLE IF EXISTS training_set")
        fresh = f"f.snapshot_time >= s.event_time - INTERVAL '{TTL_DAYS} days'"
        columns = ", ".join(f"CASE WHEN {fresh} THEN f.{c} END AS {c}" for c in FEATURE_COLUMNS)
        started = time.perf_counter()
        conn.execute(
            f"CREATE TABLE training_set AS SELECT s.*, {columns} FROM '{work}/spine.parquet' s "
            "ASOF LEFT JOIN feats f ON s.user_id = f.user_id AND s.event_time >= f.snapshot_time"
        )
        seconds = time.perf_counter() - started
        rows = conn.execute("SELECT count(*) FROM training_set").fetchone()[0]
    return {"seconds": seconds, "rows": rows}


def run_pandas(work: Path) -> dict:
    import pandas as pd

    started = time.perf_counter()
    spine = pd.read_parquet(work / "spine.parquet").sort_values("event_time")
    feats = pd.read_parquet(work / "features.parquet").sort_values("snapshot_time")
    loaded = time.perf_counter()
    joined = pd.merge_asof(spine, feats, left_on="event_time", right_on="snapshot_time", by="user_id",
                           tolerance=pd.Timedelta(days=TTL_DAYS), direction="backward")
    end = time.perf_counter()
    return {"seconds": end - started, "join_only_s": end - loaded, "rows": len(joined)}


def child(method: str, work: Path) -> None:
    result = {"mmp": run_mmp, "mmp_ducklake": run_mmp_ducklake, "raw": run_raw, "pandas": run_pandas}[method](work)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(method: str, work: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", method, "--work", str(work)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{method} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,large", help="Comma-separated: small, large.")
    parser.add_argument("--work", default=None, help="Scratch folder (default: a temporary one).")
    parser.add_argument("--repeat", type=int, default=3, help="Rounds of the three methods, interleaved; the best time counts.")
    parser.add_argument("--no-ducklake", dest="ducklake", action="store_false",
                        help="Skip mmp on DuckLake (it needs the PostgreSQL server at MMP_TEST_PG_SERVER, default 127.0.0.1:5432).")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, Path(args.work))
    base = Path(args.work or tempfile.mkdtemp(prefix="mmp-bench-"))
    for size in args.sizes.split(","):
        spine_rows, feature_rows = SIZES[size]
        work = base / size
        work.mkdir(parents=True, exist_ok=True)
        generate(work, spine_rows, feature_rows)
        write_project(work)
        methods = ("mmp", "mmp_ducklake", "raw", "pandas") if args.ducklake else ("mmp", "raw", "pandas")
        rounds = [{method: measure(method, work) for method in methods} for _ in range(args.repeat)]
        results = {method: min((r[method] for r in rounds), key=lambda r: r["seconds"]) for method in rounds[0]}
        for method, r in results.items():
            r["peak_mb"] = max(x[method]["peak_mb"] for x in rounds)
        print(f"\n{size}: {spine_rows:,} spine rows x {feature_rows:,} feature rows ({FEATURES} features, {ENTITIES:,} entities, "
              f"ttl {TTL_DAYS}d); best of {args.repeat}, peak = max RSS")
        for method, r in results.items():
            extra = {k: round(v, 2) for k, v in r.items() if k not in ("seconds", "peak_mb", "rows")}
            print(f"  {method:<12} {r['seconds']:8.2f} s   peak {r['peak_mb']:8.0f} MB   rows {r['rows']:,}   {extra or ''}")
        mmp = results["mmp"]["seconds"]
        print(f"  mmp / raw DuckDB = {mmp / results['raw']['seconds']:.2f}x   mmp / pandas = {mmp / results['pandas']['seconds']:.2f}x")
        if args.ducklake:
            print(f"  mmp on DuckLake / raw DuckDB = {results['mmp_ducklake']['seconds'] / results['raw']['seconds']:.2f}x   "
                  f"mmp on DuckLake / mmp on the DuckDB file = {results['mmp_ducklake']['seconds'] / mmp:.2f}x")


if __name__ == "__main__":
    main()
