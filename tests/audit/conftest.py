"""One trained, gated and promoted model version of the tiny project, on the project's own Dagster
instance (so `mmp lineage audit` in the same process reads the same event log), shared by the audit tests."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from tests.automation.conftest import tiny_project  # noqa: F401 - shared fixture
from tests.automation.synthetic import build_project, materialize, project_definitions

ENV = ("MMP_PROJECT_DIR", "MMP_DATA_DIR", "MMP_ENV", "MMP_USER", "DAGSTER_HOME", "MMP_ALERT_WEBHOOK_URL")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """(project root, instance): alpha v1 trained by alice, gate passed, promoted by bob with carol approving."""
    from mmp_assets.cli.instance import use_instance_home

    root = build_project(tmp_path_factory.mktemp("audit") / "project")
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(MMP_PROJECT_DIR=str(root), MMP_DATA_DIR=str(root / ".mmp"), MMP_USER="alice")
    os.environ.pop("MMP_ENV", None)
    os.environ.pop("MMP_ALERT_WEBHOOK_URL", None)
    try:
        use_instance_home(root)
        with dg.DagsterInstance.get() as instance:
            defs = project_definitions(root)
            assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
            assert materialize(defs, instance, ["features/user_view", "alpha/training_set", "alpha/model"]).success
            _gate_and_promote(root)
            yield root, instance
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def _gate_and_promote(root: Path) -> None:
    from mmp_assets.registry.evidence import record_gate
    from mmp_assets.registry.lifecycle import promote
    from mmp_resources import build_resources, load_config
    from mmp_resources.audit_log import AuditLog

    config = load_config(root)
    client = build_resources(config, root)["mlflow"].client()
    audit = AuditLog.for_data_dir(config.data_dir)
    run_id = client.get_model_version("alpha", "1").run_id
    record_gate(client, audit, "alpha", "1", run_id=run_id, rules={}, metrics={"roc_auc": 0.7}, checks=[], passed=True,
                message="no rules configured")
    os.environ["MMP_USER"] = "bob"
    promote(client, audit, "alpha", 1, approver="carol", reason="beats the baseline")
