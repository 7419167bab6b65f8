"""Each environment's generated Dagster instance is valid for Dagster and carries no secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster._core.instance.config import dagster_instance_config

from mmp_resources import load_config
from mmp_resources.instance import DAGSTER_PG_URL_ENV, ensure_instance_home, instance_yaml

REPO = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "MMP_DAGSTER_PG_URL": "postgresql://mmp:s3cret-pg@db.internal:5432/mmp_dagster",
    "MMP_IMAGE": "registry.example/mmp:1.0",
    "MMP_MLFLOW_TRACKING_URI": "https://mlflow.internal",
    "MMP_ARTIFACT_ROOT": "s3://mmp-artifacts/mlflow",
    "MMP_OPTUNA_STORAGE": "postgresql://mmp:s3cret-opt@db.internal:5432/mmp_optuna",
    "MMP_REDIS_URL": "redis://:s3cret-redis@redis.internal:6379/0",
    "MMP_DUCKLAKE_CATALOG_URL": "postgresql://mmp:s3cret-lake@db.internal:5432/mmp_lake",
    "MMP_DUCKLAKE_DATA_PATH": "s3://mmp-lake/features/",
}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MMP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(DAGSTER_PG_URL_ENV, raising=False)
    return tmp_path / "data"


def test_base_keeps_history_in_sqlite_under_data_dir(data_dir):
    home = ensure_instance_home(load_config(REPO, "base"), REPO)
    assert home == data_dir / "dagster_home"
    config, _ = dagster_instance_config(str(home))
    assert config["storage"] == {"sqlite": {"base_dir": str(data_dir / "dagster" / "storage")}}
    assert config["concurrency"] == {"pools": {"default_limit": 1}}


def test_dev_reads_the_postgres_url_from_the_environment(data_dir, monkeypatch):
    monkeypatch.setenv("MMP_DAGSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/some_db")
    config = load_config(REPO, "dev")
    assert instance_yaml(config)["storage"] == {"postgres": {"postgres_url": {"env": DAGSTER_PG_URL_ENV}}}
    home = ensure_instance_home(config, REPO)
    dagster_instance_config(str(home))
    assert "some_db" not in (home / "dagster.yaml").read_text()


def test_prod_validates_with_its_variables_and_writes_no_secret(data_dir, monkeypatch):
    for key, value in PROD_ENV.items():
        monkeypatch.setenv(key, value)
    config = load_config(REPO, "prod")
    assert config.artifact_root == "s3://mmp-artifacts/mlflow" and config.optuna_storage.startswith("postgresql://")
    assert config.feature_store.kind == "ducklake" and config.ducklake_data_path == "s3://mmp-lake/features/"
    assert config.feature_store_pool is None
    home = ensure_instance_home(config, REPO)
    launcher = dagster_instance_config(str(home))[0]["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    assert launcher["config"]["job_image"] == "registry.example/mmp:1.0" and launcher["config"]["env_secrets"] == ["mmp-secrets"]
    text = (home / "dagster.yaml").read_text()
    assert "s3cret" not in text and "db.internal" not in text


def test_docker_launcher_is_described_by_config(data_dir, monkeypatch):
    monkeypatch.setenv("MMP_DAGSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/x")
    config = load_config(REPO, "dev")
    launcher = config.dagster.run_launcher.model_copy(update={"kind": "docker", "image": "mmp:dev", "network": "mmp", "env_vars": ["MMP_REDIS_URL"]})
    docker = config.model_copy(update={"dagster": config.dagster.model_copy(update={"run_launcher": launcher})})
    assert instance_yaml(docker)["run_launcher"] == {
        "module": "dagster_docker", "class": "DockerRunLauncher",
        "config": {"image": "mmp:dev", "env_vars": ["MMP_REDIS_URL"], "network": "mmp"},
    }  # fmt: skip


def test_prod_without_its_variables_names_the_missing_one(data_dir, monkeypatch):
    for key in PROD_ENV:
        monkeypatch.delenv(key, raising=False)
    from mmp_resources import MmpValidationError

    with pytest.raises(MmpValidationError, match=r"config/prod\.yaml: .*environment variable MMP_\w+ is not set"):
        load_config(REPO, "prod")


def test_dev_runs_mlflow_auth_by_default_and_auth_needs_a_server(data_dir, monkeypatch):
    """Dev's default is MLflow auth on its tracking server; a tracking URI that is the database itself has no users,
    so `basic` there is one line naming the field, and `MMP_MLFLOW_AUTH=none` is the way out."""
    from mmp_resources import MmpValidationError

    monkeypatch.delenv("MMP_MLFLOW_AUTH", raising=False)
    monkeypatch.delenv("MMP_MLFLOW_TRACKING_URI", raising=False)
    assert load_config(REPO, "dev").mlflow.auth == "basic"
    monkeypatch.setenv("MMP_MLFLOW_TRACKING_URI", "postgresql://postgres:s3cret-ml@127.0.0.1:5432/mmp_mlflow")
    with pytest.raises(MmpValidationError) as caught:
        load_config(REPO, "dev")
    assert str(caught.value) == (
        "config/base.yaml + config/dev.yaml: mlflow: auth 'basic' needs an http:// or https:// tracking_uri (a tracking server "
        "running --app-name basic-auth), not scheme 'postgresql'; set auth: none (MMP_MLFLOW_AUTH=none) for a store without "
        "a server (got a value not shown, as it may hold a secret)")
    monkeypatch.setenv("MMP_MLFLOW_AUTH", "none")
    assert load_config(REPO, "dev").mlflow.auth == "none"
