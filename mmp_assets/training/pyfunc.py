"""The logged model: an MLflow pyfunc that takes raw feature rows and returns predictions.

The fitted Pipeline (preprocessing + estimator + threshold/calibration) lives inside, so a
consumer needs no mmp code: this module and the pipeline and preprocessing modules are pickled by value.
"""

from __future__ import annotations

import sys
import warnings
from importlib.metadata import version

import cloudpickle
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema

import mmp_assets.training.pipeline as pipeline_module
import mmp_assets.training.preprocessing as preprocessing_module


class PipelineModel(mlflow.pyfunc.PythonModel):
    """`predict(raw rows)` → DataFrame: `prediction`, plus `probability` (binary) or `proba_<class>`."""

    def __init__(self, pipeline, feature_columns: list[str], task: str):
        self.pipeline, self.feature_columns, self.task = pipeline, list(feature_columns), task

    def predict(self, context, model_input, params=None):
        X = pd.DataFrame(model_input)[self.feature_columns]
        # CatBoost's multiclass predict answers in an (n, 1) column
        out = pd.DataFrame({"prediction": np.asarray(self.pipeline.predict(X)).reshape(len(X))})
        if self.task == "classification":
            proba = self.pipeline.predict_proba(X)
            classes = list(self.pipeline.classes_)
            if len(classes) == 2:
                out["probability"] = proba[:, 1]
            else:
                for i, label in enumerate(classes):
                    out[f"proba_{label}"] = proba[:, i]
        return out


def signature(X: pd.DataFrame, categorical: list[str], output: pd.DataFrame) -> ModelSignature:
    """Every input optional (point-in-time features are null when no snapshot is fresh enough);
    numbers as double so integer columns that arrive with nulls still pass."""
    cats = set(categorical)
    inputs = Schema([ColSpec("string" if c in cats else "double", c, required=False) for c in X.columns])
    with warnings.catch_warnings():  # an integer `prediction` is an output, never fed back with nulls
        warnings.simplefilter("ignore", UserWarning)
        outputs = mlflow.models.infer_signature(model_output=output).outputs
    return ModelSignature(inputs=inputs, outputs=outputs)


def requirements(class_path: str) -> list[str]:
    """Pinned to what trained the model; listing them avoids MLflow's slow inference subprocess."""
    packages = ["mlflow", "scikit-learn", "pandas", "numpy", "cloudpickle"]
    top = class_path.split(".")[0]
    if top not in ("sklearn", "mmp_assets"):
        packages.append({"catboost": "catboost", "lightgbm": "lightgbm", "xgboost": "xgboost"}.get(top, top))
    return [f"{p}=={version(p)}" for p in packages]


def log_pipeline_model(pipeline, X_example: pd.DataFrame, categorical: list[str], task: str, class_path: str, name: str = "model"):
    """Log into the active run; returns MLflow's ModelInfo."""
    model = PipelineModel(pipeline, list(X_example.columns), task)
    example = X_example.head(5)
    by_value = (sys.modules[__name__], pipeline_module, preprocessing_module)
    for module in by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=model,
            signature=signature(X_example, categorical, model.predict(None, example)),
            input_example=example,
            pip_requirements=requirements(class_path),
        )
    finally:
        for module in by_value:
            cloudpickle.unregister_pickle_by_value(module)
