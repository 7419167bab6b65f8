"""The logged model: an MLflow pyfunc that takes raw feature rows and returns predictions.

The fitted Pipeline (preprocessing + estimator + threshold/calibration) lives inside, so a
consumer needs no mmp code: this module and the pipeline and preprocessing modules are pickled by value.
"""

from __future__ import annotations

import sys
import warnings
from importlib.metadata import packages_distributions, version

import cloudpickle
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema

import mmp_assets.training.pipeline as pipeline_module
import mmp_assets.training.preprocessing as preprocessing_module
import mmp_assets.training.quantile_model as quantile_module
from mmp_assets.feature_store.contracts import model_input
from mmp_assets.training.quantile_model import quantile_columns


class PipelineModel(mlflow.pyfunc.PythonModel):
    """`predict(raw rows)` → DataFrame: `prediction`, plus `probability` (binary) or `proba_<class>`, or `q<level>`
    (quantiles); for uplift `prediction` is the estimated uplift, with `p_control` and `p_treated`."""

    def __init__(self, pipeline, feature_columns: list[str], task: str):
        self.pipeline, self.feature_columns, self.task = pipeline, list(feature_columns), task

    def predict(self, context, model_input, params=None):
        X = pd.DataFrame(model_input)[self.feature_columns]
        return pd.DataFrame(self._outputs(self.pipeline, X))

    def predict_frame(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        """Outputs for rows already in `feature_columns` order with their model dtypes: the serving fast path.

        Same outputs as `predict`, which stays the plain path for batch scoring; here the rows are
        preprocessed once (not once for `predict` and again for `predict_proba`), and a ColumnTransformer's
        fitted blocks are applied to their columns directly (see docs/decisions.md).
        """
        return self._outputs(self.pipeline[-1], _preprocess(self.pipeline[:-1], X))

    def _outputs(self, model, X) -> dict[str, np.ndarray]:
        """`prediction`, and for classification `probability` (binary) or one `proba_<class>` per class."""
        # CatBoost's multiclass predict answers in an (n, 1) column
        out = {"prediction": np.asarray(model.predict(X)).reshape(len(X))}
        if self.task == "uplift":  # prediction is the estimated uplift; the two potential-outcome scores beside it
            learner, rows = (model[-1], model[:-1].transform(X)) if hasattr(model, "steps") else (model, X)
            out["p_control"], out["p_treated"] = learner.predict_outcomes(rows)
        out.update(quantile_columns(model, X))  # a quantile model: one column per level, `prediction` the median
        if self.task == "classification":
            proba = model.predict_proba(X)
            classes = list(model.classes_)
            if len(classes) == 2:
                out["probability"] = proba[:, 1]
            else:
                for i, label in enumerate(classes):
                    out[f"proba_{label}"] = proba[:, i]
        return out


def _preprocess(steps, X: pd.DataFrame) -> pd.DataFrame:
    """`steps.transform(X)`, with a ColumnTransformer's blocks called directly: its own transform spends
    milliseconds per call on validation, joblib dispatch and output wrapping, the blocks well under one."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    inner = steps
    while isinstance(inner, Pipeline) and len(inner.steps) == 1:
        inner = inner[0]
    if not isinstance(inner, ColumnTransformer) or inner.remainder != "drop" or inner.verbose_feature_names_out:
        return steps.transform(X)
    blocks = []
    for _, transformer, columns in inner.transformers_:
        if transformer == "drop" or len(columns) == 0:
            continue
        block = X[columns] if transformer == "passthrough" else transformer.transform(X[columns])
        if not isinstance(block, pd.DataFrame):  # a block without pandas output: let the ColumnTransformer assemble it
            return steps.transform(X)
        blocks.append(block)
    return pd.concat(blocks, axis=1)


def signature(X: pd.DataFrame, categorical: list[str], output: pd.DataFrame) -> ModelSignature:
    """Every input optional (point-in-time features are null when no snapshot is fresh enough);
    categories as string, numbers and flags as double (see `model_input`, which feeds every caller)."""
    cats = set(categorical)
    inputs = Schema([ColSpec("string" if c in cats else "double", c, required=False) for c in X.columns])
    with warnings.catch_warnings():  # an integer `prediction` is an output, never fed back with nulls
        warnings.simplefilter("ignore", UserWarning)
        outputs = mlflow.models.infer_signature(model_output=output).outputs
    return ModelSignature(inputs=inputs, outputs=outputs)


_DISTRIBUTIONS: dict[str, list[str]] = {}


def _distributions_of(module: str) -> list[str] | None:
    """The installed distributions providing top-level `module`. Scanning every installed distribution takes
    seconds, and a run asks twice per recipe (the pre-tuning check, then logging): the scan is kept for the
    process, and redone once for a module it did not know (a package installed since)."""
    if module not in _DISTRIBUTIONS:
        _DISTRIBUTIONS.clear()
        _DISTRIBUTIONS.update(packages_distributions())
    return _DISTRIBUTIONS.get(module)


def requirements(class_path: str) -> list[str]:
    """Pinned to what trained the model; listing them avoids MLflow's slow inference subprocess.
    ValueError when the class's top-level module belongs to no installed distribution."""
    packages = ["mlflow", "scikit-learn", "pandas", "numpy", "cloudpickle"]
    top = class_path.split(".")[0]
    if top not in ("sklearn", "mmp_assets"):
        found = _distributions_of(top)  # the distribution behind the module: xgboost-cpu here
        if not found:
            raise ValueError(f"module {top!r} of {class_path!r} belongs to no installed distribution, so the logged model "
                             f"cannot name it as a requirement; install it as a package (pip install <package>, or "
                             f"pip install -e <folder> for your own code)")
        packages.append(found[0])
    return [f"{p}=={version(p)}" for p in dict.fromkeys(packages)]


def log_pipeline_model(pipeline, X_example: pd.DataFrame, categorical: list[str], task: str, class_path: str, name: str = "model"):
    """Log into the active run; returns MLflow's ModelInfo."""
    model = PipelineModel(pipeline, list(X_example.columns), task)
    example = model_input(X_example.head(5), categorical)
    # mmp's own modules inside the pipeline; labels.py only when an XGBoost classifier imported it, uplift.py for
    # uplift models, clusterers.py for clustering models
    optional = ("mmp_assets.training.labels", "mmp_assets.training.uplift", "mmp_assets.training.clusterers")
    by_value = (sys.modules[__name__], pipeline_module, preprocessing_module, quantile_module,
                *filter(None, map(sys.modules.get, optional)))
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
