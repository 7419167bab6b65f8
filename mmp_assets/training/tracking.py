"""What one tuning materialization leaves in MLflow: a single run with the whole search in it.

Trials are one table artifact and one plot, not hundreds of runs.
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")  # asset runs have no display
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
import pandas as pd  # noqa: E402

from mmp_assets.recipes.model import ModelRecipe  # noqa: E402
from mmp_assets.tags import BEST_PARAMS  # noqa: E402
from mmp_assets.training.budget import Budget  # noqa: E402
from mmp_assets.training.search import SearchResult  # noqa: E402


def trial_table(history: pd.DataFrame) -> pd.DataFrame:
    """The study's trials with JSON-friendly columns (durations in seconds, times as text)."""
    table = history.copy()
    if "duration" in table:
        table["duration_s"] = table.pop("duration").dt.total_seconds()
    for column in table.select_dtypes(include=["datetime", "datetimetz"]).columns:
        table[column] = table[column].astype(str)
    table["state"] = table["state"].astype(str)
    return table


def history_figure(result: SearchResult, metric: str = "objective"):
    table = result.history
    finished = table[table["state"].astype(str).isin(["COMPLETE"])]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(finished["number"], finished["value"], s=18, label="complete trial")
    running = finished["value"].cummax() if result.direction == "maximize" else finished["value"].cummin()
    ax.step(finished["number"], running, where="post", color="tab:red", label="best so far")
    pruned = table[table["state"].astype(str) == "PRUNED"]
    # a pruned trial's value is the recipe's metric when it was stopped (see pruning.py): same axis, not a best
    ax.scatter(pruned["number"], pruned["value"], s=18, marker="x", color="0.6", label="pruned trial (when stopped)")
    ax.set(xlabel="trial", ylabel=metric, title=f"{result.study_name} ({len(pruned)} pruned)")
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def log_search(recipe: ModelRecipe, budget: Budget, result: SearchResult) -> None:
    """Params, best params, scores, counts, timing, the trial table and the history plot, into the active run."""
    mlflow.log_params({f"fixed.{k}": v for k, v in recipe.model.params.items()})
    mlflow.log_params({f"best.{k}": v for k, v in result.best_params.items()})
    mlflow.log_params(
        {
            "class_path": recipe.model.class_path,
            "metric": recipe.tuning.metric,
            "direction": result.direction,
            "pruner": recipe.tuning.pruner,
            "sampler_seed": recipe.tuning.seed,
            "cv_folds": recipe.tuning.cv_folds or 0,
            "calibration": recipe.model.calibration or "none",
            "study_name": result.study_name,
            **{f"budget.{k}": v for k, v in budget.as_metadata().items()},
        }
    )
    mlflow.log_metrics(
        {
            "best_score": result.best_value,
            "trials_complete": result.counts["complete"],
            "trials_pruned": result.counts["pruned"],
            "trials_failed": result.counts["failed"],
            "trials_run_here": result.ran_here,
            "optimization_time_s": result.elapsed_s,
        }
    )
    mlflow.log_dict(recipe.model_dump(mode="json")["model"]["search_space"], "search_space.json")
    mlflow.log_table(trial_table(result.history), "trials.json")
    fig = history_figure(result, recipe.tuning.metric)
    mlflow.log_figure(fig, "optimization_history.png")
    plt.close(fig)
    if result.threshold is not None:
        mlflow.log_param("decision_threshold", round(result.threshold, 6))
    mlflow.set_tag(BEST_PARAMS, json.dumps(result.best_params, sort_keys=True, default=str))
