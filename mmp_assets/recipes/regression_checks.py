"""What a regression recipe's `model.target_transform` and `model.quantiles` contradict, read from the recipe
alone (no estimator import): the task, the estimator's ability to fit quantiles, and the metrics named."""

from __future__ import annotations

from mmp_assets.catalog.metrics import METRICS
from mmp_assets.catalog.quantiles import QUANTILE_ESTIMATORS, quantile_params, reserved_params
from mmp_assets.recipes.model import ModelRecipe
from mmp_resources.errors import Problem


def regression_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    """One Problem per contradiction; empty for a recipe using neither field correctly or at all."""
    model, problems = recipe.model, []
    if recipe.task != "regression":
        if model.target_transform != "none":
            problems.append(Problem(shown, "model.target_transform", f"{model.target_transform!r} transforms a regression label, "
                                                                     f"and task is {recipe.task}; remove it"))
        if model.quantiles is not None:
            problems.append(Problem(shown, "model.quantiles", f"quantiles are predicted by regression models, and task is "
                                                              f"{recipe.task}; remove it"))
        return problems
    named = [("tuning.metric", recipe.tuning.metric), *((f"evaluation.metrics[{i}]", m) for i, m in enumerate(recipe.evaluation.metrics)),
             *((f"evaluation.gate.{m}", m) for m in recipe.evaluation.gate)]
    if model.quantiles is None:
        for where, name in named:
            if name in METRICS and METRICS[name].needs_quantiles:
                problems.append(Problem(shown, where, f"{name!r} scores quantile predictions; set model.quantiles, or pick a "
                                                      "point metric (rmse, mae, r2, mape)"))
        return problems
    if model.class_path not in QUANTILE_ESTIMATORS:
        problems.append(Problem(shown, "model.class_path", f"{model.class_path} cannot fit quantiles; with model.quantiles use one of "
                                                           f"{', '.join(QUANTILE_ESTIMATORS)}"))
    else:
        for section, names in (("model.params", model.params), ("model.search_space", model.search_space)):
            for name in names:
                if name in reserved_params(model.class_path):
                    set_here = ", ".join(f"{k}={v!r}" for k, v in quantile_params(model.class_path, model.quantiles[0]).items())
                    problems.append(Problem(shown, f"{section}.{name}", f"set by model.quantiles for each level (level "
                                                                        f"{model.quantiles[0]:g}: {set_here}); remove it"))
    metric = recipe.tuning.metric
    if metric != "pinball_loss":
        why = ("is a report and gate figure (a wider interval always covers more)" if metric in METRICS and METRICS[metric].needs_quantiles
               else "does not judge quantiles")
        problems.append(Problem(shown, "tuning.metric", f"{metric!r} {why}; with model.quantiles tune on pinball_loss"))
    if len(model.quantiles) < 2:
        for where, name in named:
            if name in ("interval_coverage", "interval_coverage_error"):
                problems.append(Problem(shown, where, f"{name!r} needs an interval, and model.quantiles has one level; "
                                                      "name two or more levels or drop it"))
    return problems
