"""What pruning reports cost: one trial's fit with per-round reports (or subsample steps) vs the same plain fit.

On the demo fraud training set, for XGBoost, LightGBM and CatBoost at the same number of rounds, and for a
model without rounds (HistGradientBoosting) on growing training subsamples. The pruner never prunes here
(Optuna's NopPruner), so the ratio is the price of reporting the recipe's metric, paid on every trial.

    .venv/bin/python bench/pruning_reports.py [--rounds 300] [--repeats 3] [--data-dir DIR] [--models CLASS_PATH ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tuning import demo_training_set  # noqa: E402

MODELS = {
    "xgboost.XGBClassifier": lambda rounds: {"n_estimators": rounds, "max_depth": 6, "learning_rate": 0.05, "n_jobs": 2, "random_state": 0},
    "lightgbm.LGBMClassifier": lambda rounds: {"n_estimators": rounds, "num_leaves": 31, "learning_rate": 0.05, "n_jobs": 2,
                                               "random_state": 0, "verbose": -1},
    "catboost.CatBoostClassifier": lambda rounds: {"iterations": rounds, "depth": 6, "learning_rate": 0.05, "thread_count": 2,
                                                   "verbose": 0, "allow_writing_files": False, "random_seed": 0},
    "sklearn.ensemble.HistGradientBoostingClassifier": lambda rounds: {"max_iter": rounds, "learning_rate": 0.05, "random_state": 0},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--models", nargs="*", default=list(MODELS), help="class paths to measure (default: all)")
    args = parser.parse_args()
    import optuna

    from mmp_assets.catalog.metrics import get_metric
    from mmp_assets.training.pipeline import build_pipeline
    from mmp_assets.training.pruning import fit_with_round_reports, report_growing_subsamples
    from mmp_assets.training.scoring import held_out_outputs, score_outputs

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    recipe, ts = demo_training_set(args.data_dir or Path(tempfile.mkdtemp(prefix="mmp-bench-")))
    X_fit, y_fit, X_valid, y_valid = ts.X("train"), ts.y("train"), ts.X("validation"), ts.y("validation")
    metric = get_metric(recipe.tuning.metric, recipe.task)
    print(f"fraud training set: {len(X_fit)} fit / {len(X_valid)} validation rows, metric {metric.name}, {args.rounds} rounds")
    for class_path in args.models:
        params = MODELS[class_path]
        encode = "onehot" if class_path.startswith("sklearn.") else "native"
        variant = recipe.model_copy(update={
            "model": recipe.model.model_copy(update={"class_path": class_path, "params": params(args.rounds), "search_space": {}}),
            "preprocessing": recipe.preprocessing.model_copy(update={
                "categorical": recipe.preprocessing.categorical.model_copy(update={"encode": encode})}),
        })

        def make():
            return build_pipeline(variant, {}, ts.numeric_columns, list(ts.categorical_columns))

        def plain():
            make().fit(X_fit, y_fit)

        def reported():
            trial = optuna.create_study(direction=variant.direction, pruner=optuna.pruners.NopPruner()).ask()
            if class_path.startswith("sklearn."):
                def score(p):
                    return score_outputs(metric, "classification", p.classes_, y_valid, held_out_outputs(p, X_valid, "classification"))
                report_growing_subsamples(make, X_fit, y_fit, trial, score, 0, "classification")
                make().fit(X_fit, y_fit)
            else:
                fit_with_round_reports(make(), X_fit, y_fit, X_valid, y_valid, trial, metric, "classification")

        times = {"plain": [], "reported": []}
        for i in range(args.repeats):
            for name, fn in ((("plain", plain), ("reported", reported)) if i % 2 == 0 else (("reported", reported), ("plain", plain))):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        a, b = statistics.median(times["plain"]), statistics.median(times["reported"])
        how = "subsample 1/3 + full" if class_path.startswith("sklearn.") else "20 reports per fit"
        print(f"{class_path:50s} plain fit {a:6.2f} s   with reports ({how}) {b:6.2f} s   ratio {b / a:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
