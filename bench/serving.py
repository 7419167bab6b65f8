"""Serving benchmark: `mmp serve <recipe>` in the embedded default, before (plain pyfunc) and after (fast path).

    .venv/bin/python bench/serving.py [--recipe fraud] [--requests 2000] [--clients 4] [--time-limit 30]

Setup (not timed): a throwaway data dir (or --data-dir, reused when it already holds a model), the
demo data, the recipe's feature views and training set materialized through Dagster, a model tuned and
registered with `mmp tune --trials N`. Then two `mmp serve` processes run on loopback with features
from the offline store, one per scoring path, and keep-alive clients send requests built from the
newest rows of the recipe's scoring source. Latency (one client, one row per request) alternates
between the two servers so both see the same load on a shared machine, then runs against one server
at a time; throughput (N clients, one row and --batch rows per request) runs one server at a time.
In this process, round robin over the same rows already joined, the bench times the bare model: the
fitted Pipeline's predict + predict_proba (what the pyfunc runs underneath), the innermost estimator on
preprocessed rows, the pyfunc's plain `predict` and `predict_frame`, the compiled fast path the server
uses, and that path with the feature lookup in front; the ratios put the serving overhead beside them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
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
    """Demo data, the training set (and its views) via Dagster, a registered model via `mmp tune`."""
    import dagster as dg

    from mmp_assets.cli.main import main as mmp
    from mmp_assets.definitions import build_definitions
    from mmp_assets.keys import recipe_key

    assert mmp(["demo-data"]) == 0
    defs = build_definitions()
    selection = dg.AssetSelection.assets(recipe_key(recipe_name, "training_set")).upstream()
    with dg.instance_for_test() as instance:
        assert dg.materialize(list(defs.assets), resources=defs.resources, instance=instance, selection=selection).success
    assert mmp(["tune", "--recipe", recipe_name, "--trials", str(trials), "--no-progress"]) == 0


def request_rows(recipe_name: str, limit: int) -> list[dict]:
    """The newest rows of the recipe's scoring source, shaped as `/predict` rows (ids, request-time fields, event
    time): newer than the views' last snapshot, so the store's latest values are the point-in-time ones."""
    import duckdb

    from mmp_assets.recipes import load_recipes

    recipes = load_recipes(ROOT)
    recipe = recipes.models[recipe_name]
    source = recipes.sources[recipe.monitoring.scoring_source or recipe.spine.source]
    keys = list(dict.fromkeys([*recipe.spine.entity, *(k for ref in recipe.features for k in (ref.on or []))]))
    columns = [*keys, *recipe.spine.columns, recipe.spine.timestamp]
    frame = duckdb.sql(f"SELECT {', '.join(columns)} FROM '{ROOT / source.path}' ORDER BY {recipe.spine.timestamp} DESC LIMIT {limit}").df()
    frame[recipe.spine.timestamp] = frame[recipe.spine.timestamp].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return json.loads(frame.to_json(orient="records"))


def serve(recipe_name: str, port: int, *flags: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "mmp_assets.cli.main", "serve", recipe_name, "--port", str(port),
                                "--reload-interval", "0", *flags],
                               cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mmp serve exited: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("mmp serve did not become ready within 180 s")


def load(port: int, rows: list[dict], total: int, clients: int, batch: int, time_limit: float) -> tuple[list[float], float, int, int]:
    """(latencies in s, wall time, rows scored, non-200 count): `clients` keep-alive clients share `total` requests."""
    latencies: list[float] = []
    errors, scored = [0], [0]
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
            body = json.dumps({"rows": [rows[(i * batch + j) % len(rows)] for j in range(batch)]})
            start = time.perf_counter()
            conn.request("POST", "/predict", body=body, headers={"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            with lock:
                if response.status == 200:
                    scored[0] += batch
                else:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies, time.perf_counter() - began, scored[0], errors[0]


def alternate(ports: dict[str, int], rows: list[dict], total: int, time_limit: float) -> dict[str, tuple[list[float], float, int, int]]:
    """One client, one row per request, alternating between the servers so both see the same machine load."""
    conns = {label: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for label, port in ports.items()}
    latencies: dict[str, list[float]] = {label: [] for label in ports}
    errors = dict.fromkeys(ports, 0)
    stop_at = time.monotonic() + time_limit
    for i in range(total):
        if time.monotonic() > stop_at:
            break
        body = json.dumps({"rows": [rows[i % len(rows)]]})
        for label, conn in conns.items():
            start = time.perf_counter()
            conn.request("POST", "/predict", body=body, headers={"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            latencies[label].append(time.perf_counter() - start)
            errors[label] += response.status != 200
    for conn in conns.values():
        conn.close()
    return {label: (found, sum(found), len(found), errors[label]) for label, found in latencies.items()}


def bare(recipe_name: str, rows: list[dict], total: int) -> dict[str, list[float]]:
    """In this process, one row per call on the same rows joined beforehand (the join not timed)."""
    import mlflow

    from mmp_assets.recipes import load_recipes
    from mmp_assets.registry.versions import first_version
    from mmp_assets.serving import feature_source, load_served_model
    from mmp_assets.training.pipeline import base_estimator
    from mmp_resources import MlflowResource

    recipes = load_recipes(ROOT)
    client = MlflowResource(project_dir=str(ROOT), env="base").client()
    served = load_served_model(client, recipe_name)
    _, version = first_version(client, recipe_name)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{recipe_name}/{version.version}")
    pipeline = pyfunc.unwrap_python_model().pipeline
    features = feature_source(ROOT, "base", recipes.models[recipe_name], recipes)
    singles, columns, cleaned = [], [], []
    for row in rows:
        clean = {k: v for k, v in row.items() if v is not None}
        cleaned.append([clean])
        columns.append(features.frame([clean]).columns)
        singles.append(served.input_frame(columns[-1], 1))
    preprocessed = [pipeline[:-1].transform(X) for X in singles]
    estimator = base_estimator(pipeline)
    predict_frame = pyfunc.unwrap_python_model().predict_frame
    if served.fast_kind != "compiled":
        raise RuntimeError(f"models:/{recipe_name}/{version.version}: the fast path did not compile ({served.fast_kind}); see docs/serving.md")
    paths = {
        "estimator.predict_proba, preprocessed": lambda i: estimator.predict_proba(preprocessed[i]),
        "Pipeline.predict + predict_proba": lambda i: (pipeline.predict(singles[i]), pipeline.predict_proba(singles[i])),
        "pyfunc.predict (plain path)": lambda i: pyfunc.predict(singles[i]),
        "pyfunc.predict_frame (frame path)": lambda i: predict_frame(singles[i]),
        "compiled fast path (columns in, outputs out)": lambda i: served.fast(columns[i], 1),
        "server's work: feature lookup + compiled path": lambda i: served.predict_columns(features.frame(cleaned[i]).columns, 1),
    }
    out: dict[str, list[float]] = {name: [] for name in paths}
    for i in range(20 + total):  # round robin, so every path sees the same machine load; 20 warm-up rounds
        for name, call in paths.items():
            start = time.perf_counter()
            call(i % len(singles))
            if i >= 20:
                out[name].append(time.perf_counter() - start)
    return out


def row(name: str, latencies: list[float], rows_per_s: float | None = None) -> str:
    ms = np.array(latencies) * 1000
    rate = f"{rows_per_s:>10.0f}" if rows_per_s is not None else f"{'':>10}"
    p10, p50, p99 = np.percentile(ms, [10, 50, 99])
    return f"{name:<60} {len(ms):>6} {p10:>8.2f} {p50:>8.2f} {p99:>8.2f} {rate}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="fraud")
    parser.add_argument("--requests", type=int, default=2000, help="requests per measured phase")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=10, help="rows per request in the batched throughput phase")
    parser.add_argument("--time-limit", type=float, default=30, help="seconds per measured phase")
    parser.add_argument("--trials", type=int, default=2, help="tuning trials for the model served")
    parser.add_argument("--data-dir", type=Path, help="keep the setup here and reuse it on the next run (default: a temporary dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mmp-bench-serving-") as tmp:
        data_dir = (args.data_dir or Path(tmp) / "data").resolve()
        os.environ.update(MMP_PROJECT_DIR=str(ROOT), MMP_DATA_DIR=str(data_dir))
        os.environ.pop("MMP_ENV", None)
        began = time.perf_counter()
        if not (data_dir / "mlflow.db").exists():
            setup(args.recipe, args.trials)
        rows = request_rows(args.recipe, 500)
        print(f"setup (demo data, training set, {args.trials}-trial tune, unless reused): {time.perf_counter() - began:.0f} s", flush=True)
        servers = {"before (plain pyfunc)": ("--no-fast-path",), "after (fast path)": ()}
        ports = {label: free_port() for label in servers}
        processes = [serve(args.recipe, ports[label], *flags) for label, flags in servers.items()]
        results: dict[str, dict] = {label: {} for label in servers}
        try:
            for port in ports.values():
                load(port, rows, 100, 1, 1, 30)  # warm-up: first requests pay for lazy imports
            for label, found in alternate(ports, rows, args.requests, args.time_limit).items():
                results[label]["1 client, 1 row/request"] = found
            for label, port in ports.items():
                # the same, one server at a time: no request of the other server's still finishing on the same cores
                results[label]["1 client alone, 1 row/request"] = load(port, rows, args.requests, 1, 1, args.time_limit)
                results[label][f"{args.clients} clients, 1 row/request"] = load(port, rows, args.requests, args.clients, 1, args.time_limit)
                results[label][f"{args.clients} clients, {args.batch} rows/request"] = load(
                    port, rows, args.requests, args.clients, args.batch, args.time_limit
                )
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        in_process = bare(args.recipe, rows, min(args.requests, 1000))

    errors = sum(e for phases in results.values() for *_, e in phases.values())
    print(f"\n{args.recipe}: {len(rows)} distinct rows from the scoring source, features from the offline store; "
          f"{errors} non-200; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'':<60} {'n':>6} {'p10 ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'rows/s':>10}")
    for label, phases in results.items():
        for phase, (latencies, wall, scored, _) in phases.items():
            print(row(f"mmp serve {label}: {phase}", latencies, None if phase.startswith("1 client") else scored / wall))
    for name, latencies in in_process.items():
        print(row(f"in process: {name}", latencies))
    bare_p50 = {name: np.percentile(in_process[name], 50) for name in ("Pipeline.predict + predict_proba", "estimator.predict_proba, preprocessed")}
    compiled = np.percentile(in_process["compiled fast path (columns in, outputs out)"], 50)
    estimator_p50 = bare_p50["estimator.predict_proba, preprocessed"]
    print(f"in process, one row p50: compiled fast path {compiled * 1000:.3f} ms = {compiled / estimator_p50:.2f}x the estimator's own "
          f"predict_proba ({estimator_p50 * 1000:.3f} ms)")
    for label, phases in results.items():
        p50 = np.percentile(phases["1 client, 1 row/request"][0], 50)
        print(f"{label}: one-row p50 over HTTP {p50 * 1000:.2f} ms = " + ", ".join(
            f"{p50 / base:.2f}x {name} ({base * 1000:.2f} ms)" for name, base in bare_p50.items()
        ))  # fmt: skip
    b = results["before (plain pyfunc)"]["1 client, 1 row/request"][0]
    a = results["after (fast path)"]["1 client, 1 row/request"][0]
    print(f"after/before, one row, 1 client: p50 {np.percentile(a, 50) / np.percentile(b, 50):.2f}x, "
          f"p99 {np.percentile(a, 99) / np.percentile(b, 99):.2f}x")  # fmt: skip
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
