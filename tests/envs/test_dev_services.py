"""MMP_ENV=dev on private PostgreSQL databases and a private Redis prefix: what the platform writes is
checked by querying the services themselves, not by asking the code that wrote it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import mlflow
import optuna
import pytest

from mmp_resources import MlflowResource, StudyStorageResource, load_config
from mmp_resources.instance import ensure_instance_home
from mmp_resources.sandbox import dev_sandbox
from mmp_resources.postgres import ensure_databases

pytestmark = pytest.mark.services
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One private dev environment for the module, with `mlflow server` started as `mmp services up` does."""
    with dev_sandbox(tmp_path_factory.mktemp("dev") / "data", mlflow_server=True, config_root=REPO) as box:
        yield box


def test_dagster_run_history_lands_in_postgres(sandbox):
    config = load_config(REPO, "dev")
    home = ensure_instance_home(config, REPO)
    assert sandbox.databases["dagster"] not in (home / "dagster.yaml").read_text()  # read from the env, never written

    @dg.asset(pool=config.dagster.duckdb_pool)
    def tiny() -> int:
        return 1

    instance = dg.DagsterInstance.from_config(str(home))
    try:
        result = dg.materialize([tiny], instance=instance)
        assert instance.event_log_storage.get_pool_config().default_pool_limit == 1
    finally:
        instance.dispose()
    rows = sandbox.query("dagster", "SELECT status FROM runs WHERE run_id = %s", (result.run_id,))
    assert rows == [("SUCCESS",)]
    events = sandbox.query("dagster", "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'", (result.run_id,))
    assert events == [(1,)]


def test_mlflow_runs_models_and_artifacts_land_in_postgres_and_data_dir(sandbox):
    tracking = MlflowResource(project_dir=str(REPO), env="dev")
    assert tracking.config.tracking_uri.startswith("http://127.0.0.1:")  # through the server, not the database
    tracking.activate()
    with mlflow.start_run(experiment_id=tracking.experiment_id("envs")) as run:
        mlflow.log_param("depth", 4)
        mlflow.log_metric("roc_auc", 0.9)
        mlflow.log_text("hello", "notes.txt")
    client = tracking.client()
    client.create_registered_model("envs_model")
    client.create_model_version("envs_model", f"runs:/{run.info.run_id}/notes.txt", run_id=run.info.run_id)
    client.set_registered_model_alias("envs_model", "champion", "1")
    assert sandbox.query("mlflow", "SELECT key, value FROM params WHERE run_uuid = %s", (run.info.run_id,)) == [("depth", "4")]
    assert sandbox.query("mlflow", "SELECT key, value FROM metrics WHERE run_uuid = %s", (run.info.run_id,)) == [("roc_auc", 0.9)]
    assert sandbox.query("mlflow", "SELECT name, alias, version FROM registered_model_aliases") == [("envs_model", "champion", 1)]
    assert list((sandbox.data_dir / "mlartifacts").rglob("notes.txt"))
    assert (sandbox.data_dir / "services" / "mlflow.pid").is_file()


def test_optuna_trials_land_in_postgres(sandbox):
    studies = StudyStorageResource(project_dir=str(REPO), env="dev")
    assert studies.kind == "rdb"
    study = optuna.create_study(study_name="envs", storage=studies.storage())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    rows = sandbox.query("optuna", "SELECT s.study_name, count(*) FROM trials t JOIN studies s USING (study_id) GROUP BY 1")
    assert rows == [("envs", 3)]


def test_databases_are_created_once(sandbox):
    config = load_config(REPO, "dev")
    assert ensure_databases(config) == []  # the sandbox created them; a second `services up` creates nothing
    sandbox.query("dagster", "SELECT 1")
