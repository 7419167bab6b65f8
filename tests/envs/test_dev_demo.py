"""The demo end to end with MMP_ENV=dev: PostgreSQL, Redis and a local MLflow server, checked by
querying those services, not by trusting the code that wrote to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmp_assets.cli.instance import use_instance_home
from mmp_assets.cli.materialize import materialize_selection
from mmp_assets.demo import write_demo_data
from mmp_resources.sandbox import dev_sandbox

pytestmark = [pytest.mark.services, pytest.mark.slow]


def test_demo_lands_in_postgres_redis_and_the_mlflow_server(project: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    dev = project / "config" / "dev.yaml"
    dev.write_text(dev.read_text().replace("hpo:\n", "hpo:\n  max_trials: 2\n", 1))  # the environment caps the search
    monkeypatch.setenv("DAGSTER_HOME", "")  # restored after the test; use_instance_home points it at dev's instance
    write_demo_data(project)
    with dev_sandbox(project / ".mmp", mlflow_server=True, config_root=project) as box:
        use_instance_home(project)
        assert materialize_selection("*") == 0, capsys.readouterr().err[-3000:]

        statuses = [row[0] for row in box.query("dagster", "SELECT status FROM runs")]
        assert statuses.count("SUCCESS") == 2, (statuses, capsys.readouterr().out[-2000:])  # observation + materialization
        materialized = box.query("dagster", "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
        assert materialized[0][0] >= 14

        versions = set(box.query("mlflow", "SELECT name, version FROM model_versions"))
        assert {("fraud", 1), ("spend", 1)} <= versions
        aliases = set(box.query("mlflow", "SELECT name, alias FROM registered_model_aliases"))
        assert {("fraud", "candidate"), ("spend", "candidate")} <= aliases
        assert box.query("optuna", "SELECT count(*) FROM trials")[0][0] >= 4  # 2 per recipe, capped by dev's hpo

        keys = box.redis_keys()
        assert any(":fv:user_profile:" in key for key in keys) and any(":fv:merchant_profile:" in key for key in keys)
