"""What the feature store hands to training, evaluation and serving: a pinned, split training set."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SPLITS = ("train", "validation", "test")


def empty_columns(*frames: pd.DataFrame) -> list[str]:
    """Columns NULL in every row of at least one of `frames` (rows some model is fitted on): it could
    learn nothing from them, and an imputer would silently drop them from that fit alone."""
    empty = set()
    for frame in frames:
        if len(frame):
            empty |= set(frame.columns[frame.isna().all().to_numpy()])
    return [c for c in frames[0].columns if c in empty] if frames else []


def model_input(X: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    """Feature rows in the types a logged model declares: categories as text (None when missing), other
    numbers and flags as float64. DuckDB hands an integer column over as int64, or as Int64 when it has
    NULLs, and MLflow's signature check takes neither as a double; dates and times are left as they are."""
    cats, out = set(categorical), {}
    for column in X.columns:
        values = X[column]
        if column in cats:
            out[column] = values.astype("string").astype(object).where(values.notna(), None)
        elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            out[column] = pd.to_numeric(values).astype("float64")
        else:
            out[column] = values
    return pd.DataFrame(out, index=X.index)


@dataclass(frozen=True)
class TrainingSet:
    """One version of `<recipe>/training_set`: spine rows joined point-in-time, with their split.

    `frame` holds the entity key(s), the spine timestamp, the label, every feature column and
    `split_column` ("train" | "validation" | "test"). Feature column names are the view's column
    names, or `<view>__<column>` where two views (or the spine) would otherwise collide.
    """

    recipe: str
    version: int
    content_hash: str
    frame: pd.DataFrame
    entity: list[str]
    timestamp: str | None
    label: str | None  # None for clustering: no target column
    feature_columns: list[str]
    categorical_columns: list[str]
    pinned_views: dict[str, int] = field(default_factory=dict)
    split_column: str = "split"

    @property
    def numeric_columns(self) -> list[str]:
        return [c for c in self.feature_columns if c not in set(self.categorical_columns)]

    def model_columns(self, *splits: str) -> tuple[list[str], list[str]]:
        """(numeric, categorical) feature columns a model fitted on these splits uses: all but the ones
        NULL in every row of them (see `empty_columns`), so every step agrees on one column list."""
        empty = set(empty_columns(self.X(*splits)))
        return [c for c in self.numeric_columns if c not in empty], [c for c in self.categorical_columns if c not in empty]

    def part(self, *splits: str) -> pd.DataFrame:
        """Rows of the given split(s), in stored order."""
        unknown = set(splits) - set(SPLITS)
        if unknown:
            raise ValueError(f"unknown split(s) {sorted(unknown)}; allowed: {', '.join(SPLITS)}")
        return self.frame[self.frame[self.split_column].isin(splits)]

    def X(self, *splits: str) -> pd.DataFrame:
        return self.part(*splits)[self.feature_columns]

    def y(self, *splits: str) -> pd.Series | None:
        """The label of the given split(s); None without a label (clustering fits on X alone)."""
        return None if self.label is None else self.part(*splits)[self.label]
