"""A registration cut short (a version with no `register` audit entry) is found, abandoned once, never promoted;
the audit log decides, not the `mmp.registration` tag. On a real MLflow SQLite store and audit log."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient

from mmp_assets.registry.evidence import model_anchors
from mmp_assets.registry.lifecycle import PromotionRefused, promote
from mmp_assets.registry.registration import abandon, incomplete_refusal, interrupted, latest_complete, state
from mmp_resources.audit_log import AuditLog
from tests.evaluation.conftest import registry_in


@pytest.fixture
def client(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    found = MlflowClient(tracking_uri=uri, registry_uri=uri)
    found.experiment = found.create_experiment("toy", artifact_location=(tmp_path / "artifacts").as_uri())
    return found


def _half_registered(client: MlflowClient, name: str) -> str:
    """What a process killed right after `mlflow.register_model` leaves (here it even got the candidate alias)."""
    run = client.create_run(client.experiment, tags={"mlflow.user": "alice"})
    found = client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id,
                                        tags={"mmp.registration": "pending", "mmp.dagster_run_id": "r-dead"})
    client.set_registered_model_alias(name, "candidate", found.version)
    return str(found.version)


def test_a_half_registered_version_is_abandoned_once_and_never_promoted(client, tmp_path):
    audit = AuditLog.for_data_dir(tmp_path / "data")
    registry = registry_in(client, audit, "toy")
    assert registry.add_version(gate="passed") == "1"
    assert _half_registered(client, "toy") == "2"

    assert [str(v.version) for v in interrupted(client, audit, "toy")] == ["2"]
    assert interrupted(client, audit, "toy", in_progress=lambda run_id: run_id == "r-dead") == []  # still registering
    assert str(latest_complete(client, audit, "toy").version) == "1"
    assert incomplete_refusal(client, audit, "toy", "2") == (
        "toy v2: its registration did not complete (no register entry in the audit log); materialize toy/model to repair the registry")

    line = abandon(client, audit, "toy", client.get_model_version("toy", "2"))

    assert line == ("toy v2: registration of v2 did not complete (run r-dead died); marked incomplete, it can never be promoted; "
                    "alias candidate removed (candidate is v1 again)")
    assert client.get_registered_model("toy").aliases == {"candidate": 1}  # back on the newest complete version
    assert client.get_model_version("toy", "2").tags["mmp.registration"] == "incomplete"
    assert interrupted(client, audit, "toy") == []  # repaired once
    assert audit.verify(model_anchors(client, "toy")) == []  # the abandon entry is chained and anchored
    with pytest.raises(PromotionRefused, match=r"^toy v2: its registration did not complete \(no register entry in the audit "
                                               r"log\); promotion refused$"):
        promote(client, audit, "toy", "2", approver="bob", reason="try it")

    # the tag decides nothing: cleared on the abandoned version, it stays incomplete; set on a complete one, it stays complete
    client.set_model_version_tag("toy", "2", "mmp.registration", "complete")
    assert state(audit, "toy", client.get_model_version("toy", "2")) == "incomplete"
    client.set_model_version_tag("toy", "1", "mmp.registration", "pending")
    assert state(audit, "toy", client.get_model_version("toy", "1")) == "complete"
    assert incomplete_refusal(client, audit, "toy", "1") is None
