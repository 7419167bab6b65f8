"""A tiny project for serving: two online views (one column name shared, to exercise the training
naming rule), a model recipe joining them, a pyfunc registered in a SQLite MLflow store, and the
views' latest values pushed under a private Redis prefix."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema

from mmp_assets.online.push import push_latest
from mmp_assets.recipes import load_recipes
from mmp_resources import MlflowResource, OnlineStoreResource
from mmp_resources.sandbox import REDIS_URL

REPO = Path(__file__).resolve().parents[2]
ENV = "serving"
INPUTS = ["amount", "channel", "txn_count", "user_profile__avg_amount", "merchant_profile__avg_amount", "fraud_rate"]


class ScoreModel(mlflow.pyfunc.PythonModel):
    """prediction = amount + 10·txn_count + 100·fraud_rate: easy to check by hand."""

    def predict(self, context, model_input, params=None):
        frame = pd.DataFrame(model_input).astype({c: float for c in INPUTS if c != "channel"})
        return pd.DataFrame({"prediction": frame["amount"] + 10 * frame["txn_count"] + 100 * frame["fraud_rate"]})


def _write(path: Path, body: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")


def write_serving_project(root: Path, prefix: str) -> None:
    shutil.copy(REPO / "config" / "base.yaml", (root / "config").mkdir(parents=True) or root / "config" / "base.yaml")
    _write(root / "config" / f"{ENV}.yaml", {
        "data_dir": str(root / "data"), "online_store": {"kind": "redis", "url": REDIS_URL, "key_prefix": prefix},
    })  # fmt: skip
    pd.DataFrame({"user_id": ["u1"], "merchant_id": ["m1"], "amount": [1.0], "channel": ["pos"],
                  "event_time": pd.to_datetime(["2026-01-01"]), "y": [0]}).to_parquet(root / "events.parquet")  # fmt: skip
    src = {"description": "rows", "owner": "team:test"}
    _write(root / "recipes/sources/events.yaml", {"name": "events", **src, "path": "events.parquet"})
    view = {"description": "v", "owner": "team:test", "timestamp": "ts", "ttl": "30d", "online": True}
    _write(root / "recipes/features/user_profile.yaml", {"name": "user_profile", **view, "entity": "user_id", "source": "events"})
    _write(root / "recipes/features/merchant_profile.yaml", {"name": "merchant_profile", **view, "entity": "merchant_id", "source": "events"})
    _write(root / "recipes/toy.yaml", {
        "name": "toy", "description": "toy scorer", "owner": "team:test", "task": "regression",
        "spine": {"source": "events", "entity": "user_id", "timestamp": "event_time", "label": "y", "columns": ["amount", "channel"]},
        "features": [{"view": "user_profile"}, {"view": "merchant_profile", "on": "merchant_id"}],
        "model": {"class_path": "sklearn.linear_model.LinearRegression"}, "tuning": {"metric": "rmse", "n_trials": 1},
    })  # fmt: skip


def register_toy_model(root: Path, alias: str) -> str:
    tracking = MlflowResource(project_dir=str(root), env=ENV)
    tracking.client()
    inputs = Schema([ColSpec("string" if c == "channel" else "double", c, required=False) for c in INPUTS])
    signature = ModelSignature(inputs=inputs, outputs=Schema([ColSpec("double", "prediction")]))
    with mlflow.start_run(experiment_id=tracking.experiment_id("toy")):
        info = mlflow.pyfunc.log_model(name="model", python_model=ScoreModel(), signature=signature,
                                       registered_model_name="toy", pip_requirements=["mlflow"])  # fmt: skip
    version = str(info.registered_model_version)
    client = tracking.client()
    client.set_model_version_tag("toy", version, "mmp.pinned_views", '{"merchant_profile": 1, "user_profile": 1}')
    client.set_registered_model_alias("toy", alias, version)
    return version


def push_views(root: Path) -> None:
    store = OnlineStoreResource(project_dir=str(root), env=ENV)
    views = load_recipes(root).views
    push_latest(store, views["user_profile"], pd.DataFrame({
        "user_id": ["u1", "u2"], "ts": pd.to_datetime(["2026-06-01", "2026-06-10"]),
        "txn_count": [3, 5], "avg_amount": [20.0, 30.0],
    }), version=1)  # fmt: skip
    push_latest(store, views["merchant_profile"], pd.DataFrame({
        "merchant_id": ["m1"], "ts": pd.to_datetime(["2026-06-05"]), "avg_amount": [50.0], "fraud_rate": [0.25],
    }), version=1)  # fmt: skip


@pytest.fixture(scope="module")
def serving_project(tmp_path_factory):
    """(root, env, registered candidate version) with the views pushed; Redis keys removed afterwards."""
    root = tmp_path_factory.mktemp("serving") / "project"
    prefix = f"mmp_t{uuid.uuid4().hex[:10]}"
    write_serving_project(root, prefix)
    version = register_toy_model(root, "candidate")
    push_views(root)
    yield root, ENV, version
    store = OnlineStoreResource(project_dir=str(root), env=ENV)
    keys = list(store.client().scan_iter(match=f"{prefix}:*"))
    if keys:
        store.client().delete(*keys)
