"""What the feature store hands to training, evaluation and serving: a pinned, split training set."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SPLITS = ("train", "validation", "test")


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
    label: str
    feature_columns: list[str]
    categorical_columns: list[str]
    pinned_views: dict[str, int] = field(default_factory=dict)
    split_column: str = "split"

    @property
    def numeric_columns(self) -> list[str]:
        return [c for c in self.feature_columns if c not in set(self.categorical_columns)]

    def part(self, *splits: str) -> pd.DataFrame:
        """Rows of the given split(s), in stored order."""
        unknown = set(splits) - set(SPLITS)
        if unknown:
            raise ValueError(f"unknown split(s) {sorted(unknown)}; allowed: {', '.join(SPLITS)}")
        return self.frame[self.frame[self.split_column].isin(splits)]

    def X(self, *splits: str) -> pd.DataFrame:
        return self.part(*splits)[self.feature_columns]

    def y(self, *splits: str) -> pd.Series:
        return self.part(*splits)[self.label]
