"""The logged forecasting model: the pyfunc forecasts the next `horizon` periods of every series from its history.

Given history rows (the spine's entity, timestamp and label columns) it builds the inputs of each
series' next periods with the same DuckDB SQL the feature store uses (`feature_store.forecast_sql`,
rendered into the model when it is logged) and predicts them; given model-input rows (`step`,
`lag_*`, ...) it predicts those rows, like any mmp model (evaluation and `mmp predict` do that).
"""

from __future__ import annotations

import sys

import cloudpickle
import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema

import mmp_assets.training.pipeline as pipeline_module
import mmp_assets.training.preprocessing as preprocessing_module
from mmp_assets.feature_store.contracts import TrainingSet, model_input
from mmp_assets.feature_store.forecast_sql import ORIGIN, STEP, Grid, future_sql, history_check_sql
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.training import pyfunc
from mmp_assets.training.pyfunc import PipelineModel, requirements, signature

HISTORY = "__mmp_history"


class ForecastModel(PipelineModel):
    """`predict(history rows)` → one row per series and step: entity, period, `forecast_origin`, `step`, `prediction`;
    `predict(model-input rows)` → `prediction` per row."""

    def __init__(self, pipeline, feature_columns: list[str], entity: list[str], timestamp: str, label: str,
                 sql: str, check_sql: str, warmup: int, frequency: str):
        super().__init__(pipeline, feature_columns, "forecasting")
        self.entity, self.timestamp, self.label = list(entity), timestamp, label
        self.sql, self.check_sql, self.warmup, self.frequency = sql, check_sql, warmup, frequency

    def predict(self, context, model_input, params=None):
        frame = pd.DataFrame(model_input)
        if STEP in frame.columns and frame[STEP].notna().any():
            return super().predict(context, frame, params)
        missing = [c for c in [*self.entity, self.timestamp, self.label] if c not in frame.columns]
        if missing:
            raise ValueError(f"rows lack {', '.join(missing)}: give series history ({', '.join([*self.entity, self.timestamp, self.label])}) "
                             f"to forecast, or model inputs ({', '.join(self.feature_columns)})")
        return self._forecast(frame[[*self.entity, self.timestamp, self.label]])

    def _forecast(self, history: pd.DataFrame) -> pd.DataFrame:
        import duckdb

        with duckdb.connect() as conn:
            conn.register(HISTORY, history)
            duplicated, off_grid = conn.execute(self.check_sql).fetchone()
            if duplicated or off_grid:
                what = f"{duplicated} (entity, {self.timestamp}) pair(s) appear more than once" if duplicated else \
                    f"{off_grid} {self.timestamp} value(s) are not on the {self.frequency} grid"
                raise ValueError(f"history: {what}; a series has one value per {self.frequency} period")
            rows = conn.execute(f"{self.sql} ORDER BY ALL").df()
        short = rows[rows["__history"] < self.warmup]
        if len(short):
            names = ", ".join(repr(short.iloc[0][c]) for c in self.entity)
            raise ValueError(f"history: series {names} has {int(short.iloc[0]['__history'])} period(s), fewer than the {self.warmup} "
                             "its features need")
        X = rows[self.feature_columns].apply(pd.to_numeric).astype("float64")
        out = rows[[*self.entity, self.timestamp, ORIGIN, STEP]].copy()
        out["prediction"] = self._outputs(self.pipeline, X)["prediction"]
        return out


def _weekday(training_set: TrainingSet) -> int:
    """The weekday (0 = Monday) the training set's periods fall on (weekly series only)."""
    return int(pd.Timestamp(training_set.frame[training_set.timestamp].min()).dayofweek)


def log_forecast_model(pipeline, recipe: ModelRecipe, training_set: TrainingSet, name: str = "model"):
    """Log a ForecastModel into the active run; returns MLflow's ModelInfo."""
    grid = Grid(recipe.forecast.frequency, _weekday(training_set) if recipe.forecast.frequency == "weekly" else 0)
    X_example = training_set.X("train").head(5)
    model = ForecastModel(pipeline, list(X_example.columns), recipe.spine.entity, recipe.spine.timestamp, recipe.spine.label,
                          future_sql(recipe, HISTORY, grid), history_check_sql(recipe, HISTORY, grid), recipe.forecast.warmup,
                          recipe.forecast.frequency)
    example = model_input(X_example, [])
    history = training_set.frame[[*recipe.spine.entity, recipe.spine.timestamp, recipe.spine.label]].head(5)
    features = signature(X_example, [], model.predict(None, example))
    history_inputs = mlflow.models.infer_signature(history).inputs.inputs  # all optional: one or the other kind of rows is given
    both = Schema([*features.inputs.inputs, *(ColSpec(spec.type, spec.name, required=False) for spec in history_inputs)])
    by_value = (sys.modules[__name__], pyfunc, pipeline_module, preprocessing_module)
    for module in by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        return mlflow.pyfunc.log_model(
            name=name, python_model=model, signature=ModelSignature(inputs=both, outputs=features.outputs), input_example=example,
            pip_requirements=[*requirements(recipe.model.class_path), f"duckdb=={_version('duckdb')}"],
        )
    finally:
        for module in by_value:
            cloudpickle.unregister_pickle_by_value(module)


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)
