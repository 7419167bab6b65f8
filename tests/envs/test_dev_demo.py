"""The demo end to end with MMP_ENV=dev: PostgreSQL, Redis, a local MLflow server with its authentication on (dev's
default) and two Celery workers, checked by querying those services, the audit log and the run's event log, not by
trusting the code that wrote to them."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from mmp_assets.cli.instance import use_instance_home
from mmp_assets.cli.materialize import materialize_selection
from mmp_assets.demo import generate_demo_data
from mmp_resources import load_config
from mmp_resources.audit_log import AuditLog
from mmp_resources.sandbox import dev_sandbox
from mmp_resources.workers import CeleryWorkers

pytestmark = [pytest.mark.services, pytest.mark.slow]


def test_demo_lands_in_postgres_redis_and_the_mlflow_server(project: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    dev = project / "config" / "dev.yaml"
    dev.write_text(dev.read_text().replace("hpo:\n", "hpo:\n  max_trials: 2\n", 1))  # the environment caps the search
    monkeypatch.setenv("DAGSTER_HOME", "")  # restored after the test; use_instance_home points it at dev's instance
    # the demo's generator at a quarter of its size: what is checked here is where things land, not the models
    # (tests/test_demo_end_to_end.py runs the full-size demo)
    generate_demo_data(project / "data" / "demo", n_users=500, n_merchants=80, months=3)
    with dev_sandbox(project / ".mmp", mlflow_server=True, config_root=project) as box:
        home = use_instance_home(project)
        config = load_config(project)
        workers = CeleryWorkers(config, project, dagster_home=home)
        try:
            workers.start(2)
            assert materialize_selection("*") == 0, capsys.readouterr().err[-3000:]
        finally:
            workers.stop()
        _assert_steps_ran_in_both_workers(workers, capsys.readouterr().out)

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

        # dev runs MLflow auth: the trainer of record is the sandbox's authenticated MLflow user, on the workers too
        audit = AuditLog.for_data_dir(config.data_dir)
        registered = {(e["subject"], e["actor"], e["details"]["identity_source"]) for e in audit.entries(kind="model")
                      if e["action"] == "register"}
        assert registered == {("fraud", box.user, "mlflow basic-auth"), ("spend", box.user, "mlflow basic-auth")}, registered
        published = {(e["subject"], e["action"], e["actor"], e["details"].get("identity_source"))
                     for e in audit.entries(kind="prompt") if e["action"] in ("register", "evaluate")}
        assert published == {("support_reply", action, box.user, "mlflow basic-auth") for action in ("register", "evaluate")}
        assert {row[0] for row in box.query("mlflow", "SELECT value FROM tags WHERE key = 'mlflow.user' AND run_uuid IN "
                                                       "(SELECT run_id FROM model_versions)")} == {box.user}
        password = box.env["MLFLOW_TRACKING_PASSWORD"]
        leaks = {"audit log": password in audit.path.read_text(),
                 "mlflow tags and params": box.query("mlflow", "SELECT count(*) FROM (SELECT value FROM tags UNION ALL SELECT value "
                                                               "FROM params UNION ALL SELECT value FROM model_version_tags) t "
                                                               "WHERE value LIKE %s", (f"%{password}%",))[0][0] > 0,
                 "dagster event log": box.query("dagster", "SELECT count(*) FROM event_logs WHERE event LIKE %s",
                                                (f"%{password}%",))[0][0] > 0}
        assert not any(leaks.values()), leaks


def _assert_steps_ran_in_both_workers(workers: CeleryWorkers, out: str) -> None:
    """dagster-celery's engine event names the worker that ran each step; STEP_START carries the process id."""
    run_id = next(line.split()[1] for line in out.splitlines() if line.startswith("run ") and " succeeded " in line)
    instance = dg.DagsterInstance.get()
    try:
        records = [r for r in instance.all_logs(run_id) if r.dagster_event is not None]
    finally:
        instance.dispose()
    ran_in = {}
    for record in records:
        if record.dagster_event.event_type_value == "ENGINE_EVENT":
            metadata = record.dagster_event.event_specific_data.metadata or {}
            if "Celery worker" in metadata:
                ran_in[record.step_key] = metadata["Celery worker"].value
    steps = {r.step_key for r in records if r.dagster_event.event_type_value == "STEP_START"}
    assert steps and set(ran_in) == steps, (steps, ran_in)  # every step went through a worker
    assert set(ran_in.values()) == {workers.name(1), workers.name(2)}, ran_in
    pids = {r.dagster_event.pid for r in records if r.dagster_event.event_type_value == "STEP_START"}
    assert len(pids) >= 2 and os.getpid() not in pids, pids
