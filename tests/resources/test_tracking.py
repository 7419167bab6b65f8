"""Tracking and registry contract over MLflow on SQLite (embedded) and on PostgreSQL (the dev backend store)."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from mlflow.models import infer_signature

from mmp_resources import MlflowResource
from tests.resources.conftest import write_project


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input["x"] * 2


# one store per implementation for the whole module: creating MLflow's schema is the slow part
@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def tracking(request, tmp_path_factory):
    if request.param == "sqlite":
        uri = "sqlite:///mlflow.db"
    else:
        uri = request.getfixturevalue("pg_services").databases["mlflow"]
    folder = tmp_path_factory.mktemp(f"tracking-{request.param}")
    root, env = write_project(folder, {"mlflow": {"tracking_uri": uri, "experiment_prefix": "contract"}})
    return MlflowResource(project_dir=str(root), env=env)


class TestTrackingStore:
    def test_experiment_is_created_once_with_the_configured_artifact_root(self, tracking):
        first = tracking.experiment_id("fraud")
        assert tracking.experiment_id("fraud") == first
        experiment = tracking.client().get_experiment(first)
        assert experiment.name == "contract/fraud"
        assert experiment.artifact_location == f"{tracking.config.artifact_root}/contract/fraud"

    def test_run_params_metrics_and_tags_round_trip(self, tracking):
        client = tracking.client()
        run = client.create_run(tracking.experiment_id("runs"), tags={"mmp.asset": "fraud/model"})
        client.log_param(run.info.run_id, "depth", "5")
        client.log_metric(run.info.run_id, "roc_auc", 0.81)
        client.set_terminated(run.info.run_id)
        stored = client.get_run(run.info.run_id)
        assert stored.data.params == {"depth": "5"}
        assert stored.data.metrics == {"roc_auc": 0.81}
        assert stored.data.tags["mmp.asset"] == "fraud/model"
        assert tracking.run_url(run.info.experiment_id, run.info.run_id).endswith(run.info.run_id)

    def test_registered_version_alias_tags_and_reload(self, tracking):
        tracking.activate()
        frame = pd.DataFrame({"x": [1.0, 2.0]})
        with mlflow.start_run(experiment_id=tracking.experiment_id("registry")):
            info = mlflow.pyfunc.log_model(
                name="model", python_model=Doubler(), signature=infer_signature(frame, frame["x"] * 2),
                registered_model_name="contract_model", pip_requirements=["mlflow"],  # skip slow inference
            )  # fmt: skip
        client = tracking.client()
        version = info.registered_model_version
        client.set_registered_model_alias("contract_model", "champion", version)
        client.set_model_version_tag("contract_model", version, "mmp.pinned_views", '{"user_profile": 3}')
        by_alias = client.get_model_version_by_alias("contract_model", "champion")
        assert str(by_alias.version) == str(version) and by_alias.tags["mmp.pinned_views"] == '{"user_profile": 3}'
        model = mlflow.pyfunc.load_model("models:/contract_model@champion")
        assert list(model.predict(frame)) == [2.0, 4.0]
        assert [c.name for c in model.metadata.get_input_schema().inputs] == ["x"]
