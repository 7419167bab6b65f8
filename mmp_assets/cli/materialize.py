"""Materialize an asset selection in this process, on the persistent instance, and summarise it."""

from __future__ import annotations

import sys
import time

import dagster as dg


def materialize_selection(selection: str = "*", tags: dict[str, str] | None = None) -> int:
    """Run the selected assets (and their checks) as one Dagster run; print one line per step. Exit code."""
    from mmp_assets.definitions import build_definitions

    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    job = defs.resolve_implicit_global_asset_job_def()
    started = time.perf_counter()
    result = job.execute_in_process(
        instance=instance,
        asset_selection=_resolve(defs, selection),
        tags=tags or {},
        raise_on_error=False,
    )
    for event in result.all_events:
        if event.event_type_value in {"STEP_SUCCESS", "STEP_FAILURE"}:
            mark = "ok  " if event.event_type_value == "STEP_SUCCESS" else "FAIL"
            print(f"  {mark} {event.step_key}")
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            status = "pass" if data.passed else "FAIL"
            print(f"  {status} check {data.asset_key.to_user_string()}:{data.check_name}")
    seconds = time.perf_counter() - started
    if result.success:
        print(f"run {result.run_id} succeeded in {seconds:.0f}s")
        return 0
    for failure in result.get_step_failure_events():
        error = failure.event_specific_data.error
        print(f"{failure.step_key}: {error.message.strip() if error else 'failed'}", file=sys.stderr)
    print(f"run {result.run_id} failed after {seconds:.0f}s", file=sys.stderr)
    return 1


def _resolve(defs: dg.Definitions, selection: str) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    keys = dg.AssetSelection.from_string(selection).resolve(graph)
    return sorted(k for k in keys if not k.path[0] == "invalid_recipes" and graph.get(k).is_executable)


def register(sub) -> None:
    parser = sub.add_parser("materialize", help="materialize an asset selection on this environment's instance")
    parser.add_argument("--select", default="*", help="Dagster asset selection, such as 'fraud/model' or '+fraud/evaluation'")
    parser.set_defaults(func=lambda args: _run(args.select))


def _run(selection: str) -> int:
    from mmp_assets.cli.demo import use_instance_home
    from mmp_resources import project_root

    use_instance_home(project_root())
    return materialize_selection(selection)
