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
    started = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    return time.perf_counter() - started, study.best_value, study.best_params, n_trials, 0


def mmp_search(recipe, ts, n_trials: int, pruner: str):
    from mmp_assets.training.budget import Budget
    from mmp_assets.training.search import run_search

    tuned = recipe.model_copy(update={"tuning": recipe.tuning.model_copy(update={"pruner": pruner})})
    started = time.perf_counter()
    result = run_search(tuned, ts, Budget(n_trials, "bench", None, None, 1, "bench"), None)
    return time.perf_counter() - started, result.best_value, result.best_params, result.counts["complete"], result.counts["pruned"]


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
    runs: dict[str, list] = {"bare optuna": [], "mmp (no pruning)": [], "mmp (median pruner)": []}
    for _ in range(args.repeats):
        runs["bare optuna"].append(bare_search(recipe_yaml, ts, args.trials))
        runs["mmp (no pruning)"].append(mmp_search(recipe, ts, args.trials, "none"))
        runs["mmp (median pruner)"].append(mmp_search(recipe, ts, args.trials, "median"))
    medians = {name: statistics.median(r[0] for r in rows) for name, rows in runs.items()}
    for name, rows in runs.items():
        seconds, best, params, complete, pruned = rows[-1]
        print(f"{name:22s} {medians[name]:8.1f} s   best roc_auc {best:.5f}   {complete} complete, {pruned} pruned   {params}")
    bare, plain, pruned = medians["bare optuna"], medians["mmp (no pruning)"], medians["mmp (median pruner)"]
    same = runs["bare optuna"][-1][2] == runs["mmp (no pruning)"][-1][2]
    print(f"overhead ratio mmp/bare: {plain / bare:.3f} (target <= 1.15); same best params as bare: {same}")
    best_plain, best_pruned = runs["mmp (no pruning)"][-1][1], runs["mmp (median pruner)"][-1][1]
    print(f"pruning saved {plain - pruned:.1f} s ({(plain - pruned) / plain:.0%}); best roc_auc {best_pruned:.5f} vs {best_plain:.5f} "
          f"without pruning ({'equal' if abs(best_pruned - best_plain) < 1e-9 else f'diff {best_pruned - best_plain:+.5f}'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
