"""Start-up costs a user waits for, each against the bare library doing the same work in the same run.

    .venv/bin/python bench/startup.py [--repeats 5] [--recipes 1,100] [--demo-dir DIR] [--skip-help]

Every figure is the median over `--repeats` fresh processes, mmp and its bare counterpart run
alternately so both see the same machine load: wall seconds, `ratio` mmp / bare and `extra`
mmp - bare, then the same for CPU seconds (user + system of the child), which a busy shared
machine disturbs much less than wall time.

- definitions, N recipes: `build_definitions()` in a generated project with N model recipes (the
  demo's CatBoost fraud and scikit-learn spend recipes under new names, alternately, plus the demo's
  sources, views and prompt) vs `python -c "import dagster"`, and vs bare Dagster building a graph of
  the same size (five `@asset`s per recipe with owners, kinds, tags, code versions, three checks and
  two resources each): Dagster's own floor for that many assets.
- `mmp --help`, `mmp <command> --help`: vs `python -c "import argparse"`.
- read-only commands on a materialized demo (`--demo-dir`, where `mmp demo` ran; skipped if absent):
  `features list` vs the catalog query in bare DuckDB (its kind bound as a parameter, as mmp binds
  every value: DuckDB imports pandas on the first bound parameter), `models list fraud` vs MLflow's client listing
  the versions, `prompts list` vs MLflow's client listing prompts and their versions, `plan` vs
  opening the Dagster instance and reading each asset's latest materialization.

To measure another checkout's code with this script, put it first on the path:
`PYTHONPATH=/path/to/checkout .venv/bin/python bench/startup.py` (every subprocess inherits it).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["validate", "demo-data", "demo", "dev", "materialize", "features", "tune", "models", "prompts", "lineage",
            "plan", "audit", "services", "online", "serve", "users"]
BUILD = "from mmp_assets.definitions import build_definitions; build_definitions()"
BARE_GRAPH = """import dagster as dg


class Store(dg.ConfigurableResource):
    project_dir: str


class Tracker(dg.ConfigurableResource):
    project_dir: str


def recipe_assets(name):
    made = []
    for stage, upstream, check in (("training_set", None, "no_leakage"), ("model", "training_set", None),
                                   ("evaluation", "model", "quality_gate"), ("predictions", "model", None), ("drift", "model", "drift")):
        key = dg.AssetKey([name, stage])

        @dg.asset(key=key, deps=[dg.AssetKey([name, upstream]) if upstream else dg.AssetKey(["features", "view"])],
                  group_name=name, owners=["team:x"], kinds={{"duckdb"}}, tags={{"mmp/recipe": name}}, code_version="1",
                  description=f"{{name}} {{stage}}.", check_specs=[dg.AssetCheckSpec(check, asset=key)] if check else None)
        def _asset(context: dg.AssetExecutionContext, store: Store, tracker: Tracker) -> dg.MaterializeResult:
            return dg.MaterializeResult()

        made.append(_asset)
    return made


dg.Definitions(assets=[a for i in range({n}) for a in recipe_assets(f"model_{{i:03d}}")],
               resources={{"store": Store(project_dir="."), "tracker": Tracker(project_dir=".")}})
"""


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `argv` in a fresh process."""
    cpu, started = _cpu(), time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    if done.returncode not in (0, 2):  # 2: argparse usage, `plan --detailed-exitcode`
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, cpu


def compare(label: str, ours: list[str], bare: list[str], env: dict[str, str], cwd: Path, repeats: int) -> None:
    mine, theirs = [], []
    for _ in range(repeats):
        mine.append(timed(ours, env, cwd))
        theirs.append(timed(bare, env, cwd))
    cells = []
    for i in (0, 1):
        m, b = statistics.median(t[i] for t in mine), statistics.median(t[i] for t in theirs)
        cells.append(f"{m:8.2f} {b:8.2f} {m / b:7.2f} {m - b:+8.2f}")
    print(f"{label:<34} {'   '.join(cells)}", flush=True)


def generated_project(n: int, into: Path) -> Path:
    """The demo's config, sources, views and prompt, and N model recipes cloned from the demo's two."""
    for part in ("config", "recipes/sources", "recipes/features", "recipes/prompts"):
        shutil.copytree(ROOT / part, into / part)
    templates = [(ROOT / "recipes" / f"{name}.yaml").read_text() for name in ("fraud", "spend")]
    for i in range(n):
        (into / "recipes" / f"model_{i:03d}.yaml").write_text(templates[i % 2])
    return into


def mmp_argv() -> list[str]:
    script = Path(sys.executable).with_name("mmp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mmp_assets.cli"]


def bench_definitions(counts: list[int], env: dict[str, str], repeats: int) -> None:
    for n in counts:
        with tempfile.TemporaryDirectory() as tmp:
            project = generated_project(n, Path(tmp))
            local = env | {"MMP_PROJECT_DIR": str(project), "MMP_DATA_DIR": str(project / ".mmp")}
            ours = [sys.executable, "-c", BUILD]
            compare(f"definitions, {n} recipe(s)", ours, [sys.executable, "-c", "import dagster"], local, project, repeats)
            compare(f"  vs the same graph in bare Dagster", ours, [sys.executable, "-c", BARE_GRAPH.format(n=n)], local, project, repeats)


def bench_help(env: dict[str, str], repeats: int) -> None:
    bare = [sys.executable, "-c", "import argparse"]
    compare("mmp --help", [*mmp_argv(), "--help"], bare, env, ROOT, repeats)
    for command in COMMANDS:
        compare(f"mmp {command} --help", [*mmp_argv(), command, "--help"], bare, env, ROOT, repeats)


BARE_FEATURES = """import duckdb
with duckdb.connect({path!r}, read_only=True) as conn:
    conn.execute("SELECT c.name, c.version, c.owner, c.row_count FROM mmp_catalog c JOIN mmp_current p "
                 "ON c.kind = p.kind AND c.name = p.name AND c.version = p.version WHERE c.kind = $kind", {{"kind": "view"}}).fetchall()"""
BARE_MODELS = """from mlflow import MlflowClient
client = MlflowClient(tracking_uri={uri!r}, registry_uri={uri!r})
client.get_registered_model("fraud").aliases
[v.tags for v in client.search_model_versions("name = 'fraud'")]"""
BARE_PROMPTS = """from mlflow import MlflowClient
client = MlflowClient(tracking_uri={uri!r}, registry_uri={uri!r})
for prompt in client.search_prompts():
    [client.get_prompt_version(prompt.name, v.version).aliases for v in client.search_prompt_versions(prompt.name)]"""
BARE_PLAN = """import dagster as dg
with dg.DagsterInstance.get() as instance:
    [instance.get_latest_materialization_event(key) for key in instance.get_asset_keys()]"""


def bench_read_only(demo: Path, env: dict[str, str], repeats: int) -> None:
    from mmp_resources import load_config

    config = load_config(demo)
    local = env | {"MMP_PROJECT_DIR": str(demo), "DAGSTER_HOME": str(config.data_dir / "dagster_home")}
    uri = config.tracking_uri
    cases = [
        ("mmp features list", ["features", "list"], BARE_FEATURES.format(path=str(config.duckdb_path))),
        ("mmp models list fraud", ["models", "list", "fraud"], BARE_MODELS.format(uri=uri)),
        ("mmp prompts list", ["prompts", "list"], BARE_PROMPTS.format(uri=uri)),
        ("mmp plan", ["plan"], BARE_PLAN),
    ]
    for label, args, bare in cases:
        compare(label, [*mmp_argv(), *args], [sys.executable, "-c", bare], local, demo, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--recipes", default="1,100", help="comma-separated recipe counts for the definitions")
    parser.add_argument("--demo-dir", type=Path, default=ROOT, help="a project where `mmp demo` has run")
    parser.add_argument("--skip-help", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMP_", "DAGSTER_HOME"))}
    import mmp_assets  # noqa: F401 - which checkout is measured, for the record

    print(f"code under test: {Path(mmp_assets.__file__).parent.parent}; python {sys.version.split()[0]}; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; median of {args.repeats}")
    print(f"{'case':<34} {'mmp s':>8} {'bare s':>8} {'ratio':>7} {'extra s':>8}   "
          f"{'mmp cpu':>8} {'bare cpu':>8} {'ratio':>7} {'extra':>8}")
    bench_definitions([int(n) for n in args.recipes.split(",") if n], env, args.repeats)
    if not args.skip_help:
        bench_help(env, args.repeats)
    if (args.demo_dir / ".mmp" / "mmp.duckdb").exists():
        bench_read_only(args.demo_dir, env, args.repeats)
    else:
        print(f"read-only commands skipped: no materialized demo in {args.demo_dir} (run `mmp demo` there)")


if __name__ == "__main__":
    main()
