"""`preprocessing:` of a model recipe: a shorthand policy per column kind, plus ordered per-column steps.

Every step becomes a scikit-learn transformer inside the trial's pipeline (training/preprocessing.py),
so it is fitted on the rows the pipeline is fitted on: a trial's training rows only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from mmp_assets.recipes.common import Strict, StrList

ColumnKind = Literal["numeric", "categorical"]


class NumericPreprocessing(Strict):
    """Columns of a numeric type that no `columns` entry claims."""

    impute: Literal["median", "mean", "zero", "none"] = Field("median", description="How missing numeric values are filled.")
    scale: Literal["standard", "minmax", "robust", "none"] = Field("none", description="How numeric columns are scaled.")


class CategoricalPreprocessing(Strict):
    """Columns of a text, boolean or enum type that no `columns` entry claims."""

    impute: Literal["most_frequent", "constant", "none"] = Field("constant", description="How missing categories are filled.")
    encode: Literal["onehot", "ordinal", "native"] = Field(
        "onehot", description="onehot, ordinal, or native (the model's own categorical handling: CatBoost, XGBoost, LightGBM)."
    )


class ImputeStep(Strict):
    """Fill missing values (scikit-learn SimpleImputer), optionally adding a 0/1 column per column that had any."""

    op: Literal["impute"] = Field(description="Step kind: impute.")
    strategy: Literal["mean", "median", "most_frequent", "constant"] = Field(
        "median", description="mean and median for numeric columns; most_frequent and constant for either kind."
    )
    fill_value: float | str | None = Field(
        None, description="Value for strategy constant; default 0 for numeric columns, `__missing__` for categorical ones."
    )
    add_indicator: bool = Field(False, description="Also output `missingindicator_<column>` (1 where the value was missing).")


class ScaleStep(Strict):
    """Scale numeric columns."""

    op: Literal["scale"] = Field(description="Step kind: scale.")
    method: Literal["standard", "minmax", "robust"] = Field(
        "standard", description="standard (mean 0, sd 1), minmax (0 to 1) or robust (median 0, IQR 1)."
    )


class EncodeStep(Strict):
    """Turn categories into numbers."""

    op: Literal["encode"] = Field(description="Step kind: encode.")
    method: Literal["onehot", "ordinal", "native", "target"] = Field(
        description="onehot, ordinal, native (the model's own categorical handling: text as CatBoost's cat_features, "
                    "category columns for XGBoost and LightGBM; last step only) or target "
                    "(scikit-learn TargetEncoder: each training row's encoding is learnt on the other folds of the training rows)."
    )
    smooth: float | Literal["auto"] = Field("auto", description="target: shrinkage toward the global mean (auto = empirical Bayes).")
    cv: int = Field(5, ge=2, le=20, description="target: folds of the cross fitting on the training rows.")


class BinsStep(Strict):
    """Cut numeric columns into bins (scikit-learn KBinsDiscretizer); needs an impute step before it."""

    op: Literal["bins"] = Field(description="Step kind: bins.")
    n_bins: int = Field(5, ge=2, le=256, description="Number of bins per column.")
    strategy: Literal["uniform", "quantile", "kmeans"] = Field("quantile", description="How bin edges are placed.")
    encode: Literal["ordinal", "onehot"] = Field("ordinal", description="Output the bin number, or one 0/1 column per bin.")


class PolynomialStep(Strict):
    """Products of the group's numeric columns (scikit-learn PolynomialFeatures); needs an impute step before it."""

    op: Literal["polynomial"] = Field(description="Step kind: polynomial.")
    degree: int = Field(2, ge=2, le=3, description="Highest total degree of the terms.")
    interaction_only: bool = Field(False, description="Only products of distinct columns (no x^2).")


class LogStep(Strict):
    """sign(x) * log(1 + |x|): log1p for non-negative values, defined for every real value."""

    op: Literal["log"] = Field(description="Step kind: log.")


class ClipStep(Strict):
    """Bound numeric values: at fixed values, or at quantiles learnt on the training rows."""

    op: Literal["clip"] = Field(description="Step kind: clip.")
    lower: float | None = Field(None, description="Fixed lower bound.")
    upper: float | None = Field(None, description="Fixed upper bound.")
    lower_quantile: float | None = Field(None, ge=0, le=1, description="Lower bound at this quantile of the training rows.")
    upper_quantile: float | None = Field(None, ge=0, le=1, description="Upper bound at this quantile of the training rows.")

    @model_validator(mode="after")
    def _bounds(self) -> ClipStep:
        if self.lower is not None and self.lower_quantile is not None or self.upper is not None and self.upper_quantile is not None:
            raise ValueError("give each side a fixed bound or a quantile, not both")
        if all(v is None for v in (self.lower, self.upper, self.lower_quantile, self.upper_quantile)):
            raise ValueError("give at least one of lower, upper, lower_quantile, upper_quantile")
        for low, high in ((self.lower, self.upper), (self.lower_quantile, self.upper_quantile)):
            if low is not None and high is not None and low >= high:
                raise ValueError(f"the lower bound ({low}) must be below the upper bound ({high})")
        return self


Step = Annotated[
    ImputeStep | ScaleStep | EncodeStep | BinsStep | PolynomialStep | LogStep | ClipStep, Field(discriminator="op")
]
NUMERIC_ONLY = ("scale", "bins", "polynomial", "log", "clip")
NEEDS_COMPLETE = ("bins", "polynomial")  # their scikit-learn transformers refuse missing values


class ColumnSteps(Strict):
    """Ordered steps for the feature columns it selects (by name, glob or kind)."""

    columns: StrList = Field(
        default_factory=list, description="Feature column names or globs (`amount_*`); with `dtype`, both must match."
    )
    dtype: ColumnKind | None = Field(None, description="Select by kind: numeric or categorical.")
    steps: list[Step] = Field(min_length=1, description="Applied in order: impute, scale, encode, bins, polynomial, log, clip.")

    @model_validator(mode="after")
    def _well_ordered(self) -> ColumnSteps:
        if not self.columns and self.dtype is None:
            raise ValueError("select columns with `columns` (names or globs), `dtype` (numeric or categorical), or both")
        ops = [step.op for step in self.steps]
        if ops.count("encode") > 1:
            raise ValueError("encode appears more than once; a column is encoded once")
        if "native" in [getattr(step, "method", None) for step in self.steps[:-1] if step.op == "encode"]:
            raise ValueError("encode: native hands the categories to the model itself, so it must be the last step")
        for i, op in enumerate(ops):
            if op in NEEDS_COMPLETE and "impute" not in ops[:i]:
                raise ValueError(f"steps[{i}] {op} does not accept missing values; put an impute step before it")
            if self.dtype == "categorical" and op in NUMERIC_ONLY and "encode" not in ops[:i]:
                raise ValueError(f"steps[{i}] {op} applies to numbers; categorical columns need an encode step before it")
            if self.dtype == "numeric" and op == "encode" and self.steps[i].method == "native":
                raise ValueError("encode: native is for categorical columns")
        return self


class Preprocessing(Strict):
    """Fitted on each trial's training rows only, and shipped inside the logged model."""

    numeric: NumericPreprocessing = Field(default_factory=NumericPreprocessing, description="Numeric columns no `columns` entry claims.")
    categorical: CategoricalPreprocessing = Field(
        default_factory=CategoricalPreprocessing, description="Categorical columns no `columns` entry claims."
    )
    columns: list[ColumnSteps] = Field(
        default_factory=list,
        description="Per-column steps. A column belongs to the first entry that selects it; the others follow numeric / categorical.",
    )
