"""Benchmark: four recipes materialized at once (view + point-in-time training set each) vs one alone.

    .venv/bin/python bench/feature_store_concurrency.py [--stores ducklake,duckdb] [--feature-rows N] [--spine-rows N]

Each materialization is its own process running `dagster.materialize` of one recipe's view and
training set with the environment's resources, as four Dagster runs on four workers would. On
DuckLake (catalog in a fresh uuid-named PostgreSQL database, dropped afterwards; Parquet under the
work folder) nothing serializes them. On the DuckDB file the same four processes contend for the
file lock, which in a deployment the `mmp_duckdb` pool (limit 1) avoids by running them one after
another; here they run without the pool to show what the lock does. Reported: wall time of one
alone, of four at once, their ratio (1.0 = perfect overlap, 4.0 = fully serialized), and lock
errors (failed runs, or "lock"/"conflict" in a run's output). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

RECIPES = 4
ENV = "bench"


def write_project(work: Path, feature_rows: int, spine_rows: int) -> None:
    import duckdb
    import yaml

    for sub in ("config", "recipes/sources", "recipes/features", "data"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    (work / "config" / "base.yaml").write_text(yaml.safe_dump({"data_dir": str(work / "store")}))
    with duckdb.connect() as conn:
        for i in range(RECIPES):
            entities = max(10, feature_rows // 100)
            conn.execute(
                f"COPY (SELECT 'u' || (n % {entities}) AS user_id, TIMESTAMP '2024-01-01' + to_seconds(n * 37 % (365 * 86400)) AS t, "
                f"(hash(n, {i}) % 1000) / 10.0 AS f1, (hash(n, {i}, 2) % 1000) / 10.0 AS f2 FROM range({feature_rows}) r(n)) "
                f"TO '{work}/data/feats_{i}.parquet' (FORMAT parquet)")
            conn.execute(
                f"COPY (SELECT n AS event_id, 'u' || (hash(n, 'e', {i}) % {entities}) AS user_id, "
                f"TIMESTAMP '2024-01-01' + to_seconds(hash(n, 't') % (365 * 86400)) AS event_time, (hash(n, 'y') % 7 = 0)::INTEGER AS label "
                f"FROM range({spine_rows}) r(n)) TO '{work}/data/spine_{i}.parquet' (FORMAT parquet)")
    for i in range(RECIPES):
        documents = {
            f"sources/feats_{i}.yaml": {"name": f"feats_{i}", "description": "features", "owner": "team:bench", "path": f"data/feats_{i}.parquet"},
            f"sources/spine_{i}.yaml": {"name": f"spine_{i}", "description": "events", "owner": "team:bench", "path": f"data/spine_{i}.parquet"},
            f"features/view_{i}.yaml": {"name": f"view_{i}", "description": "features", "owner": "team:bench", "entity": "user_id",
                                        "timestamp": "t", "ttl": "30d", "source": f"feats_{i}"},
            f"r{i}.yaml": {"name": f"r{i}", "description": "bench", "owner": "team:bench", "task": "classification",
                           "spine": {"source": f"spine_{i}", "entity": "user_id", "timestamp": "event_time", "label": "label"},
                           "features": [{"view": f"view_{i}"}], "split": {"strategy": "temporal"},
                           "model": {"class_path": "sklearn.linear_model.LogisticRegression"}, "tuning": {"metric": "roc_auc"}},
        }
        for name, document in documents.items():
            (work / "recipes" / name).write_text(yaml.safe_dump(document))


def use_store(work: Path, store: str, catalog_url: str | None, phase: str) -> None:
    """config/bench.yaml for a fresh store: a new DuckDB file, or DuckLake on a new catalog database and data path."""
    import yaml

    if store == "ducklake":
        overlay = {"feature_store": {"kind": "ducklake", "ducklake": {"catalog_url": "${MMP_DUCKLAKE_CATALOG_URL}",
                                                                       "data_path": str(work / "lake" / phase)}}}
    else:
        overlay = {"duckdb": {"path": str(work / "duckdb" / phase / "mmp.duckdb")}}
    (work / "config" / f"{ENV}.yaml").write_text(yaml.safe_dump(overlay))


def child(work: Path, recipe: str) -> None:
    """One recipe's view and training set, materialized through Dagster with the environment's resources."""
    import dagster as dg

    from mmp_assets import keys
    from mmp_assets.feature_store import build_feature_store_assets, build_training_set_assets
    from mmp_assets.recipes import load_recipes
    from mmp_resources import build_resources, load_config

    recipes, config = load_recipes(work), load_config(work, ENV)
    model = recipes.models[recipe]
    assets = build_feature_store_assets(recipes, config, work) + build_training_set_assets(model, recipes, config, work)
    selection = [keys.view_key(ref.view) for ref in model.features] + [keys.recipe_key(recipe, "training_set")]
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(assets, instance=instance, resources=build_resources(config, work), selection=selection, raise_on_error=False)
    if not result.success:
        failures = [e.event_specific_data.error.message.splitlines()[0] for e in result.all_events if e.is_step_failure]
        raise SystemExit(f"{recipe}: run failed: {'; '.join(failures)}")


def materialize_at_once(work: Path, recipes: list[str], env: dict[str, str]) -> tuple[float, int, list[str]]:
    """(wall seconds, lock errors, failure lines) for `recipes` started together."""
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, "--child", r, "--work", str(work)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in recipes]
    outputs = [p.communicate(timeout=3600) for p in procs]
    seconds = time.perf_counter() - started
    failed = [f"{r}: {err.strip().splitlines()[-1] if err.strip() else 'exit ' + str(p.returncode)}"
              for r, p, (_, err) in zip(recipes, procs, outputs) if p.returncode != 0]
    lock_errors = sum(1 for p, (out, err) in zip(procs, outputs)
                      if p.returncode != 0 or any(w in (out + err).lower() for w in ("could not set lock", "conflict")))
    return seconds, lock_errors, failed


def run_store(work: Path, store: str) -> dict:
    from mmp_resources.postgres import create_database, drop_database
    from mmp_resources.sandbox import PG_SERVER

    env = dict(os.environ, MMP_ENV=ENV, MMP_PROJECT_DIR=str(work))
    results = {}
    for phase, recipes in (("alone", ["r0"]), ("four", [f"r{i}" for i in range(RECIPES)])):
        url = f"{PG_SERVER}/mmp_bench{uuid.uuid4().hex[:10]}_lake" if store == "ducklake" else None
        use_store(work, store, url, phase)
        try:
            if url is not None:
                create_database(url)
                env["MMP_DUCKLAKE_CATALOG_URL"] = url
                # the lake and its catalog tables exist before the race (as after `mmp services up` and any first run)
                subprocess.run([sys.executable, "-c", "from mmp_resources import FeatureStoreResource as F\n"
                                "from mmp_assets.feature_store.catalog import ensure_catalog\n"
                                f"with F(project_dir={str(work)!r}, env={ENV!r}).connect() as c: ensure_catalog(c)"],
                               env=env, check=True, cwd=Path(__file__).resolve().parents[1])
            results[phase] = materialize_at_once(work, recipes, env)
        finally:
            if url is not None:
                drop_database(url)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="ducklake,duckdb", help="Comma-separated: ducklake, duckdb.")
    parser.add_argument("--feature-rows", type=int, default=200_000, help="Feature rows per recipe.")
    parser.add_argument("--spine-rows", type=int, default=20_000, help="Spine rows per recipe.")
    parser.add_argument("--work", default=None, help="Scratch folder (default: a temporary one).")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(Path(args.work), args.child)
    work = Path(args.work or tempfile.mkdtemp(prefix="mmp-bench-conc-"))
    write_project(work, args.feature_rows, args.spine_rows)
    print(f"{RECIPES} recipes, each {args.feature_rows:,} feature rows x {args.spine_rows:,} spine rows; "
          f"one Dagster materialization (view + training set) per process; {os.cpu_count()} CPUs")
    for store in args.stores.split(","):
        r = run_store(work, store)
        (alone, _, alone_failed), (four, errors, failed) = r["alone"], r["four"]
        print(f"  {store:<9} one alone {alone:7.2f} s   four at once {four:7.2f} s   ratio {four / alone:5.2f}   "
              f"lock errors {errors}   failed runs {len(failed) + len(alone_failed)}")
        for line in alone_failed + failed:
            print(f"    {line[:300]}")


if __name__ == "__main__":
    main()
