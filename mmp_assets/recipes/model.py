"""`recipes/<name>.yaml`: a model recipe, from spine to evaluation gate."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from mmp_assets.catalog.metrics import get_metric
from mmp_assets.recipes.common import Name, Owner, Strict, StrList
from mmp_assets.recipes.forecast import Forecast
from mmp_assets.recipes.preprocessing import CategoricalPreprocessing, NumericPreprocessing, Preprocessing
from mmp_assets.recipes.uplift import Uplift

__all__ = ["CategoricalPreprocessing", "ModelRecipe", "NumericPreprocessing", "Preprocessing"]


class SpinePartitions(Strict):
    """Time-window partitions of the training set: each partition binds its window to `start` / `end`."""

    schedule: Literal["daily", "weekly", "monthly"] = Field(description="Window length: daily, weekly or monthly.")
    start: date = Field(description="First window's start date (YYYY-MM-DD).")
    end: date | None = Field(None, description="Date after the last window; windows keep coming as time passes when omitted.")
    timezone: str = Field("UTC", description="IANA time zone the windows are cut in.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone; write one such as UTC or Europe/Paris") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> SpinePartitions:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Spine(Strict):
    """The rows to learn from: one per event (or, without a timestamp, one per row of a plain table) with its label."""

    source: Name = Field(description="Source the spine rows come from.")
    entity: StrList = Field(
        default_factory=list,
        description="Entity key column(s) of each spine row: what feature views join on and group splits keep together. "
                    "A plain table may leave it out.",
    )
    timestamp: str | None = Field(
        None, description="Event time of each row; feature values must be known by then. Leave it out for a plain table: "
                          "no point-in-time join (only static views), no temporal split, no backtest.",
    )
    label: str | None = Field(
        None, description="Column holding the target; required by classification and regression. Clustering learns "
                          "without one and refuses it.",
    )
    columns: list[str] | Literal["all"] = Field(
        default_factory=list,
        description="Spine columns used directly as features, or `all`: every spine column except the entity, timestamp, "
                    "label, join keys, split group and `exclude`.",
    )
    exclude: list[str] = Field(
        default_factory=list, description="With `columns: all`, spine columns that are not features (ids, leaky fields)."
    )
    partitions: SpinePartitions | None = Field(
        None, description="Partition the training set by time window; the model trains on the newest window's set."
    )

    @field_validator("columns", mode="before")
    @classmethod
    def _list_or_all(cls, value: Any) -> Any:
        if isinstance(value, str) and value != "all":
            raise ValueError("write a list of column names, or `all` for every column but the label, keys and exclude")
        return value

    @model_validator(mode="after")
    def _exclude_needs_all(self) -> Spine:
        if self.exclude and self.columns != "all":
            raise ValueError("exclude only applies to columns: all; with a column list, leave the column out of the list")
        return self

    @property
    def listed_columns(self) -> list[str]:
        """The named feature columns; [] while `columns: all` is not yet resolved against the source."""
        return [] if self.columns == "all" else list(self.columns)


class FeatureRef(Strict):
    """A feature view joined point-in-time onto the spine."""

    view: Name = Field(description="Feature view name (recipes/features/<view>.yaml).")
    columns: list[str] | None = Field(None, description="Subset of the view's feature columns; all when omitted.")
    on: StrList | None = Field(None, description="Spine column(s) matching the view's entity when the names differ.")


class Split(Strict):
    """How rows are divided into train / validation / test, leak-free."""

    strategy: Literal["random", "stratified", "temporal", "group"] = Field(
        "temporal",
        description="random, stratified (by label; uplift: outcome × treatment), temporal (by spine timestamp) or group (no entity in two splits). "
                    "Defaults to temporal; without a spine timestamp to stratified (classification) or random (regression, clustering).",
    )
    validation: float = Field(0.15, gt=0, lt=1, description="Fraction of rows for validation (tuning).")
    test: float = Field(0.15, gt=0, lt=1, description="Fraction of rows for the untouched test split.")
    seed: int = Field(42, description="Seed of random, stratified and group splits.")
    group: str | None = Field(None, description="Group column for strategy=group; defaults to the spine entity.")

    @model_validator(mode="after")
    def _fractions(self) -> Split:
        if self.validation + self.test >= 1:
            raise ValueError(
                f"validation ({self.validation}) + test ({self.test}) = {self.validation + self.test:g} leaves no training rows; "
                "the two fractions must sum to less than 1"
            )
        return self


class IntRange(Strict):
    """An integer range: `{type: int, low, high, log?, step?}`."""

    type: Literal["int"] = Field(description="Integer parameter.")
    low: int = Field(description="Smallest value tried.")
    high: int = Field(description="Largest value tried.")
    log: bool = Field(False, description="Sample on a log scale.")
    step: int | None = Field(None, gt=0, description="Spacing between tried values.")

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        _check_range(self.low, self.high, self.log, self.step)
        return self


class FloatRange(Strict):
    """A real range: `{type: float, low, high, log?, step?}`."""

    type: Literal["float"] = Field(description="Real-valued parameter.")
    low: float = Field(description="Smallest value tried.")
    high: float = Field(description="Largest value tried.")
    log: bool = Field(False, description="Sample on a log scale.")
    step: float | None = Field(None, gt=0, description="Spacing between tried values.")

    @model_validator(mode="after")
    def _ordered(self) -> FloatRange:
        _check_range(self.low, self.high, self.log, self.step)
        return self


class Choice(Strict):
    """A categorical choice: `{type: categorical, choices: [...]}`."""

    type: Literal["categorical"] = Field(description="Parameter chosen from a list.")
    choices: list[Any] = Field(min_length=1, description="Values tried.")


def _check_range(low, high, log, step) -> None:
    if low > high:
        raise ValueError(f"low ({low}) is greater than high ({high})")
    if log and low <= 0:
        raise ValueError(f"log scale needs low > 0 (got low={low})")
    if log and step is not None:
        raise ValueError("log and step cannot be combined")


SearchRange = Annotated[IntRange | FloatRange | Choice, Field(discriminator="type")]


MAX_QUANTILES = 9


class ModelSpec(Strict):
    """The estimator: any scikit-learn-style class; CatBoost, XGBoost and LightGBM first-class (`mmp list models`)."""

    class_path: str = Field(description="Import path of the estimator class, such as catboost.CatBoostClassifier or xgboost.XGBClassifier.")
    params: dict[str, Any] = Field(default_factory=dict, description="Fixed constructor arguments.")
    search_space: dict[str, SearchRange] = Field(default_factory=dict, description="Tuned arguments and their ranges.")
    calibration: Literal["sigmoid", "isotonic"] | None = Field(
        None, description="Calibrate probabilities on rows the model did not train on."
    )
    target_transform: Literal["none", "log1p", "sqrt"] = Field(
        "none",
        description="Regression only: fit on log1p(label) or sqrt(label) inside the logged model (scikit-learn's "
                    "TransformedTargetRegressor), which predicts on the original scale; labels must be >= 0.",
    )
    quantiles: list[float] | None = Field(
        None,
        description="Regression only: fit one model per quantile level (ascending, each between 0 and 1, such as "
                    "[0.1, 0.5, 0.9]); predictions come as q<level> columns, the median (else the middle level) as "
                    "`prediction`. Needs a quantile estimator (`mmp list tasks`) and tuning.metric: pinball_loss.",
    )

    @field_validator("quantiles")
    @classmethod
    def _levels(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return value
        if not 1 <= len(value) <= MAX_QUANTILES:
            raise ValueError(f"name 1 to {MAX_QUANTILES} quantile levels (one model is fitted per level), such as [0.1, 0.5, 0.9]")
        outside = [q for q in value if not 0.001 <= q <= 0.999 or round(q, 3) != q]
        if outside:
            raise ValueError(f"levels {outside} are not between 0.001 and 0.999 with at most 3 decimals")
        if any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError(f"{value} must be strictly ascending without repeats, such as [0.1, 0.5, 0.9]")
        return value

    @model_validator(mode="after")
    def _no_overlap(self) -> ModelSpec:
        both = sorted(set(self.params) & set(self.search_space))
        if both:
            raise ValueError(f"{', '.join(both)} is both fixed in params and tuned in search_space; keep it in one of them")
        return self


class Tuning(Strict):
    """How hard to search. The environment's `hpo` caps may shorten it; the stricter wins."""

    n_trials: int = Field(20, ge=1, description="Trials this experiment deserves.")
    timeout_s: float | None = Field(None, gt=0, description="Wall-time budget of the search.")
    metric: str = Field(description="Metric the search optimises on the validation split (or CV folds).")
    direction: Literal["maximize", "minimize"] | None = Field(None, description="Inferred from the metric when omitted.")
    pruner: Literal["none", "median", "hyperband"] = Field(
        "median",
        description="Stops unpromising trials early, judged on tuning.metric per boosting round, per CV fold or per training subsample.",
    )
    seed: int = Field(42, description="Sampler seed: same seed and data give the same best params.")
    cv_folds: int | None = Field(None, ge=2, le=20, description="Score on k folds of train+validation instead of the validation split.")
    n_jobs: int = Field(1, ge=1, description="Parallel trials in one process (capped by hpo.n_jobs).")


_GATE = re.compile(r"^\s*(>=|<=|>|<|==)\s*(-?\d+(\.\d+)?([eE]-?\d+)?)\s*$")


class Evaluation(Strict):
    """What the evaluation report measures and what a version must reach."""

    metrics: list[str] = Field(default_factory=list, description="Metrics reported on the test split (plus the task's standard set).")
    gate: dict[str, str | float] = Field(
        default_factory=dict,
        description='Thresholds such as roc_auc: ">= 0.75"; max_regression: 0.01 bounds the drop versus the champion.',
    )
    beat_baseline: bool = Field(
        True, description="The gate requires the headline metric on the test split to be better than the naive baseline's "
                          "(training class priors, the training mean, or random targeting for uplift); false opts out.",
    )
    backtest: dict[str, int] | None = Field(None, description="{windows: N}: rolling-origin replay for time-ordered spines.")
    shap_sample: int = Field(500, ge=10, description="Rows explained with SHAP (bounded for speed).")
    bootstrap: int = Field(200, ge=0, description="Bootstrap resamples for confidence intervals (0 = none).")

    @field_validator("gate")
    @classmethod
    def _gate_syntax(cls, gate: dict[str, str | float]) -> dict[str, str | float]:
        for name, rule in gate.items():
            if name == "max_regression":
                if not isinstance(rule, (int, float)) or rule < 0:
                    raise ValueError(f"max_regression must be a non-negative number (got {rule!r})")
            elif not isinstance(rule, str) or not _GATE.match(rule):
                raise ValueError(f"gate {name}: {rule!r} is not a threshold; write it like \">= 0.75\" (>=, <=, >, <, ==)")
        return gate

    @field_validator("backtest")
    @classmethod
    def _backtest(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is not None and (set(value) != {"windows"} or not 2 <= value["windows"] <= 24):
            raise ValueError("backtest must be {windows: N} with N from 2 to 24")
        return value


class DriftThresholds(Strict):
    share_drifted_max: float = Field(0.3, ge=0, le=1, description="Most columns that may drift before the check fails.")
    psi_max: float = Field(0.2, gt=0, description="Highest population stability index a feature may reach.")
    p_value: float = Field(0.05, gt=0, lt=1, description="Per-feature test significance used by Evidently.")


class Monitoring(Strict):
    """Drift thresholds and the data the live model scores."""

    drift: DriftThresholds = Field(default_factory=DriftThresholds, description="Drift check thresholds.")
    scoring_source: Name | None = Field(None, description="Source of rows to score (spine columns without the label).")
    retrain_on_drift: bool = Field(True, description="A failing drift check requests one retrain.")
    retrain_on_compatible_schema_change: bool = Field(
        False, description="Retrain even when an upstream source only gained unused nullable columns."
    )


class Predictions(Strict):
    """What `<recipe>/predictions` scores with the champion (else candidate) version."""

    source: Name | None = Field(
        None,
        description="Source of rows to score; defaults to monitoring.scoring_source, else the test split of the "
        "training set the scoring version was trained on.",
    )


class ModelRecipe(Strict):
    """One model: spine + feature views → training set → tuned model → evaluation report."""

    name: Name = Field(description="Recipe name (defaults to the file stem); the asset group and registered model name.")
    description: str = Field(min_length=1, description="What the model predicts and for whom.")
    owner: Owner = Field(description="Team or person answerable for the model. An email or team:<name>.")
    task: Literal["classification", "regression", "forecasting", "uplift", "clustering"] = Field(
        description="classification, regression, forecasting (per-entity time series; see forecast), uplift "
        "(the effect of a treatment on a 0/1 outcome; see uplift) or clustering (no label: the model's predictions are cluster ids)."
    )
    spine: Spine = Field(description="Rows to learn from.")
    uplift: Uplift | None = Field(None, description="Treatment column and meta-learner (docs/training.md#uplift-models); required by task: uplift, refused otherwise.")
    features: list[FeatureRef] = Field(
        default_factory=list, description="Feature views joined point-in-time (static views, without a timestamp, on the key alone)."
    )
    split: Split = Field(default_factory=Split, description="Train / validation / test split.")
    preprocessing: Preprocessing = Field(default_factory=Preprocessing, description="Imputation, scaling, encoding.")
    model: ModelSpec = Field(description="Estimator and search space.")
    tuning: Tuning = Field(description="Search budget and objective.")
    evaluation: Evaluation = Field(default_factory=Evaluation, description="Report and quality gate.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Drift thresholds and scoring data.")
    predictions: Predictions = Field(default_factory=Predictions, description="What the batch predictions asset scores.")
    tags: dict[str, str] = Field(default_factory=dict, description="Free-form tags put on assets and the registered model.")
    forecast: Forecast | None = Field(
        None, description="task: forecasting only: the series' frequency, the horizon and the lag, rolling and calendar features."
    )

    @model_validator(mode="before")
    @classmethod
    def _plain_table_split(cls, data: Any) -> Any:
        """A spine without a timestamp cannot default to a temporal split: it defaults to stratified / random."""
        if not isinstance(data, dict) or not isinstance(data.get("spine"), dict) or data["spine"].get("timestamp") is not None:
            return data
        split = data.get("split", {})
        if isinstance(split, dict) and "strategy" not in split:
            default = "stratified" if data.get("task") in ("classification", "uplift") else "random"
            data = {**data, "split": {**split, "strategy": default}}
        return data

    def with_spine_columns(self, available: list[str]) -> ModelRecipe:
        """This recipe with `spine.columns: all` replaced by the names it stands for among `available`
        (the spine source's columns, in order); unchanged when the columns are listed."""
        spine = self.spine
        if spine.columns != "all":
            return self
        taken = {*spine.entity, spine.timestamp, spine.label, *spine.exclude, *(c for ref in self.features for c in (ref.on or []))}
        if self.uplift:  # the arm is never a feature
            taken.add(self.uplift.treatment)
        if self.split.group:
            taken.add(self.split.group)
        chosen = [c for c in available if c not in taken]
        return self.model_copy(update={"spine": spine.model_copy(update={"columns": chosen})})

    def spine_column_problems(self, available: dict[str, str], n_view_columns: int | None) -> list[tuple[str, str]]:
        """(field, message) for what the spine source's columns (name → DuckDB type) contradict: an `exclude`
        naming no column, `all` taking a column no model step reads (dates, lists, ...), and a recipe left
        with no feature column at all. `n_view_columns` is how many columns the feature views add (None
        when not known before the data is read)."""
        spine, problems = self.spine, []
        unknown = [c for c in spine.exclude if c not in available]
        if unknown:
            problems.append(("spine.exclude", f"{', '.join(map(repr, unknown))} not in source {spine.source!r}; its columns: {', '.join(available)}"))
        chosen = self.with_spine_columns(list(available)).spine.columns
        if spine.columns == "all":
            unusable = [f"{c!r} ({available[c]})" for c in chosen if not _feature_type(available[c])]
            if unusable:
                problems.append(("spine.columns", f"`all` takes {', '.join(unusable)}, which no preprocessing step reads; add "
                                                  "it to exclude, or turn it into numbers or text in a source `sql`"))
        if not chosen and n_view_columns == 0 and self.task != "forecasting":  # forecasting builds its own features
            problems.append(("spine.columns", f"no feature column: {_no_features(spine)}"))
        return problems

    @property
    def direction(self) -> str:
        return self.tuning.direction or get_metric(self.tuning.metric, self.task).direction

    @property
    def headline_metric(self) -> str:
        return self.tuning.metric

    @property
    def scoring_source(self) -> str | None:
        """The source `<recipe>/predictions` scores: predictions.source, else monitoring.scoring_source."""
        return self.predictions.source or self.monitoring.scoring_source


def _no_features(spine: Spine) -> str:
    if spine.columns == "all":
        return ("`all` leaves nothing once the entity, timestamp, label, join keys, split group and exclude are taken out; "
                "exclude fewer columns or join a feature view")
    return "list spine columns (or write columns: all) or join a feature view"


_NOT_FEATURES = ("DATE", "TIME", "INTERVAL", "BLOB", "BYTEA", "BIT", "STRUCT", "MAP", "UNION", "JSON", "UUID")


def _feature_type(duckdb_type: str | None) -> bool:
    """Whether a column of this DuckDB type can be a feature: numbers, text, booleans, enums (unknown: yes)."""
    if duckdb_type is None:
        return True
    text = duckdb_type.strip().upper()
    return not (text.startswith(_NOT_FEATURES) or text.endswith("]"))
