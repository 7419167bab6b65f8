"""What the logged model takes: every column type a training set can hold, with and without NULLs,
logged, reloaded from MLflow and fed both the training rows and rows typed differently at scoring time."""

from __future__ import annotations

import duckdb
import mlflow
import numpy as np
import pandas as pd

from mmp_assets.feature_store.contracts import TrainingSet, model_input
from mmp_assets.training.final import fit_final
from mmp_assets.training.pyfunc import log_pipeline_model
from tests.training.toys import make_recipe

ROWS = """
SELECT i AS row_id, TIMESTAMP '2024-01-01' + to_hours(i) AS event_time,
       i % 7 AS visits,                                         -- BIGINT, never NULL
       CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 END AS tenure,  -- BIGINT with NULLs
       i % 2 = 0 AS is_new,                                     -- BOOLEAN
       CASE WHEN i % 11 = 0 THEN NULL ELSE ['red', 'green', 'blue'][i % 3 + 1] END AS colour,
       (['a', 'b'][i % 2 + 1])::ENUM ('a', 'b') AS tier,        -- ENUM: a pandas category
       random() AS noise,
       CASE WHEN (i % 7) + (i % 3) > 4 THEN 1 ELSE 0 END AS is_bad,
       CASE WHEN i < 180 THEN 'train' WHEN i < 240 THEN 'validation' ELSE 'test' END AS split
FROM range(300) t(i)
"""
FEATURES = ["visits", "tenure", "is_new", "colour", "tier", "noise"]
CATEGORICAL = ["is_new", "colour", "tier"]


def test_every_column_type_logs_reloads_and_scores(mlflow_tracking):
    conn = duckdb.connect()
    conn.execute("SELECT setseed(0.5)")
    raw = conn.execute(ROWS).df()
    assert str(raw["visits"].dtype) == "int64" and str(raw["tenure"].dtype) == "Int64" and str(raw["tier"].dtype) == "category"
    frame = raw.copy()
    frame[FEATURES] = model_input(raw[FEATURES], CATEGORICAL)  # what load_training_set hands over
    ts = TrainingSet(recipe="toy", version=1, content_hash="0" * 64, frame=frame, entity=["row_id"], timestamp="event_time",
                     label="is_bad", feature_columns=FEATURES, categorical_columns=CATEGORICAL)
    recipe = make_recipe(model={"class_path": "sklearn.ensemble.RandomForestClassifier",
                                "params": {"n_estimators": 10, "max_depth": 3, "random_state": 0}, "search_space": {}},
                         preprocessing={"categorical": {"impute": "constant", "encode": "onehot"}})
    pipeline = fit_final(recipe, ts, {})
    with mlflow.start_run(experiment_id=mlflow_tracking):
        # the raw DuckDB frame, as a caller that skipped model_input would pass it
        info = log_pipeline_model(pipeline, raw[FEATURES], CATEGORICAL, "classification", recipe.model.class_path)
    model = mlflow.pyfunc.load_model(info.model_uri)
    types = {spec.name: spec.type.name for spec in model.metadata.get_input_schema().inputs}
    assert types == {"visits": "double", "tenure": "double", "is_new": "string", "colour": "string", "tier": "string", "noise": "double"}
    expected = pipeline.predict_proba(ts.X("test"))[:, 1]
    assert np.allclose(model.predict(ts.X("test"))["probability"], expected)
    # scoring rows where the NULL-free column now has a NULL and the NULL-bearing one has none
    later = raw[FEATURES].tail(10).copy()
    later["visits"] = pd.array([None] + list(later["visits"][1:]), dtype="Int64")
    later["tenure"] = later["tenure"].fillna(0).astype("int64")
    assert model.predict(model_input(later, CATEGORICAL))["probability"].between(0, 1).all()


def test_what_would_fail_after_the_search_is_refused_before_it(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    import pytest

    from mmp_assets.training.tuning import tune_model
    from mmp_resources.errors import MmpValidationError
    from mmp_resources.loader import load_config
    from mmp_resources.studies import StudyStorageResource
    from mmp_resources.tracking import MlflowResource
    from tests.training.toys import make_training_set

    (tmp_path / "local_models.py").write_text("from sklearn.linear_model import LogisticRegression\n\n\n"
                                              "class MyModel(LogisticRegression):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    shutil.copytree(Path(__file__).resolve().parents[2] / "config", tmp_path / "config")
    monkeypatch.setenv("MMP_DATA_DIR", str(tmp_path / ".mmp"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    recipe = make_recipe(model={"class_path": "local_models.MyModel", "params": {}, "search_space": {"C": {"type": "float", "low": 0.1, "high": 1}}},
                         preprocessing={"categorical": {"impute": "constant", "encode": "onehot"}})
    ts = make_training_set(120)
    ts.frame["signup"] = pd.Timestamp("2024-01-01")  # a date feature: no preprocessing step takes it
    ts.feature_columns.append("signup")
    mlflow_resource = MlflowResource(project_dir=str(tmp_path), env="base")
    with pytest.raises(MmpValidationError) as refused:
        tune_model(recipe, ts, config=load_config(tmp_path, "base"), dagster_run_id="r", asset_key="toy/model",
                   study_storage=StudyStorageResource(project_dir=str(tmp_path), env="base"),
                   mlflow_resource=mlflow_resource, recipe_file="recipes/toy.yaml")
    assert str(refused.value).splitlines() == [
        "recipes/toy.yaml: model.class_path: module 'local_models' of 'local_models.MyModel' belongs to no installed distribution, "
        "so the logged model cannot name it as a requirement; install it as a package (pip install <package>, or pip install -e <folder> for your own code)",
        "recipes/toy.yaml: features: column 'signup' holds date/time values, which no preprocessing step takes; models read numbers and "
        "categories: derive a number from it in SQL (such as date_diff('day', signup_date, event_time)) or drop it",
    ]
    assert not list((tmp_path / ".mmp").glob("**/*.db"))  # refused before MLflow or Optuna stores were touched
