"""Materialize an asset selection on the persistent instance, and summarise it: in this process, or on the
environment's executor (Celery workers in dev, a Kubernetes Job per step in prod) when it has one."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Dagster loads when a selection runs, not when `mmp --help` builds the parser
    import dagster as dg

# Dagster's console logger prints every engine event at DEBUG; the UI keeps the full log anyway.
# Dagster's console log stays quiet: mmp prints its own lines (each step, the warnings steps logged, then
# any failure's cause), so a failure's one line leads stderr instead of following a traceback per step.
# The whole log is in the run's event log (the UI, `dagster` CLI) as before.
_QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def materialize_selection(
    selection: str = "*", tags: dict[str, str] | None = None, params: dict | None = None, partition: str | None = None
) -> int:
    """Run the selected assets (and their checks) as one Dagster run; print one line per step. Exit code.
    `params` go to every selected asset that takes template values; `partition` picks a partition."""
    import dagster as dg

    from mmp_assets.definitions import build_definitions

    defs = build_definitions()
    observe, materialize = _resolve(defs, selection)
    from mmp_assets.cli.preflight import executor_problems, identity_problems, partition_problems, unusable_connections

    unusable = unusable_connections(observe) + partition_problems(defs, materialize, partition)
    unusable += identity_problems(defs, materialize)
    if materialize and _distributed():
        unusable += executor_problems()
    if unusable:  # bad input (a missing URL, a partition that does not exist) is said before any run starts
        print("\n".join(unusable), file=sys.stderr)
        return 1
    instance = dg.DagsterInstance.get()
    from mmp_assets.cli.run_owner import owner_tags, reap_dead_runs
    from mmp_assets.cli.slot_wait import SlotWaitNotice

    for reaped in reap_dead_runs(instance):  # a killed run's pool slot would make this run wait for ever
        print(reaped.line(), file=sys.stderr)
    owner = owner_tags()
    tags = (tags or {}) | owner
    started = time.perf_counter()
    if observe:  # sources first, so the run below records their data versions as its inputs
        observed = defs.resolve_job_def("observe_sources").execute_in_process(
            instance=instance, asset_selection=observe, tags=tags, raise_on_error=False, run_config=_QUIET
        )
        _print_steps(observed, instance)
        if not observed.success:
            return _report_failure(observed, started)
    if not materialize:
        print(f"observed {len(observe)} source(s) in {time.perf_counter() - started:.0f}s")
        return 0
    run_config = _QUIET | run_params_config(defs, materialize, params or {})
    if _distributed():  # execute_in_process runs every step here, whatever the executor: hand the run to it instead
        from dagster._core.definitions.reconstruct import ReconstructableRepository

        from mmp_resources import project_root

        # each worker loads the job as `dagster dev -m mmp_assets` does: the code location, by module and name
        code_location = ReconstructableRepository.for_module("mmp_assets", "defs", working_directory=str(project_root()))
        job = code_location.get_reconstructable_job(defs.resolve_implicit_global_asset_job_def().name)
        partition_tag = {"dagster/partition": partition} if partition else {}
        with SlotWaitNotice(instance, owner):
            result = dg.execute_job(job, instance=instance, run_config=run_config, tags=tags | partition_tag,
                                    asset_selection=materialize, raise_on_error=False)
    else:
        with SlotWaitNotice(instance, owner):
            result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
                instance=instance, asset_selection=materialize, tags=tags, raise_on_error=False, partition_key=partition,
                run_config=run_config,
            )
    _print_steps(result, instance)
    if result.success:
        print(f"run {result.run_id} succeeded in {time.perf_counter() - started:.0f}s")
        return 0
    return _report_failure(result, started)


def _distributed() -> bool:
    """Whether this environment's executor runs steps outside this process (Celery workers, Kubernetes Jobs)."""
    from mmp_resources import load_config, project_root

    return load_config(project_root()).dagster.executor.kind != "in_process"


def run_params_config(defs: dg.Definitions, keys: list[dg.AssetKey], params: dict) -> dict:
    """Run config giving `params` to every asset among `keys` whose config takes template values."""
    if not params:
        return {}
    graph = defs.resolve_asset_graph()
    ops = {}
    for key in keys:
        op = graph.get(key).assets_def.op
        fields = getattr(op.config_schema.config_type, "fields", {}) if op.config_schema else {}
        if "params" in fields:
            ops[op.name] = {"config": {"params": params}}
    return {"ops": ops}


def _print_steps(result, instance) -> None:
    import logging

    import dagster as dg

    for record in instance.all_logs(result.run_id):  # what steps warned about, e.g. a drift breach
        if not record.is_dagster_event and logging.WARNING <= record.level < logging.ERROR:
            print(f"  warn {record.step_key}: {record.user_message}")

    for event in result.all_events:
        if event.event_type_value in {"STEP_SUCCESS", "STEP_FAILURE"}:
            mark = "ok  " if event.event_type_value == "STEP_SUCCESS" else "FAIL"
            print(f"  {mark} {event.step_key}")
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            # a non-blocking check at WARN severity (drift) reports, it does not fail the run
            status = "pass" if data.passed else ("warn" if data.severity == dg.AssetCheckSeverity.WARN else "FAIL")
            print(f"  {status} check {data.asset_key.to_user_string()}:{data.check_name}")


def _report_failure(result, started: float) -> int:
    import dagster as dg

    seconds = time.perf_counter() - started
    for event in result.all_events:  # a failed blocking check stops the run: its description is the cause
        data = event.event_specific_data if event.event_type_value == "ASSET_CHECK_EVALUATION" else None
        if data is not None and not data.passed and data.severity == dg.AssetCheckSeverity.ERROR:
            print(f"{data.asset_key.to_user_string()}:{data.check_name}: {data.description}", file=sys.stderr)
    for failure in result.get_step_failure_events():
        print(f"{failure.step_key}: {_error_text(failure.event_specific_data.error)}", file=sys.stderr)
    print(f"run {result.run_id} failed after {seconds:.0f}s", file=sys.stderr)
    return 1


def _error_text(error) -> str:
    """The message mmp raised, not Dagster's wrapper around it nor the exception's class path."""
    if error is None:
        return "failed"
    while error.cause is not None:  # a user-code error is wrapped in DagsterExecutionStepExecutionError
        error = error.cause
    head, _, rest = error.message.strip().partition(": ")
    return rest if rest and head.rsplit(".", 1)[-1] == error.cls_name else error.message.strip()


def _resolve(defs: dg.Definitions, selection: str) -> tuple[list[dg.AssetKey], list[dg.AssetKey]]:
    """(sources to observe, assets to materialize). The sources are those selected plus every one
    upstream of a selected asset: `*` in Dagster's syntax leaves observable sources out."""
    graph = defs.resolve_asset_graph()
    keys = [k for k in _select(graph, selection) if graph.get(k).is_executable]
    materialize = sorted(k for k in keys if graph.get(k).is_materializable)
    seen, todo = set(keys), list(materialize)
    while todo:  # each ancestor once, however many paths lead to it
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen and graph.has(parent):
                seen.add(parent)
                todo.append(parent)
    observe = sorted(k for k in seen if graph.get(k).is_observable)
    return observe, materialize


def _select(graph, selection: str) -> set:
    """The keys a Dagster selection names; a selection Dagster cannot parse or resolve is one line with a
    suggestion (a near key, or the `key:` wildcard form), never Dagster's traceback."""
    import difflib
    import warnings

    import dagster as dg

    from mmp_resources.errors import MmpValidationError, Problem

    try:
        with warnings.catch_warnings():  # `*` resolves through a beta flag that warns on every parse
            warnings.simplefilter("ignore", dg.BetaWarning)
            return dg.AssetSelection.from_string(selection).resolve(graph)
    except Exception as exc:  # DagsterInvalidSubsetError, and the parser's errors are plain Exceptions
        names = sorted(key.to_user_string() for key in graph.get_all_asset_keys())
        bare = selection.strip().strip("+*").strip()
        if selection.strip().endswith("/*"):
            hint = f"for every asset under {bare!r} write key:\"{bare}*\""
        elif close := difflib.get_close_matches(bare, names, n=3, cutoff=0.6):
            hint = "did you mean " + " or ".join(repr(name) for name in close)
        else:
            hint = "use an asset key such as " + repr(names[0]) + ", group:<recipe>, key:\"<prefix>*\", +key (one level up), *key (all upstream)"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "were selected, but no AssetsDefinition" in reason:
            reason = "no such asset"
        raise MmpValidationError([Problem("--select", repr(selection), f"{reason[:120]}; {hint}")]) from None


def register(sub) -> None:
    parser = sub.add_parser("materialize", help="materialize an asset selection on this environment's instance")
    parser.add_argument("--select", default="*", help="Dagster asset selection, such as 'fraud/model', '*fraud/evaluation' (with everything upstream), 'group:fraud' or 'key:\"features/*\"'")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a template value for this run (repeatable), bound in sources, views and spines that use it")
    parser.add_argument("--partition", help="partition key of a partitioned training set, such as 2024-03-01")
    parser.set_defaults(func=lambda args: _run(args.select, args.param, args.partition))


def _run(selection: str, raw_params: list[str], partition: str | None) -> int:
    from mmp_assets.cli.instance import use_instance_home
    from mmp_assets.cli.run_params import check_params_used, parse_params
    from mmp_assets.recipes import load_recipes
    from mmp_resources import project_root

    params = parse_params(raw_params)
    if params:
        check_params_used(params, load_recipes(project_root()))
    use_instance_home(project_root())
    return materialize_selection(selection, params=params, partition=partition)
