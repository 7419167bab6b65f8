"""Benchmark: the same `mmp materialize` in dev with every step in the run's process, and on 2 Celery workers.

    .venv/bin/python bench/celery_steps.py [--select 'key:"features/*"'] [--repeat 3]

A copy of the demo project on private dev services (PostgreSQL databases and a Redis prefix of its own,
removed afterwards). `dagster.executor.kind` is switched between `in_process` and `celery` in the
copy's config/dev.yaml; the two workers are started once, before the timings. Each materialization is
an `mmp materialize` subprocess timed from start to exit; the modes run interleaved `--repeat` times and
the best time counts, since a shared machine's load varies. The ratio is what handing each step to a
worker costs (queueing, the worker rebuilding the definitions and the plan for its step). Not part of
the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--select", default='key:"features/*"')
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from mmp_assets.demo import write_demo_data
    from mmp_resources import load_config
    from mmp_resources.instance import ensure_instance_home
    from mmp_resources.sandbox import dev_sandbox
    from mmp_resources.workers import CeleryWorkers

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(REPO / "config", root / "config")
        shutil.copytree(REPO / "recipes", root / "recipes")
        os.environ["MMP_PROJECT_DIR"] = str(root)
        write_demo_data(root)
        dev_yaml = root / "config" / "dev.yaml"
        original = dev_yaml.read_text()
        with dev_sandbox(root / ".mmp"):
            home = ensure_instance_home(load_config(root), root)
            workers = CeleryWorkers(load_config(root), root, dagster_home=home)
            workers.start(2)
            best: dict[str, float] = {}
            try:
                for _ in range(args.repeat):
                    for mode in ("in_process", "celery"):
                        dev_yaml.write_text(original.replace("kind: celery", f"kind: {mode}", 1))
                        started = time.perf_counter()
                        done = subprocess.run([sys.executable, "-m", "mmp_assets.cli", "materialize", "--select", args.select],
                                              capture_output=True, text=True, cwd=root)
                        seconds = time.perf_counter() - started
                        if done.returncode != 0:
                            raise SystemExit(f"{mode}: mmp materialize failed:\n{done.stderr[-2000:]}")
                        steps = done.stdout.count("  ok  ")
                        best[mode] = min(best.get(mode, seconds), seconds)
                        print(f"{mode:>10}: {seconds:6.1f}s ({steps} steps incl. observations)", flush=True)
            finally:
                workers.stop()
    print(f"best of {args.repeat}: in_process {best['in_process']:.1f}s, celery (2 workers) {best['celery']:.1f}s, "
          f"ratio celery/in_process {best['celery'] / best['in_process']:.2f}")


if __name__ == "__main__":
    main()
