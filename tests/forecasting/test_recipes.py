"""Every forecasting recipe field is strict and described; each mistake is one line naming file, field, value, what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mmp_assets.recipes import load_recipes
from mmp_assets.recipes.forecast import Forecast

RECIPE = "recipes/store_sales.yaml"


def _problems(root: Path, change) -> list[str]:
    path = root / RECIPE
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return [str(p) for p in load_recipes(root).problems]


def _set(section: str, key: str, value):
    def change(data):
        data.setdefault(section, {})[key] = value
    return change


def _drop(key: str):
    return lambda data: data.pop(key)


CASES = {
    "unknown field": (_set("forecast", "horizont", 7), "recipes/store_sales.yaml: forecast.horizont: unknown field (value 7); remove it or check its spelling"),
    "frequency": (_set("forecast", "frequency", "daly"),
                  "recipes/store_sales.yaml: forecast.frequency: Input should be 'hourly', 'daily', 'weekly' or 'monthly' (got 'daly')"),
    "horizon zero": (_set("forecast", "horizon", 0), "recipes/store_sales.yaml: forecast.horizon: Input should be greater than or equal to 1 (got 0)"),
    "lag zero": (_set("forecast", "lags", [0, 1]),
                 "recipes/store_sales.yaml: forecast.lags: 0 is out of range; each must be a whole number of periods from 1 to 1000 (got [0, 1])"),
    "lag twice": (_set("forecast", "lags", [1, 7, 1]), "recipes/store_sales.yaml: forecast.lags: 1 is listed twice; list each once (got [1, 7, 1])"),
    "window of one": (_set("forecast", "windows", [1]),
                      "recipes/store_sales.yaml: forecast.windows: a rolling window needs at least 2 periods (a 1-period window is lag 1) (got [1])"),
    "calendar part": (_set("forecast", "calendar", ["hour"]),
                      "recipes/store_sales.yaml: forecast.calendar: 'hour' is the same for every daily period; allowed: "
                      "day_of_month, day_of_week, month, week_of_year (got ['hour'])"),
    "no past": (lambda d: d["forecast"].update(lags=[], windows=[]),
                "recipes/store_sales.yaml: forecast.lags: [] and windows [] leave no feature from the past; give at least lags: [1]"),
    "season length": (_set("forecast", "season_length", 0), "recipes/store_sales.yaml: forecast.season_length: Input should be greater than or equal to 1 (got 0)"),
    "missing section": (_drop("forecast"),
                        "recipes/store_sales.yaml: forecast: is required for task: forecasting; give at least {frequency: daily, horizon: 7}"),
    "section on another task": (lambda d: d.update(task="regression", tuning={"metric": "rmse"}, evaluation={"metrics": ["rmse"]}),
                                "recipes/store_sales.yaml: forecast: applies to task: forecasting only, and this recipe's task is regression; remove it"),
    "random split": (_set("split", "strategy", "random"),
                     "recipes/store_sales.yaml: split.strategy: 'random': a forecast is judged on periods after the ones it trained on; use temporal (the default)"),
    "tune on mase": (_set("tuning", "metric", "mase"),
                     "recipes/store_sales.yaml: tuning.metric: 'mase' needs each series' in-sample scale, which a tuning trial does not see; "
                     "tune on mae, rmse, mape or smape (mase is still reported and can gate)"),
    "cv folds": (_set("tuning", "cv_folds", 3),
                 "recipes/store_sales.yaml: tuning.cv_folds: 3: k folds mix the future into training; a forecast tunes on the validation "
                 "periods after its training periods, remove cv_folds"),
    "no entity": (lambda d: d["spine"].pop("entity"),
                  "recipes/store_sales.yaml: spine.entity: is required for task: forecasting: name the series key column (one series per "
                  "value); for a single series, add a constant column and name it"),
    "spine columns": (lambda d: d["spine"].update(columns="all"),
                      "recipes/store_sales.yaml: spine.columns: 'all': forecasting builds its features from the series' own past "
                      "(forecast.lags, windows, calendar); leave spine.columns out"),
    "classification metric": (_set("evaluation", "metrics", ["roc_auc"]),
                              "recipes/store_sales.yaml: evaluation.metrics[0]: unknown forecasting metric 'roc_auc'; allowed: mae, rmse, mape, smape, mase"),
    "gate metric": (_set("evaluation", "gate", {"r2": ">= 0.5"}),
                    "recipes/store_sales.yaml: evaluation.gate.r2: unknown forecasting metric; allowed: mae, rmse, mape, smape, mase, max_regression"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_forecasting_recipe_is_one_line(forecast_project: Path, case: str) -> None:
    change, expected = CASES[case]
    problems = _problems(forecast_project, change)
    assert expected in problems, f"\n got: {problems}\nwant: {expected}"


def test_the_example_recipe_is_valid(forecast_project: Path) -> None:
    recipes = load_recipes(forecast_project)
    assert recipes.problems == []
    fc = recipes.models["store_sales"].forecast
    assert (fc.season, fc.warmup, fc.calendar_parts) == (7, 28, ["day_of_week", "day_of_month"])


def test_every_forecast_field_is_described() -> None:
    assert all(field.description for field in Forecast.model_fields.values())
