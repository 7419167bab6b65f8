"""Synthetic, time-ordered data with one planted strong feature, and the models fitted on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.preprocessing import OneHotEncoder

from mmp_assets.feature_store.contracts import TrainingSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.evaluation.report import ModelUnderTest
from mmp_assets.evaluation.scores import estimator_predictor

FEATURES = ["strong", "weak", "noise", "channel"]


@pytest.fixture(autouse=True, scope="session")
def _one_thread_per_fit():
    """OpenMP fits (HistGradientBoosting, CatBoost) spin on every core; with other suites sharing two
    cores that turns a 0.1 s fit into seconds, so this suite fits single-threaded."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def synthetic_frame(n: int = 1200, seed: int = 0, task: str = "classification") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "user_id": rng.integers(0, 200, n),
        "event_time": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 180, n)), unit="D"),
        "strong": rng.normal(size=n),
        "weak": rng.normal(size=n),
        "noise": rng.normal(size=n),
        "channel": rng.choice(["online", "pos", "atm"], n),
    })
    signal = 3.0 * frame["strong"] + 0.3 * frame["weak"] + 0.2 * (frame["channel"] == "online")
    if task == "classification":
        frame["label"] = (signal + rng.normal(size=n) > 1.0).astype(int)
    else:
        frame["label"] = 50 + 10 * signal + rng.normal(scale=2.0, size=n)
    split = np.where(np.arange(n) < 0.7 * n, "train", np.where(np.arange(n) < 0.8 * n, "validation", "test"))
    frame["split"] = split
    return frame


def training_set(frame: pd.DataFrame, recipe: str = "toy") -> TrainingSet:
    return TrainingSet(recipe=recipe, version=1, content_hash="abc123", frame=frame, entity=["user_id"],
                       timestamp="event_time", label="label", feature_columns=FEATURES,
                       categorical_columns=["channel"], pinned_views={"profile": 3})


def make_pipeline(task: str = "classification", **params):
    prep = ColumnTransformer([("num", "passthrough", ["strong", "weak", "noise"]),
                              ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["channel"])])
    model = (HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor)(
        max_iter=params.pop("max_iter", 40), random_state=0, **params)
    from sklearn.pipeline import Pipeline

    return Pipeline([("prep", prep), ("model", model)])


CONTEXT = ModelUnderTest(model_version="1", trainer="alice", run_id="r1", code_version="c1",
                         training_set_version=1, training_set_hash="abc123", pinned_views={"profile": 3})
FOREST = {"class_path": "sklearn.ensemble.RandomForestClassifier",
          "params": {"n_estimators": 15, "max_depth": 4, "random_state": 0, "n_jobs": 1}}


def with_model(recipe, **model):
    return recipe.model_copy(update={"model": recipe.model.model_copy(update=model)})


def multiclass(frame, shares=(0.45, 0.35, 0.2), names=(0, 1, 2)):
    """Relabel by quantiles of the planted signal: class k holds shares[k] of the rows."""
    cuts = np.quantile(frame["strong"], np.cumsum(shares)[:-1])
    frame["label"] = np.asarray(names, dtype=object)[np.digitize(frame["strong"], cuts)]
    if all(isinstance(n, int) for n in names):
        frame["label"] = frame["label"].astype(int)
    return frame


def pyfunc(pipeline):
    """The logged model's answer (the pyfunc class, without an MLflow round trip) as a predictor."""
    from mmp_assets.training.pyfunc import PipelineModel

    model = PipelineModel(pipeline, FEATURES, "classification")
    return lambda X: model.predict(None, X).set_axis(X.index)


def recipe_for(task: str = "classification", **evaluation) -> ModelRecipe:
    metric = "roc_auc" if task == "classification" else "rmse"
    return ModelRecipe.model_validate({
        "name": "toy", "description": "A toy model for tests.", "owner": "team:tests", "task": task,
        "spine": {"source": "events", "entity": "user_id", "timestamp": "event_time", "label": "label"},
        "split": {"strategy": "temporal", "validation": 0.1, "test": 0.2, "seed": 3},
        "model": {"class_path": "sklearn.ensemble.HistGradientBoostingClassifier"},
        "tuning": {"metric": metric, "n_trials": 1},
        "evaluation": {"metrics": [metric], "bootstrap": 50, "shap_sample": 100, **evaluation},
    })


@pytest.fixture(scope="session")
def toy_classification():
    frame = synthetic_frame()
    ts = training_set(frame)
    pipeline = make_pipeline().fit(ts.X("train"), ts.y("train"))
    return ts, pipeline, estimator_predictor(pipeline, "classification")


@pytest.fixture(scope="session")
def toy_regression():
    frame = synthetic_frame(task="regression")
    ts = training_set(frame)
    pipeline = make_pipeline("regression").fit(ts.X("train"), ts.y("train"))
    return ts, pipeline, estimator_predictor(pipeline, "regression")


@pytest.fixture(scope="session")
def empty_mlflow_db(tmp_path_factory):
    """An empty, migrated MLflow SQLite file to copy (creating its tables costs seconds, copying it nothing)."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow_empty") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}", registry_uri=f"sqlite:///{path}").search_experiments()
    return path


def mlflow_store_at(root, empty_db):
    """A real MLflow SQLite store in `root`, copied from the migrated empty one, with experiment `toy`."""
    import shutil

    from mlflow.tracking import MlflowClient

    shutil.copy(empty_db, root / "mlflow.db")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.experiment = client.create_experiment("toy", artifact_location=(root / "artifacts").as_uri())
    client.uri = uri
    return client


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory, empty_mlflow_db):
    """One real MLflow SQLite store for the session."""
    return mlflow_store_at(tmp_path_factory.mktemp("mlflow"), empty_mlflow_db)


@pytest.fixture
def audit(tmp_path):
    from mmp_resources.audit_log import AuditLog

    return AuditLog.for_data_dir(tmp_path / "data")


@pytest.fixture
def registry(mlflow_store, audit, request):
    """A fresh registered model (`registry.model_name`) whose versions are registered by alice, as training
    records them (audit entry + anchors), and evaluated as the evaluation records it (gate record)."""
    return registry_in(mlflow_store, audit, "toy_" + request.node.name.removeprefix("test_")[:40])


def registry_in(client, audit, name: str):
    from mmp_assets.registry.evidence import append_anchored, record_gate

    client.create_registered_model(name)

    def add_version(gate: str | None = "passed", trainer: str = "alice") -> str:
        run = client.create_run(client.experiment, tags={"mlflow.user": trainer})
        found = client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id,
                                            tags={"mmp.trainer": trainer})
        version = str(found.version)
        append_anchored(client, audit, name, action="register", actor=trainer, version=version)
        if gate:
            auc = 0.9 if gate == "passed" else 0.6
            message = "all 1 rule(s) met" if gate == "passed" else f"quality gate failed: roc_auc is {auc:.4f}, needs >= 0.8"
            record_gate(client, audit, name, version, run_id=run.info.run_id, rules={"roc_auc": ">= 0.8"},
                        metrics={"roc_auc": auc}, passed=gate == "passed", message=message,
                        checks=[{"rule": "roc_auc >= 0.8", "actual": auc, "passed": gate == "passed",
                                 "message": f"roc_auc is {auc:.4f}, needs >= 0.8"}])
        return version

    client.model_name, client.add_version = name, add_version
    return client
