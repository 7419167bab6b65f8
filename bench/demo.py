"""What a demo run costs: wall time, per-step overhead, and the bare libraries' share, all from ONE run.

    .venv/bin/python bench/demo.py [--quick] [--trials N] [--save results.json] [--compare before.json]

Runs `mmp demo`'s materialization (`materialize_selection("*")`, the same call `mmp demo` makes) on a
fresh copy of config/ and recipes/ under a temp dir, with a `ci` overlay capping the search at
`--trials` (2; `--quick`: 1) trials. Code, config and recipes are all those of the checkout `mmp_assets`
is imported from, so another checkout's run is its own demo: `PYTHONPATH=/other/checkout` (same lock), or
that checkout's venv (`/other/checkout/.venv/bin/python bench/demo.py`; 8bf2190 of Nov 2026 runs so). Prints:

- wall: seconds of `use_instance_home` (the instance home and, since Nov 2026, the creation of the
  fresh SQLite stores: Dagster's, MLflow's, Optuna's, which older code created inside the run, at their
  first use) plus `materialize_selection("*")` (observe sources + the asset run); `stores`: the first
  part, `definitions`: the part spent in `build_definitions()`; CPU: this process's CPU seconds over the
  same span (every thread), the steadier figure on a shared machine. Dagster, MLflow and the libraries
  timed below are imported before the span starts, so their import time is in neither figure (a cold
  `mmp demo` pays it once).
- per step: `overhead` = seconds from the step's STEP_START event to its first bare-library call
  (below), and `tail` = from its last bare-library call's end to STEP_SUCCESS. Steps with no library
  call (a prompt evaluation, an observation) show their whole duration as overhead.
- baseline, measured in the same run: seconds spent INSIDE the bare libraries' calls that do the
  work, counted once when nested: DuckDB `execute`/`sql` on a connection, CatBoost and scikit-learn
  `fit`/`predict`/`predict_proba`/`transform` (sklearn's Pipeline and every estimator), every
  `sklearn.metrics` function (the metrics and their bootstrap intervals), Optuna's sampler suggesting
  values, Evidently's `Report.run`, SHAP's explainers. The figure printed is wall / baseline: what mmp,
  Dagster and MLflow bookkeeping cost on top of the same work. It leaves out work with no single
  library call to time (pandas glue, numpy, the report's HTML and plots, MLflow logging, imports), so
  the ratio is an upper bound of the overhead factor.
- results: each training set's `mmp/content_hash`, each model's best score/params/threshold, each
  evaluation's test metrics and each backtest table. `--save` writes them (and the timings) as JSON; `--compare` fails (exit 1)
  when they differ from a saved run: a speed-up must not change what is trained.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

_calls: list[tuple[float, float, str]] = []  # (start, end, what) of each outermost library call
_depth = threading.local()


def _timed(owner, name: str, label: str) -> None:
    """Wrap owner.name so its outermost calls are recorded in `_calls` (wall clock, like Dagster's events)."""
    original = owner.__dict__.get(name)
    # plain functions and DuckDB's native methods (pybind11's instancemethod in 1.x, nanobind's nb_method in 2.0)
    # only: sklearn's `available_if` descriptors are left alone
    native = type(original).__name__ in ("instancemethod", "nb_method")
    if not (inspect.isfunction(original) or native) or getattr(original, "_bench_wrapped", False):
        return

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        depth = getattr(_depth, "n", 0)
        _depth.n = depth + 1
        start = time.time()
        try:
            return original(*args, **kwargs)
        finally:
            _depth.n = depth
            if depth == 0:
                _calls.append((start, time.time(), label))

    wrapper._bench_wrapped = True
    setattr(owner, name, wrapper)


def _instrument() -> None:
    """Time the bare libraries' work calls. Imports them here: this adds their import time to neither side."""
    import catboost
    import dagster  # noqa: F401  imported here for the same reason: older code imported it, and MLflow, inside the run
    import duckdb
    import mlflow  # noqa: F401
    import optuna
    import shap
    import sklearn.base
    from evidently import Report
    from sklearn.utils import all_estimators

    for method in ("execute", "sql"):
        _timed(duckdb.DuckDBPyConnection, method, "duckdb")
    for cls in (catboost.CatBoost, catboost.CatBoostClassifier, catboost.CatBoostRegressor):
        for method in ("fit", "predict", "predict_proba"):
            _timed(cls, method, "catboost")
    import sklearn.pipeline

    estimators = [cls for _, cls in all_estimators()] + [sklearn.pipeline.Pipeline]
    for cls in estimators:
        for method in ("fit", "predict", "predict_proba", "transform", "fit_transform"):
            if issubclass(cls, sklearn.base.BaseEstimator):
                _timed(cls, method, "sklearn")
    for name in ("suggest_float", "suggest_int", "suggest_categorical"):
        _timed(optuna.trial.Trial, name, "optuna")
    import sklearn.metrics

    for name in sklearn.metrics.__all__:  # looked up on the module at each call: mmp's metrics go through these
        if inspect.isfunction(getattr(sklearn.metrics, name)):
            _timed(sklearn.metrics, name, "sklearn.metrics")
    _timed(Report, "run", "evidently")
    for explainer in (shap.TreeExplainer, shap.Explainer):
        _timed(explainer, "__call__", "shap")
        _timed(explainer, "shap_values", "shap")


def _checkout() -> Path:
    """The checkout whose code runs (PYTHONPATH, or the venv's editable install): its config and recipes go with it."""
    import mmp_assets

    return Path(mmp_assets.__file__).resolve().parent.parent


def _project(trials: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="mmp_bench_demo_")) / "project"
    checkout = _checkout()
    shutil.copytree(checkout / "config", root / "config")
    shutil.copytree(checkout / "recipes", root / "recipes")
    (root / "config" / "ci.yaml").write_text(f"hpo:\n  max_trials: {trials}\n  max_timeout_s: 600\n")
    os.environ.update(MMP_PROJECT_DIR=str(root), MMP_DATA_DIR=str(root / ".mmp"), MMP_ENV="ci", DAGSTER_HOME="")
    return root


def _steps(instance, run_ids: list[str]) -> list[dict]:
    """Per step of the runs: start, end, first and last library call, library seconds inside it."""
    import dagster as dg

    out = []
    for run_id in run_ids:
        starts: dict[str, float] = {}
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event is None or not record.step_key:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                starts[record.step_key] = record.timestamp
            elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                start, end = starts[record.step_key], record.timestamp
                inside = [c for c in _calls if start <= c[0] and c[1] <= end]
                out.append({
                    "step": record.step_key, "seconds": end - start,
                    "overhead": (inside[0][0] if inside else end) - start,
                    "tail": (end - inside[-1][1]) if inside else 0.0,
                    "library": sum(c[1] - c[0] for c in inside),
                })
    return out


def _results(instance, root: Path) -> dict:
    """What the run produced that a speed-up must not change."""
    import dagster as dg

    from mmp_assets.recipes import load_recipes

    wanted = {"training_set": ("mmp/content_hash", "dagster/row_count"),
              "model": ("best_score", "best_params", "decision_threshold", "trials_complete"),
              "evaluation": None}
    out = {}
    for name in sorted(load_recipes(root).models):
        for stage, fields in wanted.items():
            event = instance.get_latest_materialization_event(dg.AssetKey([name, stage]))
            meta = event.asset_materialization.metadata if event else {}
            keys = fields or [k for k in meta if k.startswith("test_")]
            out[f"{name}/{stage}"] = {k: _plain(meta[k].value) for k in keys if k in meta}
    return out


def _plain(value):
    return value if isinstance(value, (int, float, str, bool, dict, list)) or value is None else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one trial per search instead of two")
    parser.add_argument("--trials", type=int, default=None, help="hpo.max_trials of the ci overlay (default 2, --quick 1)")
    parser.add_argument("--save", type=Path, help="write timings and results as JSON here")
    parser.add_argument("--compare", type=Path, help="a --save file: exit 1 when this run's results differ from it")
    args = parser.parse_args()
    trials = args.trials or (1 if args.quick else 2)

    root = _project(trials)
    print(f"code, config and recipes of {_checkout()}")
    try:
        from mmp_assets.cli.instance import use_instance_home
    except ImportError:  # before Nov 2026's restructure (8bf2190) it lived beside `mmp demo`
        from mmp_assets.cli.demo import use_instance_home
    from mmp_assets.demo import write_demo_data

    write_demo_data(root)
    _instrument()
    import dagster as dg

    import mmp_assets.cli.materialize as materialize
    from mmp_assets import definitions

    spent = {"definitions": 0.0}
    build = definitions.build_definitions

    def timed_build():
        started = time.perf_counter()
        try:
            return build()
        finally:
            spent["definitions"] += time.perf_counter() - started

    definitions.build_definitions = timed_build
    import mmp_assets.evaluation.report as report

    replay = report.replay

    def kept_replay(frame, **kwargs):  # each backtest table, a result like any other
        table = replay(frame, **kwargs)
        spent.setdefault("backtests", []).append(json.loads(table.to_json(orient="records", date_format="iso")))
        return table

    report.replay = kept_replay
    started, cpu_started = time.perf_counter(), time.process_time()
    home = use_instance_home(root)
    spent["stores"], spent["stores_cpu"] = time.perf_counter() - started, time.process_time() - cpu_started
    code = materialize.materialize_selection("*")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    definitions.build_definitions = build
    if code != 0:
        print(f"the demo run failed (exit {code})", file=sys.stderr)
        return 1

    instance = dg.DagsterInstance.from_config(str(home))
    runs = sorted(instance.get_run_records(), key=lambda r: r.create_timestamp)
    steps = _steps(instance, [r.dagster_run.run_id for r in runs])
    results = _results(instance, root) | {"backtests": spent.pop("backtests", [])}
    instance.dispose()
    library = sum(c[1] - c[0] for c in _calls)
    by_library: dict[str, float] = {}
    for start, end, label in _calls:
        by_library[label] = by_library.get(label, 0.0) + end - start

    print(f"\n{'step':<52} {'seconds':>8} {'overhead':>9} {'tail':>6} {'library':>8}")
    for step in steps:
        print(f"{step['step']:<52} {step['seconds']:8.2f} {step['overhead']:9.2f} {step['tail']:6.2f} {step['library']:8.2f}")
    overhead = sum(s["overhead"] for s in steps)
    tail = sum(s["tail"] for s in steps)
    print(f"\ntrials per search: {trials}; steps: {len(steps)}")
    print(f"wall (use_instance_home + materialize_selection): {wall:.1f}s, of which instance home and stores "
          f"{spent['stores']:.2f}s, build_definitions {spent['definitions']:.2f}s; "
          f"CPU (this process, every thread): {cpu:.1f}s")
    print(f"per-step overhead (STEP_START -> first library call): {overhead:.1f}s summed, "
          f"{overhead / max(len(steps), 1):.2f}s mean; tails (last call -> STEP_SUCCESS) {tail:.1f}s")
    print(f"baseline (bare library calls): {library:.1f}s "
          f"({', '.join(f'{k} {v:.1f}s' for k, v in sorted(by_library.items(), key=lambda kv: -kv[1]))})")
    print(f"ratio wall / baseline: {wall / library:.2f}")
    print("results: " + json.dumps(results, sort_keys=True))

    summary = {"trials": trials, "wall": wall, "cpu": cpu, "definitions": spent["definitions"], "stores": spent["stores"],
               "stores_cpu": spent["stores_cpu"], "overhead": overhead,
               "tail": tail, "library": library, "by_library": by_library, "steps": steps, "results": results}
    if args.save:
        args.save.write_text(json.dumps(summary, indent=2, sort_keys=True))
    if args.compare:
        before = json.loads(args.compare.read_text())
        if before["results"] != json.loads(json.dumps(results)):
            print(f"results DIFFER from {args.compare}", file=sys.stderr)
            return 1
        print(f"results identical to {args.compare}; wall {wall:.1f}s vs {before['wall']:.1f}s "
              f"= {wall / before['wall']:.0%} of before; CPU {cpu:.1f}s vs {before['cpu']:.1f}s = {cpu / before['cpu']:.0%}")
    shutil.rmtree(root.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
