import pytest

from mmp_assets.registry.lifecycle import PromotionRefused, promote, rollback
from mmp_assets.registry.versions import versions


def lifecycle(audit):
    """The approval and alias entries (registration and evaluation entries left out)."""
    return [e for e in audit.entries(kind="model") if e["action"] not in ("register", "evaluate")]


def aliases(client):
    return {alias: str(v) for alias, v in client.get_registered_model(client.model_name).aliases.items()}


def test_self_approval_is_refused_and_recorded(registry, audit, monkeypatch):
    version = registry.add_version(trainer="alice@example.com")
    monkeypatch.setenv("MMP_USER", "carol")
    with pytest.raises(PromotionRefused, match="alice .approver. trained toy_.* v1"):
        promote(registry, audit, registry.model_name, version, approver="alice", reason="looks good")
    monkeypatch.setenv("MMP_USER", "Alice@example.com")  # running the command yourself is self-approval too
    with pytest.raises(PromotionRefused, match="user running the command"):
        promote(registry, audit, registry.model_name, version, approver="bob", reason="looks good")
    assert aliases(registry) == {}
    assert [e["action"] for e in lifecycle(audit)] == ["refuse", "refuse"]


def test_failed_or_missing_gate_blocks_promotion(registry, audit, monkeypatch):
    monkeypatch.setenv("MMP_USER", "carol")
    failed, unevaluated = registry.add_version(gate="failed"), registry.add_version(gate=None)
    with pytest.raises(PromotionRefused, match="quality gate is failed"):
        promote(registry, audit, registry.model_name, failed, approver="bob", reason="ship it")
    with pytest.raises(PromotionRefused, match="not evaluated"):
        promote(registry, audit, registry.model_name, unevaluated, approver="bob", reason="ship it")
    with pytest.raises(PromotionRefused, match="no version 9"):
        promote(registry, audit, registry.model_name, 9, approver="bob", reason="ship it")
    assert aliases(registry) == {}


def test_promote_rollback_promote_restores_aliases_exactly_and_audits_every_step(registry, audit, monkeypatch):
    monkeypatch.setenv("MMP_USER", "carol")
    v1, v2 = registry.add_version(), registry.add_version()
    promote(registry, audit, registry.model_name, v1, approver="bob", reason="first champion")
    promote(registry, audit, registry.model_name, v2, approver="bob", reason="better AUC")
    after_promote = aliases(registry)
    assert after_promote == {"champion": v2, "previous_champion": v1}

    rollback(registry, audit, registry.model_name, reason="alerts in production")
    assert aliases(registry) == {"champion": v1}
    with pytest.raises(PromotionRefused, match="no earlier champion"):
        rollback(registry, audit, registry.model_name)

    promote(registry, audit, registry.model_name, v2, approver="dave", reason="fixed upstream")
    assert aliases(registry) == after_promote

    actions = [(e["action"], e["details"].get("from_version"), e["details"].get("to_version")) for e in lifecycle(audit)]
    assert actions == [
        ("approve", None, None), ("promote", None, v1),
        ("approve", None, None), ("promote", v1, v2),
        ("rollback", v2, v1),
        ("refuse", None, None),
        ("approve", None, None), ("promote", v1, v2),
    ]
    assert audit.verify() == []
    listed = {row.version: row for row in versions(registry, registry.model_name)}
    assert listed[v2].aliases == ["champion"] and listed[v2].approved_by == "dave"
    assert listed[v1].gate == "passed" and listed[v1].trainer == "alice"


def test_rollback_of_a_model_that_does_not_exist_is_one_refusal(registry, audit):
    with pytest.raises(PromotionRefused, match="^no registered model 'nothing'; materialize nothing/model first$"):
        rollback(registry, audit, "nothing")
