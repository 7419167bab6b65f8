"""What a forecasting recipe contradicts outside its `forecast:` section (or a `forecast:` on another task): one Problem each."""

from __future__ import annotations

from mmp_assets.recipes.model import ModelRecipe
from mmp_resources.errors import Problem


def forecast_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    """What a forecasting recipe (or a `forecast:` section on another task) contradicts elsewhere in the recipe."""
    if recipe.task != "forecasting":
        return [Problem(shown, "forecast", f"applies to task: forecasting only, and this recipe's task is {recipe.task}; remove it")] \
            if recipe.forecast is not None else []
    spine, problems = recipe.spine, []
    if recipe.forecast is None:
        problems.append(Problem(shown, "forecast", "is required for task: forecasting; give at least {frequency: daily, horizon: 7}"))
    elif not recipe.forecast.lags and not recipe.forecast.windows:
        problems.append(Problem(shown, "forecast.lags", "[] and windows [] leave no feature from the past; give at least lags: [1]"))
    if spine.timestamp is None:
        problems.append(Problem(shown, "spine.timestamp", "is required for task: forecasting: name the column holding each value's period"))
    if not spine.entity:
        problems.append(Problem(shown, "spine.entity", "is required for task: forecasting: name the series key column (one series per "
                                                       "value); for a single series, add a constant column and name it"))
    if spine.columns:
        problems.append(Problem(shown, "spine.columns", f"{spine.columns!r}: forecasting builds its features from the series' own past "
                                                        "(forecast.lags, windows, calendar); leave spine.columns out"))
    if recipe.features:
        problems.append(Problem(shown, "features", "forecasting builds its features from the series' own past; joined feature views "
                                                   "are not supported, remove features"))
    if recipe.split.strategy != "temporal":
        problems.append(Problem(shown, "split.strategy", f"{recipe.split.strategy!r}: a forecast is judged on periods after the ones it "
                                                         "trained on; use temporal (the default)"))
    if recipe.model.calibration is not None:
        problems.append(Problem(shown, "model.calibration", "calibrates class probabilities; a forecast has none, remove it"))
    if recipe.tuning.metric == "mase":
        problems.append(Problem(shown, "tuning.metric", "'mase' needs each series' in-sample scale, which a tuning trial does not see; "
                                                        "tune on mae, rmse, mape or smape (mase is still reported and can gate)"))
    if recipe.tuning.cv_folds is not None:
        problems.append(Problem(shown, "tuning.cv_folds", f"{recipe.tuning.cv_folds}: k folds mix the future into training; a forecast "
                                                          "tunes on the validation periods after its training periods, remove cv_folds"))
    if recipe.spine.partitions is not None:
        problems.append(Problem(shown, "spine.partitions", "a forecasting training set is built from the whole series; remove partitions"))
    return problems
