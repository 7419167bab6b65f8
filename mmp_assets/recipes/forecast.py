"""`forecast:` of a `task: forecasting` recipe: the series' frequency, the horizon and the features built from its past.

The spine names the series: `entity` (one series per key), `timestamp` (the period) and `label` (the
value). The feature store builds every feature from the series itself, in DuckDB (see
`mmp_assets.feature_store.forecast_sql`); this module declares what the recipe says,
`forecast_checks` what it contradicts elsewhere in the recipe.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from mmp_assets.recipes.common import Strict

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
    seasonal_lags: int = Field(
        1, ge=0, le=10, description="Seasonal lag features: for j = 1..n, the value j seasons before the period forecast, counting "
                                    "from the latest same-season period before the origin; 0 for none.",
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

    @field_validator("calendar")
    @classmethod
    def _varies(cls, parts: list[str] | None, info: ValidationInfo) -> list[str] | None:
        frequency = info.data.get("frequency")
        for part in parts or []:
            if frequency is not None and part not in _FINEST[frequency]:
                raise ValueError(f"{part!r} is the same for every {frequency} period; allowed: {', '.join(sorted(_FINEST[frequency]))}")
        return parts

    @property
    def season(self) -> int:
        return self.season_length or SEASON_LENGTH[self.frequency]

    @property
    def calendar_parts(self) -> list[str]:
        return list(self.calendar if self.calendar is not None else DEFAULT_CALENDAR[self.frequency])

    @property
    def warmup(self) -> int:
        """Periods of history an origin needs before its first row: the longest lag, window or run of seasonal lags."""
        return max([*self.lags, *self.windows, self.season * max(1, self.seasonal_lags)])
