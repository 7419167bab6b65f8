"""A tiny project for serving: two online views (one column name shared, to exercise the training
naming rule), a model recipe joining them, a pyfunc registered in a SQLite MLflow store, and the
views' latest values either pushed under a private Redis prefix (env `serving`) or materialized into
the offline store of the embedded default (env `base`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


USERS = pd.DataFrame({  # u1's older row must lose to its newer one
    "user_id": ["u1", "u1", "u2"], "ts": pd.to_datetime(["2026-05-01", "2026-06-01", "2026-06-10"]),
    "txn_count": [1, 3, 5], "avg_amount": [10.0, 20.0, 30.0],
})  # fmt: skip
MERCHANTS = pd.DataFrame({"merchant_id": ["m1"], "ts": pd.to_datetime(["2026-06-05"]), "avg_amount": [50.0], "fraud_rate": [0.25]})


def write_serving_project(root: Path, prefix: str) -> None:
    """Env `serving` keeps its stores under data/ with Redis online; `base` (the embedded default) under base-data/."""
    base = yaml.safe_load((REPO / "config" / "base.yaml").read_text(encoding="utf-8"))
    _write(root / "config" / "base.yaml", {**base, "data_dir": str(root / "base-data")})
    _write(root / "config" / f"{ENV}.yaml", {
        "data_dir": str(root / "data"), "online_store": {"kind": "redis", "url": REDIS_URL, "key_prefix": prefix},
    })  # fmt: skip
    pd.DataFrame({"user_id": ["u1"], "merchant_id": ["m1"], "amount": [1.0], "channel": ["pos"],
                  "event_time": pd.to_datetime(["2026-01-01"]), "y": [0]}).to_parquet(root / "events.parquet")  # fmt: skip
    USERS.to_parquet(root / "users.parquet")
    MERCHANTS.to_parquet(root / "merchants.parquet")
    src = {"description": "rows", "owner": "team:test"}
    _write(root / "recipes/sources/events.yaml", {"name": "events", **src, "path": "events.parquet"})
    _write(root / "recipes/sources/users.yaml", {"name": "users", **src, "path": "users.parquet"})
    _write(root / "recipes/sources/merchants.yaml", {"name": "merchants", **src, "path": "merchants.parquet"})
    view = {"description": "v", "owner": "team:test", "timestamp": "ts", "ttl": "30d", "online": True}
    _write(root / "recipes/features/user_profile.yaml", {"name": "user_profile", **view, "entity": "user_id", "source": "users"})
    _write(root / "recipes/features/merchant_profile.yaml", {"name": "merchant_profile", **view, "entity": "merchant_id", "source": "merchants"})
    _write(root / "recipes/toy.yaml", {
        "name": "toy", "description": "toy scorer", "owner": "team:test", "task": "regression",
        "spine": {"source": "events", "entity": "user_id", "timestamp": "event_time", "label": "y", "columns": ["amount", "channel"]},
        "features": [{"view": "user_profile"}, {"view": "merchant_profile", "on": "merchant_id"}],
        "model": {"class_path": "sklearn.linear_model.LinearRegression"}, "tuning": {"metric": "rmse", "n_trials": 1},
    })  # fmt: skip


def register_toy_model(root: Path, alias: str, env: str = ENV) -> str:
    tracking = MlflowResource(project_dir=str(root), env=env)
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
    push_latest(store, views["user_profile"], USERS.iloc[1:], version=1)
    push_latest(store, views["merchant_profile"], MERCHANTS, version=1)


def materialize_views(root: Path) -> None:
    """Both views into the embedded default's offline store, through Dagster as a user would."""
    import dagster as dg

    from mmp_assets.feature_store import build_feature_store_assets
    from mmp_resources import build_resources, load_config

    config = load_config(root, "base")
    assets = build_feature_store_assets(load_recipes(root), config, root)
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, instance=instance, resources=build_resources(config, root),
                                selection=[dg.AssetKey(["features", v]) for v in ("user_profile", "merchant_profile")])  # fmt: skip
    assert result.success


@pytest.fixture(scope="module")
def embedded_project(tmp_path_factory):
    """(root, "base", registered candidate version) with both views materialized into the offline store."""
    root = tmp_path_factory.mktemp("embedded") / "project"
    write_serving_project(root, "unused")
    materialize_views(root)
    yield root, "base", register_toy_model(root, "candidate", env="base")


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


@contextmanager
def running_serve(root: Path, env: str, *args: str) -> Iterator[int]:
    """`mmp serve toy` as its own process on a free loopback port, healthy; yields the port, stops it afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mmp_assets.cli", "serve", "toy", "--port", str(port), *args],
        env={**os.environ, "MMP_PROJECT_DIR": str(root), "MMP_ENV": env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "mmp serve did not become healthy within 90 s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def call(port: int, path: str, body: dict | None = None) -> tuple[int, dict | str]:
    """(status, JSON body or text) of one request to the server on `port`."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    return status, (text if path == "/metrics" else json.loads(text))
