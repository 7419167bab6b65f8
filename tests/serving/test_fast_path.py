"""The server's scoring paths on a logged `PipelineModel`: compiled, frame (a step the compiled path does not know)
and the plain pyfunc predict answer alike, and like the fitted Pipeline, row by row."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from mmp_assets.serving import load_served_model
from mmp_assets.training.final import fit_final
from mmp_assets.training.pyfunc import log_pipeline_model
from tests.training.toys import make_recipe, make_training_set

TARGET = {"columns": [{"columns": "colour", "steps": [{"op": "impute", "strategy": "constant"}, {"op": "encode", "method": "target"}]}]}
LOGISTIC = {"class_path": "sklearn.linear_model.LogisticRegression", "params": {}, "search_space": {}}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A real SQLite MLflow store with two registered models: the demo's layout (CatBoost, native categories) and
    one whose target encoder the compiled path does not know."""
    root = tmp_path_factory.mktemp("mlflow")
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    ts = make_training_set(n=240)
    experiment = mlflow.create_experiment("fast-path", artifact_location=(root / "artifacts").as_uri())
    pipelines = {
        "native": fit_final(make_recipe(), ts, {"depth": 3}, threshold=0.4),
        "target": fit_final(make_recipe(model=LOGISTIC, preprocessing=TARGET), ts, {}, threshold=0.4),
    }
    for name, pipe in pipelines.items():
        class_path = "catboost.CatBoostClassifier" if name == "native" else LOGISTIC["class_path"]
        with mlflow.start_run(experiment_id=experiment):
            info = log_pipeline_model(pipe, ts.X("train"), ts.categorical_columns, "classification", class_path)
        version = mlflow.register_model(info.model_uri, name).version
        MlflowClient().set_registered_model_alias(name, "champion", version)
    try:
        yield MlflowClient(), pipelines, ts
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])


def _rows(ts) -> pd.DataFrame:
    X = ts.X("test").reset_index(drop=True).astype({"x1": "float64", "x2": "float64"})
    X.loc[0, :] = None
    X.loc[1, "colour"] = "never-seen"
    return X


@pytest.mark.parametrize(("name", "kind"), [("native", "compiled"), ("target", "frame")])
def test_every_scoring_path_answers_like_the_fitted_pipeline(registry, name, kind):
    client, pipelines, ts = registry
    fast, plain = load_served_model(client, name), load_served_model(client, name, fast_path=False)
    assert (fast.fast_kind, plain.fast_kind) == (kind, None)
    assert fast.describe()["fast_path"] == kind
    X = _rows(ts)
    pipe = pipelines[name]
    expected = {"prediction": pipe.predict(X).tolist(), "probability": pipe.predict_proba(X)[:, 1].tolist()}
    for i in range(len(X)):  # one row per request, as served; None for NULL as the request parser gives it
        columns = {c: [None if pd.isna(v) else v for v in X[c].iloc[[i]].tolist()] for c in X.columns}
        got_fast, got_plain = fast.predict_columns(columns, 1), plain.predict_columns(columns, 1)
        assert got_fast["prediction"] == got_plain["prediction"] == [expected["prediction"][i]]
        np.testing.assert_allclose(got_fast["probability"], [expected["probability"][i]], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got_plain["probability"], [expected["probability"][i]], rtol=0, atol=1e-12)
