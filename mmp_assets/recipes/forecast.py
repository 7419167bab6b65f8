"""`forecast:` of a `task: forecasting` recipe: the series' frequency, the horizon and the features built from its past.

The spine names the series: `entity` (one series per key), `timestamp` (the period) and `label` (the
value). The feature store builds every feature from the series itself, in DuckDB (see
`mmp_assets.feature_store.forecast_sql`); this module only declares and checks what the recipe says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from mmp_assets.recipes.common import Strict
from mmp_resources.errors import Problem

if TYPE_CHECKING:
    from mmp_assets.recipes.model import ModelRecipe

Frequency = Literal["hourly", "daily", "weekly", "monthly"]
CalendarPart = Literal["hour", "day_of_week", "day_of_month", "week_of_year", "month"]

SEASON_LENGTH: dict[str, int] = {"hourly": 24, "daily": 7, "weekly": 52, "monthly": 12}
"""The season a frequency implies when `season_length` is left out: a day of hours, a week of days, a year of weeks or months."""

DEFAULT_CALENDAR: dict[str, list[str]] = {
    "hourly": ["hour", "day_of_week"], "daily": ["day_of_week", "day_of_month", "month"],
    "weekly": ["week_of_year", "month"], "monthly": ["month"],
}
_FINEST: dict[str, set[str]] = {  # calendar parts that vary between periods of each frequency
    "hourly": {"hour", "day_of_week", "day_of_month", "week_of_year", "month"},
    "daily": {"day_of_week", "day_of_month", "week_of_year", "month"},
    "weekly": {"week_of_year", "month"},
    "monthly": {"month"},
}


class Forecast(Strict):
    """What is forecast and from which past: one model predicts every step 1..horizon (the step is one of its inputs)."""

    frequency: Frequency = Field(description="Period of the series: hourly, daily, weekly or monthly; every timestamp must lie on it.")
    horizon: int = Field(ge=1, le=366, description="How many periods ahead are forecast from each origin (steps 1..horizon).")
    lags: list[int] = Field(
        default_factory=lambda: [1, 2, 3],
        description="Lag features: the value k periods before the forecast origin, for each k (1 = the last observed period).",
    )
    windows: list[int] = Field(
        default_factory=list,
        description="Rolling windows: mean and standard deviation of the w periods before the forecast origin, for each w.",
    )
    calendar: list[CalendarPart] | None = Field(
        None, description="Calendar features of the forecast period (hour, day_of_week, day_of_month, week_of_year, month); "
                          "by default the parts that vary at the frequency.",
    )
    season_length: int | None = Field(
        None, ge=1, le=1000, description="Periods per season, for the seasonal naive baseline and MASE; by default 24 (hourly), "
                                         "7 (daily), 52 (weekly) or 12 (monthly).",
    )

    @field_validator("lags", "windows")
    @classmethod
    def _positive_unique(cls, values: list[int]) -> list[int]:
        bad = [v for v in values if v < 1 or v > 1000]
        if bad:
            raise ValueError(f"{bad[0]} is out of range; each must be a whole number of periods from 1 to 1000")
        if len(set(values)) != len(values):
            raise ValueError(f"{sorted(v for v in set(values) if values.count(v) > 1)[0]} is listed twice; list each once")
        return sorted(values)

    @field_validator("windows")
    @classmethod
    def _window_size(cls, values: list[int]) -> list[int]:
        if any(v < 2 for v in values):
            raise ValueError("a rolling window needs at least 2 periods (a 1-period window is lag 1)")
        return values

    @model_validator(mode="after")
    def _needs_a_past(self) -> Forecast:
        if not self.lags and not self.windows:
            raise ValueError("lags and windows are both empty; a forecast needs at least one feature from the past (lags: [1])")
        for part in self.calendar or []:
            if part not in _FINEST[self.frequency]:
                raise ValueError(f"calendar part {part!r} is the same for every {self.frequency} period; allowed: "
                                 f"{', '.join(sorted(_FINEST[self.frequency]))}")
        return self

    @property
    def season(self) -> int:
        return self.season_length or SEASON_LENGTH[self.frequency]

    @property
    def calendar_parts(self) -> list[str]:
        return list(self.calendar if self.calendar is not None else DEFAULT_CALENDAR[self.frequency])

    @property
    def warmup(self) -> int:
        """Periods of history an origin needs before its first row: the longest lag, window or season."""
        return max([*self.lags, *self.windows, self.season])


def forecast_problems(recipe: ModelRecipe, shown: str) -> list[Problem]:
    """What a forecasting recipe (or a `forecast:` section on another task) contradicts elsewhere in the recipe."""
    if recipe.task != "forecasting":
        return [Problem(shown, "forecast", f"applies to task: forecasting only, and this recipe's task is {recipe.task}; remove it")] \
            if recipe.forecast is not None else []
    spine, problems = recipe.spine, []
    if recipe.forecast is None:
        problems.append(Problem(shown, "forecast", "is required for task: forecasting; give at least {frequency: daily, horizon: 7}"))
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
