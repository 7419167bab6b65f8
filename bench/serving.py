"""Serving benchmark: `mmp serve <recipe>` under a bounded local load, against the bare pyfunc in process.

    .venv/bin/python bench/serving.py [--recipe fraud] [--requests 2000] [--threads 4] [--time-limit 45]

Setup (not timed): a private dev environment on the local PostgreSQL and Redis (dropped afterwards),
the recipe's training set materialized through Dagster, a model tuned and registered with
`mmp tune --trials N`, and the recipe's feature views pushed to Redis. Then `mmp serve` runs as its own
process on loopback, and threads with keep-alive connections send one-row scoring requests built
from the recipe's scoring source until N requests or the time limit. The baseline is the same
pyfunc's `predict` on the same rows, already joined, one row at a time in this process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(recipe_name: str, trials: int) -> None:
    """Training set via Dagster, a registered model via `mmp tune`, latest features in Redis."""
    import dagster as dg

    from mmp_assets.definitions import build_definitions
    from mmp_assets.cli.main import main as mmp
    from mmp_assets.feature_store import resolve_version
    from mmp_assets.keys import recipe_key
    from mmp_assets.online.assets import latest_rows_sql
    from mmp_assets.online.push import push_latest
    from mmp_assets.recipes import load_recipes
    from mmp_resources import FeatureStoreResource, OnlineStoreResource

    defs = build_definitions()
    selection = dg.AssetSelection.assets(recipe_key(recipe_name, "training_set")).upstream()
    with dg.instance_for_test() as instance:
        assert dg.materialize(list(defs.assets), resources=defs.resources, instance=instance, selection=selection).success
    assert mmp(["tune", "--recipe", recipe_name, "--trials", str(trials)]) == 0
    recipes = load_recipes(ROOT)
    store = OnlineStoreResource(project_dir=str(ROOT), env="dev")
    with FeatureStoreResource(project_dir=str(ROOT), env="dev").connect() as conn:
        for ref in recipes.models[recipe_name].features:
            view = recipes.views[ref.view]
            entry = resolve_version(conn, "view", view.name)
            push_latest(store, view, conn.execute(latest_rows_sql(entry.table_name, view)).df(), entry.version)


def request_rows(recipe_name: str, limit: int) -> list[dict]:
    """Rows of the recipe's scoring source, shaped as `/predict` rows (ids, request-time fields, event time)."""
    import duckdb

    from mmp_assets.recipes import load_recipes

    recipes = load_recipes(ROOT)
    recipe = recipes.models[recipe_name]
    source = recipes.sources[recipe.monitoring.scoring_source or recipe.spine.source]
    keys = list(dict.fromkeys([*recipe.spine.entity, *(k for ref in recipe.features for k in (ref.on or []))]))
    columns = [*keys, *recipe.spine.columns, recipe.spine.timestamp]
    frame = duckdb.sql(f"SELECT {', '.join(columns)} FROM '{ROOT / source.path}' ORDER BY 1 LIMIT {limit}").df()
    frame[recipe.spine.timestamp] = frame[recipe.spine.timestamp].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return json.loads(frame.to_json(orient="records"))


def serve(recipe_name: str, port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "mmp_assets.cli.main", "serve", recipe_name, "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mmp serve exited: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("mmp serve did not become healthy within 180 s")


def load(port: int, rows: list[dict], total: int, threads: int, time_limit: float) -> tuple[list[float], float, int]:
    """(latencies in s, wall time, non-200 count): `threads` keep-alive clients share `total` requests."""
    latencies: list[float] = []
    errors = [0]
    counter = iter(range(total))
    lock = threading.Lock()
    stop_at = time.monotonic() + time_limit

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            body = json.dumps({"rows": [rows[i % len(rows)]]})
            start = time.perf_counter()
            conn.request("POST", "/predict", body=body, headers={"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies, time.perf_counter() - began, errors[0]


def baseline(recipe_name: str, rows: list[dict], total: int, time_limit: float) -> tuple[list[float], float]:
    """The bare pyfunc on the same rows, joined beforehand (lookup not timed), one row per call."""
    import mlflow

    from mmp_assets.recipes import load_recipes
    from mmp_assets.serving import OnlineFeatures
    from mmp_resources import MlflowResource, OnlineStoreResource

    recipes = load_recipes(ROOT)
    client = MlflowResource(project_dir=str(ROOT), env="dev").client()
    version = client.get_model_version_by_alias(recipe_name, "candidate").version
    model = mlflow.pyfunc.load_model(f"models:/{recipe_name}/{version}")
    columns = [c.name for c in model.metadata.get_input_schema().inputs]
    features = OnlineFeatures(OnlineStoreResource(project_dir=str(ROOT), env="dev"), recipes.models[recipe_name], recipes)
    frame, _, _ = features.frame(rows)
    frame = frame[columns].astype({c: "float64" for c in columns if frame[c].dtype.kind in "iufb"})
    singles = [frame.iloc[[i]] for i in range(len(frame))]
    latencies, stop_at, began = [], time.monotonic() + time_limit, time.perf_counter()
    for i in range(total):
        if time.monotonic() > stop_at:
            break
        start = time.perf_counter()
        model.predict(singles[i % len(singles)])
        latencies.append(time.perf_counter() - start)
    return latencies, time.perf_counter() - began


def report(name: str, latencies: list[float], wall: float) -> str:
    ms = np.array(latencies) * 1000
    return f"{name:<34} {len(ms):>6} {np.percentile(ms, 50):>9.2f} {np.percentile(ms, 99):>9.2f} {len(ms) / wall:>10.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="fraud")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=45, help="seconds per measured phase")
    parser.add_argument("--trials", type=int, default=3, help="tuning trials for the model served")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()

    from mmp_resources.sandbox import dev_sandbox

    with tempfile.TemporaryDirectory(prefix="mmp-bench-serving-") as tmp, dev_sandbox(Path(tmp) / "data", config_root=ROOT):
        os.environ["MMP_PROJECT_DIR"] = str(ROOT)
        began = time.perf_counter()
        setup(args.recipe, args.trials)
        rows = request_rows(args.recipe, 500)
        print(f"setup (training set, {args.trials}-trial tune, feature push): {time.perf_counter() - began:.0f} s")
        server = serve(args.recipe, args.port, dict(os.environ))
        phases = {}
        try:
            load(args.port, rows, 50, 1, 30)  # warm-up: first requests pay for lazy imports
            # one client measures latency without queueing; several measure throughput (and queueing)
            for threads in dict.fromkeys([1, args.threads]):
                phases[threads] = load(args.port, rows, args.requests, threads, args.time_limit)
        finally:
            server.terminate()
            server.wait(timeout=30)
        base, base_wall = baseline(args.recipe, rows, args.requests, args.time_limit)
    errors = sum(e for _, _, e in phases.values())
    print(f"\n{args.recipe}: one row per request, {len(rows)} distinct rows, {errors} non-200, {os.cpu_count()} CPUs")
    print(f"{'':<34} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>10}")
    for threads, (served, wall, _) in phases.items():
        print(report(f"mmp serve, {threads} client thread(s)", served, wall))
    print(report("bare pyfunc.predict, in process", base, base_wall))
    single = phases[1][0]
    print(f"p50 latency added by serving (HTTP, validation, Redis lookup, JSON), 1 client: "
          f"{(np.percentile(single, 50) - np.percentile(base, 50)) * 1000:.2f} ms "
          f"({np.percentile(single, 50) / np.percentile(base, 50):.2f}x bare predict)")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
