"""`mmp models` end to end through the console entry point, on the project's configured stores."""

from pathlib import Path

from mlflow.tracking import MlflowClient

from mmp_assets.cli.main import main
from mmp_assets.registry.evidence import append_anchored, record_gate
from mmp_resources import load_config
from mmp_resources.audit_log import AuditLog
from tests.command_probe import run_probed

REPO = Path(__file__).resolve().parents[2]


def test_list_promote_refuse_and_rollback(tmp_path, monkeypatch, capsys):
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    (root / "config" / "base.yaml").write_text((REPO / "config" / "base.yaml").read_text())
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    monkeypatch.setenv("MMP_USER", "carol")
    config = load_config(root)
    (config.data_dir).mkdir(parents=True)
    client = MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.registry_uri)
    client.create_registered_model("fraud")
    experiment = client.create_experiment("fraud", artifact_location=(tmp_path / "a").as_uri())
    audit = AuditLog.for_data_dir(config.data_dir)
    for gate in ("passed", "passed", "failed"):
        run = client.create_run(experiment)
        found = client.create_model_version("fraud", source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id,
                                            tags={"mmp.trainer": "alice"})
        append_anchored(client, audit, "fraud", action="register", actor="alice", version=found.version)
        auc = 0.9 if gate == "passed" else 0.6
        record_gate(client, audit, "fraud", found.version, run_id=run.info.run_id, rules={"roc_auc": ">= 0.8"},
                    metrics={"roc_auc": auc}, checks=[], passed=gate == "passed", message=gate)

    assert main(["models", "promote", "fraud", "--version", "1", "--approver", "bob", "--reason", "first"]) == 0
    assert main(["models", "promote", "fraud", "--version", "2", "--approver", "bob", "--reason", "better"]) == 0
    capsys.readouterr()
    assert main(["models", "promote", "fraud", "--version", "3", "--approver", "bob", "--reason", "why not"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "refused: fraud v3 quality gate is failed (roc_auc is 0.6000, needs >= 0.8); only a version whose gate passed can be "
        "promoted (materialize fraud/evaluation)"]
    assert main(["models", "rollback", "fraud"]) == 0
    assert "champion v2 -> v1" in capsys.readouterr().out

    assert main(["models", "list", "fraud"]) == 0
    listed = capsys.readouterr().out
    # the same lines from a fresh process, which imports MLflow's client and no estimator library nor Dagster
    assert run_probed(["models", "list", "fraud"]) == (0, listed, [])
    listing = listed.splitlines()
    assert listing[0].split()[:3] == ["version", "aliases", "gate"]
    assert listing[-1].split()[:4] == ["1", "champion", "passed", "alice"]
    client.set_model_version_tag("fraud", "3", "gate", "passed")  # a flipped tag is shown beside the verified verdict
    assert main(["models", "list", "fraud"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:4] == ["3", "-", "failed", "(tag:"]
    assert main(["models", "list", "nothing"]) == 1
    actions = [e["action"] for e in AuditLog.for_data_dir(config.data_dir).entries(kind="model")]
    assert actions == ["register", "evaluate"] * 3 + ["approve", "promote", "approve", "promote", "refuse", "rollback"]
    assert main(["audit", "verify"]) == 0
    log = AuditLog.for_data_dir(config.data_dir).path
    log.write_text("".join(line + "\n" for line in log.read_text().splitlines()[:-1]))  # drop the rollback entry
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{log}: ends at entry 11, but model fraud tag mmp.audit_head (and 1 more) records entry 12: lines were deleted from its end "
        "or the file was truncated",
        f"{log}: 1 problem(s); the log or the registry was tampered with"]
    assert main(["models", "rollback", "fraud"]) == 1
    assert capsys.readouterr().err.startswith("refused: the audit log fails verification (")
