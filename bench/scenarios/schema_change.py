"""The schema-change scenario on the full demo: materialize everything, add a nullable column to
`user_snapshots`, tick the automation, run what it requests, and audit the new model version.

    .venv/bin/python bench/scenarios/schema_change.py [--keep DIR]

Expected: `features/user_profile` refreshes; `fraud` (reads every user_profile column) retrains;
`spend` (reads four named columns) does not; the new fraud version's audit is verified.
Prints the wall time of each phase. Uses a throwaway copy of config/ and recipes/ (or --keep DIR).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _phase(name: str, started: float) -> float:
    now = time.perf_counter()
    print(f"[{now - started:7.1f}s] {name}", flush=True)
    return now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", default=None, help="project folder to build in and keep (default: a temp dir)")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="mmp-schema-change-")) / "project"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "recipes", root / "recipes")
    os.environ.update(MMP_PROJECT_DIR=str(root), MMP_DATA_DIR=str(root / ".mmp"))
    os.environ.pop("MMP_ENV", None)

    import dagster as dg
    import pandas as pd

    from mmp_assets.audit.lineage import audit_model_version
    from mmp_assets.cli.instance import use_instance_home
    from mmp_assets.definitions import build_definitions
    from mmp_assets.demo import write_demo_data
    from mmp_assets.recipes import load_recipes
    from mmp_resources import build_resources, load_config

    started = time.perf_counter()
    write_demo_data(root)
    use_instance_home(root)
    defs = build_definitions()
    resources = build_resources(load_config(root), root)
    client = resources["mlflow"].client()
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    sensor = defs.resolve_sensor_def("schema_change_sensor")
    versions = lambda: {r: sorted(int(v.version) for v in client.search_model_versions(f"name = '{r}'")) for r in ("fraud", "spend")}  # noqa: E731
    with dg.DagsterInstance.get() as instance:
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        everything = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
        assert job.execute_in_process(instance=instance, asset_selection=everything, raise_on_error=False).success
        t = _phase(f"demo materialized; model versions {versions()}", started)
        baseline = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
        conditions = dg.evaluate_automation_conditions(defs=defs, instance=instance)

        path = root / "data" / "demo" / "user_snapshots.parquet"
        frame = pd.read_parquet(path)
        frame["loyalty_tier"] = pd.Series(["gold", "silver", None], dtype="string").sample(len(frame), replace=True, random_state=0).to_numpy()
        frame.to_parquet(path, index=False)
        assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
        tick = sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=baseline.cursor))
        refreshed = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=conditions.cursor)
        views = sorted(k.to_user_string() for k in graph.get_all_asset_keys() if refreshed.get_num_requested(k))
        t = _phase(f"schema change observed; sensor requests {[r.tags for r in tick.run_requests]}; views refreshed {views}", t)
        for request in tick.run_requests:
            run = job.execute_in_process(instance=instance, asset_selection=list(request.asset_selection), tags=request.tags,
                                         raise_on_error=False)
            t = _phase(f"run {request.tags} {'succeeded' if run.success else 'FAILED'}", t)
        after = versions()
        report = audit_model_version("fraud", None if not after["fraud"] else after["fraud"][-1], feature_store=resources["feature_store"],
                                     mlflow=resources["mlflow"], instance=instance, recipes=load_recipes(root))
        _phase(f"model versions now {after}; audit of fraud v{report.version}: {report.verdict} {report.problems()}", t)
    ok = [r.tags["mmp/recipe"] for r in tick.run_requests] == ["fraud"] and after["spend"] == [1] and report.complete
    print(f"total {time.perf_counter() - started:.1f}s; scenario {'as expected' if ok else 'NOT as expected'}; project in {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
