"""Promotion against someone who can write to MLflow: every mutable tag is rewritten, nothing gets through.

The versions are registered and evaluated as training and the evaluation record them (the `registry`
fixture); the attacks go straight at the real MLflow store with MlflowClient.
"""

import json

import pytest

from mmp_assets.registry.lifecycle import PromotionRefused, promote
from mmp_resources.audit_log import _entry_hash


@pytest.fixture
def carol(monkeypatch):
    monkeypatch.setenv("MMP_USER", "carol")


def refusal(registry, audit, version, approver="bob") -> str:
    with pytest.raises(PromotionRefused) as refused:
        promote(registry, audit, registry.model_name, version, approver=approver, reason="ship it")
    assert "\n" not in str(refused.value)
    assert "champion" not in registry.get_registered_model(registry.model_name).aliases
    return str(refused.value)


def test_flipping_the_gate_tag_from_failed_to_passed_is_refused(registry, audit, carol):
    failed = registry.add_version(gate="failed")
    registry.set_model_version_tag(registry.model_name, failed, "gate", "passed")
    assert refusal(registry, audit, failed) == (
        f"{registry.model_name} v{failed}: tag gate says 'passed' but the evaluation recorded in audit entry 2 says 'failed'; "
        "the tag was edited outside mmp, promotion refused")
    assert audit.entries()[-1]["action"] == "refuse"


def test_a_gate_tag_on_a_version_never_evaluated_is_refused(registry, audit, carol):
    unevaluated = registry.add_version(gate=None)
    registry.set_model_version_tag(registry.model_name, unevaluated, "gate", "passed")
    assert refusal(registry, audit, unevaluated) == (
        f"{registry.model_name} v{unevaluated}: tag gate says 'passed' but no evaluation is recorded in the audit log; "
        "the tag was edited outside mmp, promotion refused")


def test_rewriting_the_stored_evaluation_artifact_is_refused(registry, audit, carol):
    failed = registry.add_version(gate="failed")
    entry = audit.entries()[-1]["details"]
    forged = {"model": registry.model_name, "version": failed, "rules": {}, "metrics": {}, "checks": [], "passed": True, "message": ""}
    registry.log_text(entry["run_id"], json.dumps(forged, sort_keys=True, indent=2), entry["record"])  # same path, new content
    registry.set_model_version_tag(registry.model_name, failed, "gate", "passed")
    assert refusal(registry, audit, failed) == (
        f"{registry.model_name} v{failed}: artifact {entry['record']} does not match the sha256 in the evaluation recorded in "
        "audit entry 2: it was rewritten after the evaluation; promotion refused")


def test_rewriting_the_audit_entry_and_rehashing_the_chain_is_refused(registry, audit, carol):
    failed = registry.add_version(gate="failed")
    lines = audit.path.read_text().splitlines()
    forged, prev = [], "0" * 64
    for line in lines:  # the attacker makes the record say passed and re-hashes the whole chain
        entry = json.loads(line)
        if entry["action"] == "evaluate":
            entry["details"]["gate"] = "passed"
        entry["prev_hash"] = prev
        entry["hash"] = prev = _entry_hash(entry)
        forged.append(json.dumps(entry, sort_keys=True))
    audit.path.write_text("\n".join(forged) + "\n")
    assert audit.verify() == []  # the chain alone is consistent again
    message = refusal(registry, audit, failed)
    assert message.startswith("the audit log fails verification (") and "re-hashed" in message


def test_rewriting_the_trainer_tag_does_not_hide_the_real_trainer(registry, audit, carol):
    version = registry.add_version(trainer="alice")
    registry.set_model_version_tag(registry.model_name, version, "mmp.trainer", "mallory")
    run_id = registry.get_model_version(registry.model_name, version).run_id
    registry.set_tag(run_id, "mlflow.user", "mallory")
    assert refusal(registry, audit, version, approver="alice") == (
        f"alice (approver) trained {registry.model_name} v{version} (per audit entry 1, the registration); a second person must approve")
    # the claimed trainer may not approve either: a rewritten tag can only add people, never remove one
    assert "mallory (approver) trained" in refusal(registry, audit, version, approver="mallory")
    promote(registry, audit, registry.model_name, version, approver="bob", reason="reviewed")
    assert audit.entries(kind="model")[-2]["details"]["trainer"] == "alice"


@pytest.fixture
def own_store(empty_mlflow_db, tmp_path, monkeypatch):
    """A store of the test's own, paired with its audit log as a deployment pairs them (one log per registry):
    `mmp audit verify` reads every anchor in the registry, and the session store holds other tests' logs' anchors."""
    from tests.evaluation.conftest import mlflow_store_at

    (tmp_path / "own").mkdir()
    return mlflow_store_at(tmp_path / "own", empty_mlflow_db)


@pytest.fixture
def own_registry(own_store, audit):
    from tests.evaluation.conftest import registry_in

    return registry_in(own_store, audit, "toy_own")


def test_audit_verify_checks_the_log_against_mlflow(own_registry, audit, carol):
    from mmp_assets.audit.chain import verify_against_mlflow

    registry = own_registry

    v1, v2 = registry.add_version(), registry.add_version()
    promote(registry, audit, registry.model_name, v1, approver="bob", reason="first")
    promote(registry, audit, registry.model_name, v2, approver="bob", reason="second")
    assert verify_against_mlflow(registry, audit).problems == []
    intact = audit.path.read_text()

    audit.path.write_text("".join(line + "\n" for line in intact.splitlines()[:-2]))  # drop the last promotion
    problems = verify_against_mlflow(registry, audit).problems
    assert problems[0].endswith(f"but model {registry.model_name} tag mmp.audit_head (and 1 more) records entry 8: lines were deleted "
                                "from its end or the file was truncated")
    audit.path.unlink()
    assert "the log was deleted" in verify_against_mlflow(registry, audit).problems[0]
    audit.path.write_text(intact)
    assert verify_against_mlflow(registry, audit).problems == []


def test_a_champion_moved_outside_mmp_is_noticed_by_verify_and_rollback(own_registry, audit, carol):
    from mmp_assets.audit.chain import verify_against_mlflow
    from mmp_assets.registry.lifecycle import rollback

    registry = own_registry

    v1, v2, v3 = registry.add_version(), registry.add_version(), registry.add_version()
    promote(registry, audit, registry.model_name, v1, approver="bob", reason="first")
    promote(registry, audit, registry.model_name, v2, approver="bob", reason="second")
    registry.set_registered_model_alias(registry.model_name, "champion", v3)  # straight in MLflow
    moved = f"{registry.model_name}: alias champion is v3 but the last move mmp audited set v2; it was moved outside mmp"
    assert verify_against_mlflow(registry, audit).problems == [moved]
    with pytest.raises(PromotionRefused) as refused:
        rollback(registry, audit, registry.model_name)
    assert str(refused.value) == f"{moved}; rollback refused, promote the version you want with mmp models promote"
    assert str(registry.get_registered_model(registry.model_name).aliases["champion"]) == v3


def test_a_well_chained_line_appended_by_hand_is_not_trusted(registry, audit, carol):
    """Whoever can write the file can append a correctly chained entry; it has no anchor in MLflow."""
    failed = registry.add_version(gate="failed", trainer="alice")
    run_id = registry.get_model_version(registry.model_name, failed).run_id
    forged = {"model": registry.model_name, "version": failed, "rules": {}, "metrics": {}, "checks": [], "passed": True, "message": ""}
    text = json.dumps(forged, sort_keys=True, indent=2)
    registry.log_text(run_id, text, "evaluation/forged.json")
    import hashlib

    audit.append(kind="model", subject=registry.model_name, action="evaluate", version=failed, gate="passed",
                 record="evaluation/forged.json", sha256=hashlib.sha256(text.encode()).hexdigest(), run_id=run_id)
    audit.append(kind="model", subject=registry.model_name, action="register", actor="mallory", version=failed)
    registry.set_model_version_tag(registry.model_name, failed, "gate", "passed")
    assert audit.verify() == []
    assert refusal(registry, audit, failed) == (
        f"{registry.model_name} v{failed}: audit entry 3 (evaluate) has no matching anchor mmp.audit.3 on run {run_id}: "
        "it was not written by mmp where the event happened; promotion refused")
    from mmp_assets.registry.evidence import trainer_of

    assert trainer_of(registry, audit, registry.model_name, failed) == ("alice", "audit entry 1, the registration")


def test_a_record_whose_verdict_does_not_follow_from_its_metrics_is_refused(registry, audit, carol):
    """Even a record written through mmp (hash and anchors intact) is re-checked: its rules on its metrics."""
    from mmp_assets.registry.evidence import record_gate

    version = registry.add_version(gate=None)
    run_id = registry.get_model_version(registry.model_name, version).run_id
    entry = record_gate(registry, audit, registry.model_name, version, run_id=run_id, rules={"roc_auc": ">= 0.8"},
                        metrics={"roc_auc": 0.61}, checks=[], passed=True, message="all 1 rule(s) met")
    assert refusal(registry, audit, version) == (
        f"{registry.model_name} v{version}: the evaluation recorded in audit entry {entry['seq']} says passed, but its rules "
        "applied to its metrics say failed; promotion refused")


def test_relative_rules_are_taken_from_the_record_and_thresholds_recomputed():
    from mmp_assets.registry.evidence import _rederive

    baseline = {"rule": "rmse better than the naive baseline", "actual": 9.0, "passed": False,
                "message": "rmse is 9.0000, not better than the naive baseline's 8.0000"}
    record = {"rules": {"rmse": "<= 10", "max_regression": 0.1}, "metrics": {"rmse": 9.0}, "checks": [baseline]}
    assert _rederive(record) == [baseline["message"]]
    record["metrics"]["rmse"] = 11.0
    assert _rederive(record) == ["rmse is 11.0000, needs <= 10", baseline["message"]]
