"""`mmp demo-data`, `mmp demo` (generate data, validate, materialize every demo asset) and `mmp dev` (the UI)."""

from __future__ import annotations

import argparse
import os
import sys
import time



def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("demo-data", help="write the deterministic demo dataset to data/demo/")
    data.add_argument("--force", action="store_true", help="regenerate even when the files are current")
    data.set_defaults(func=run_demo_data)
    demo = sub.add_parser("demo", help="generate the demo data, validate, and materialize every asset end to end")
    demo.add_argument("--select", default="*", help="Dagster asset selection to materialize (default: everything)")
    demo.set_defaults(func=run_demo)
    dev = sub.add_parser("dev", help="start the Dagster UI (dagster dev) on this environment's instance")
    dev.add_argument("--port", default="3000")
    dev.set_defaults(func=run_dev)


def run_demo_data(args: argparse.Namespace) -> int:
    from mmp_assets.demo import write_demo_data
    from mmp_resources import MmpValidationError, load_config, project_root
    from mmp_resources.instance import ensure_instance_home

    started = time.perf_counter()
    root = project_root()
    paths = write_demo_data(root, force=args.force)
    try:  # the instance home too, so `dagster ...` run next with DAGSTER_HOME exported shares mmp's instance
        ensure_instance_home(load_config(root), root)
    except MmpValidationError:
        pass  # a broken config is for `mmp validate` to report; the demo data is written either way
    for name, path in paths.items():
        print(f"{name}: {path}")
    print(f"demo data ready in {time.perf_counter() - started:.1f}s")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from mmp_assets.cli.instance import use_instance_home
    from mmp_assets.cli.materialize import materialize_selection
    from mmp_assets.cli.validate import collect_problems
    from mmp_resources import project_root

    root = project_root()
    run_demo_data(argparse.Namespace(force=False))
    problems, _ = collect_problems()
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    home = use_instance_home(root)
    print(f"Dagster instance: {home}")
    return materialize_selection(args.select)


def run_dev(args: argparse.Namespace) -> int:
    from mmp_assets.cli.instance import use_instance_home
    from mmp_assets.cli.supervise import supervise
    from mmp_resources import project_root

    root = project_root()
    home = use_instance_home(root)
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(root / "workspace.yaml"), "-p", str(args.port)]
    # Run from the instance home: dagster dev warns about the root dagster.yaml whenever it starts in a
    # folder holding one that is not DAGSTER_HOME. The project is found through MMP_PROJECT_DIR instead.
    env = {**os.environ, "MMP_PROJECT_DIR": str(root)}
    # SIGTERM or Ctrl-C stops the webserver, the daemon, the code servers and any run they started (exit 0 / 130)
    return supervise(command, cwd=home, env=env)
