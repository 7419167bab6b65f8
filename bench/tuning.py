"""Tuning overhead: the demo fraud recipe through mmp's search vs a bare Optuna script, in one run.

Both search the same training set with the same pipeline, sampler seed and number of trials; the
bare script is what a user would write by hand. Also measures what pruning saves.

    .venv/bin/python bench/tuning.py [--trials 8] [--repeats 1] [--data-dir DIR]

The training set is built once through the feature store (Dagster, untimed) in --data-dir
(default: a temporary folder), so the bench needs only `data/demo/` (`mmp demo-data`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def demo_training_set(data_dir: Path):
    os.environ["MMP_DATA_DIR"] = str(data_dir)
    os.environ.pop("MMP_ENV", None)
    import dagster as dg

    from mmp_assets.feature_store import build_feature_store_assets, build_training_set_assets, load_training_set
    from mmp_assets.recipes import load_recipes
    from mmp_resources import build_resources, load_config

    recipes, config = load_recipes(ROOT), load_config(ROOT)
    recipe = recipes.models["fraud"]
    resources = build_resources(config, ROOT)
    try:
        with resources["feature_store"].connect() as conn:
            return recipe, load_training_set(conn, recipe)
    except Exception:  # noqa: BLE001 - not built yet in this data dir
        pass
    assets = [*build_feature_store_assets(recipes, config, ROOT), *build_training_set_assets(recipe, recipes, config, ROOT)]
    with dg.instance_for_test() as instance:
        dg.materialize(assets, resources=resources, instance=instance, raise_on_error=True)
    with resources["feature_store"].connect() as conn:
        return recipe, load_training_set(conn, recipe)


def bare_search(recipe_yaml: dict, ts, n_trials: int):
    """Hand-written Optuna + scikit-learn + CatBoost, reading only the recipe's numbers."""
    import numpy as np
    import optuna
    from catboost import CatBoostClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    frame = ts.frame
    train, valid = frame[frame["split"] == "train"], frame[frame["split"] == "validation"]
    cats = list(ts.categorical_columns)
    nums = [c for c in ts.feature_columns if c not in cats]
    space, fixed = recipe_yaml["model"]["search_space"], recipe_yaml["model"]["params"]

    def text(X):
        return X.astype("string").astype(object).where(X.notna(), np.nan)

    def objective(trial):
        params = {}
        for name, spec in space.items():
            if spec["type"] == "int":
                params[name] = trial.suggest_int(name, spec["low"], spec["high"], log=spec.get("log", False))
            else:
                params[name] = trial.suggest_float(name, spec["low"], spec["high"], log=spec.get("log", False))
        pre = ColumnTransformer(
            [
                ("num", SimpleImputer(strategy="median"), nums),
                ("cat", Pipeline([("text", FunctionTransformer(text, feature_names_out="one-to-one")),
                                  ("fill", SimpleImputer(strategy="constant", fill_value="__missing__"))]), cats),
            ],
            verbose_feature_names_out=False,
        ).set_output(transform="pandas")
        pipe = Pipeline([("pre", pre), ("model", CatBoostClassifier(**fixed, **params, cat_features=cats))])
        pipe.fit(train[ts.feature_columns], train[ts.label])
        return roc_auc_score(valid[ts.label], pipe.predict_proba(valid[ts.feature_columns])[:, 1])

    sampler = optuna.samplers.TPESampler(seed=recipe_yaml["tuning"]["seed"], n_startup_trials=max(2, min(10, n_trials // 3)))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    with timed() as clock:
        study.optimize(objective, n_trials=n_trials)
    return Run(clock["wall"], clock["cpu"], study.best_value, study.best_params, n_trials, 0, study)


def mmp_search(recipe, ts, n_trials: int, pruner: str):
    from mmp_assets.training.budget import Budget
    from mmp_assets.training.search import run_search

    tuned = recipe.model_copy(update={"tuning": recipe.tuning.model_copy(update={"pruner": pruner})})
    with timed() as clock:
        result = run_search(tuned, ts, Budget(n_trials, "bench", None, None, 1, "bench"), None)
    counts = result.counts
    return Run(clock["wall"], clock["cpu"], result.best_value, result.best_params, counts["complete"], counts["pruned"], result.study)


@dataclass
class Run:
    wall: float
    cpu: float  # this process's CPU seconds, CatBoost's threads included: steadier than wall time on a shared machine
    best: float
    params: dict
    complete: int
    pruned: int
    study: object

    def seconds_to_reach(self, score: float) -> float | None:
        """Wall seconds from the first trial's start until a trial scored at least `score`."""
        trials = [t for t in self.study.trials if t.datetime_complete is not None]
        start = min(t.datetime_start for t in trials)
        hits = [t.datetime_complete for t in trials if t.value is not None and t.state.name == "COMPLETE" and t.value >= score - 1e-12]
        return (min(hits) - start).total_seconds() if hits else None


@contextmanager
def timed():
    clock: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    yield clock
    clock["wall"], clock["cpu"] = time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=1, help="alternating rounds; medians are reported")
    parser.add_argument("--data-dir", type=Path, help="reuse a data dir holding the demo training set")
    args = parser.parse_args()
    import optuna
    import yaml

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="mmp-bench-"))
    recipe, ts = demo_training_set(data_dir)
    recipe_yaml = yaml.safe_load((ROOT / "recipes" / "fraud.yaml").read_text())
    print(f"fraud training set v{ts.version}: {len(ts.part('train'))} train / {len(ts.part('validation'))} validation rows; "
          f"{args.trials} trials, {recipe_yaml['model']['params'].get('iterations')} CatBoost rounds, {os.cpu_count()} CPUs")
    searches = {
        "bare optuna": lambda: bare_search(recipe_yaml, ts, args.trials),
        "mmp (no pruning)": lambda: mmp_search(recipe, ts, args.trials, "none"),
        "mmp (median pruner)": lambda: mmp_search(recipe, ts, args.trials, "median"),
    }
    names = list(searches)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for round_ in range(args.repeats):
        for name in names[round_ % 3:] + names[: round_ % 3]:  # rotate so no search always runs first
            runs[name].append(searches[name]())
    wall = {name: statistics.median(r.wall for r in rows) for name, rows in runs.items()}
    cpu = {name: statistics.median(r.cpu for r in rows) for name, rows in runs.items()}
    for name, rows in runs.items():
        last = rows[-1]
        print(f"{name:20s} wall {wall[name]:7.1f} s  cpu {cpu[name]:7.1f} s  best roc_auc {last.best:.5f}  "
              f"{last.complete} complete, {last.pruned} pruned  {last.params}")
    bare, plain, pruned = runs["bare optuna"][-1], runs["mmp (no pruning)"][-1], runs["mmp (median pruner)"][-1]
    print(f"overhead ratio mmp/bare: cpu {cpu['mmp (no pruning)'] / cpu['bare optuna']:.3f}, wall "
          f"{wall['mmp (no pruning)'] / wall['bare optuna']:.3f} (target <= 1.15); same trials and best params as bare: "
          f"{[t.params for t in bare.study.trials] == [t.params for t in plain.study.trials] and bare.best == plain.best}")
    print(f"pruning: wall {wall['mmp (median pruner)']:.1f} s vs {wall['mmp (no pruning)']:.1f} s, cpu {cpu['mmp (median pruner)']:.1f} s "
          f"vs {cpu['mmp (no pruning)']:.1f} s ({1 - cpu['mmp (median pruner)'] / cpu['mmp (no pruning)']:.0%} less); "
          f"best roc_auc {pruned.best:.5f} vs {plain.best:.5f}")
    common = min(pruned.best, plain.best)
    reach_pruned, reach_plain = pruned.seconds_to_reach(common), plain.seconds_to_reach(common)
    print(f"at equal best score (roc_auc >= {common:.5f}): reached after {reach_pruned:.1f} s with pruning, "
          f"{reach_plain:.1f} s without (wall, last round)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
