"""Four-eyes approval and rollback against a real MLflow SQLite store."""

from __future__ import annotations

import pytest

from mmp_assets.prompts.governance import ApprovalRefused, approve, rollback
from mmp_resources.audit_log import same_identity
from tests.prompts.helpers import edited, publish, publish_and_evaluate, two_approved_versions


def test_author_cannot_approve(mlflow_resource, registry, audit, recipes, monkeypatch):
    publish_and_evaluate(mlflow_resource, audit, recipes, recipes.prompts["support_reply"])
    with pytest.raises(ApprovalRefused, match="alice .approver. is the author"):
        approve(registry, audit, "support_reply", 1, approver="alice")
    with pytest.raises(ApprovalRefused, match="is the author"):  # the owner team approving itself
        approve(registry, audit, "support_reply", 1, approver="team:support-ml")
    with pytest.raises(ApprovalRefused, match="alice .user running the command. is the author"):
        approve(registry, audit, "support_reply", 1, approver="bob")  # alice naming someone else

    assert "production" not in registry.aliases("support_reply")
    refusals = [e for e in audit.entries(subject="support_reply") if e["action"] == "refuse"]
    assert len(refusals) == 3 and all(e["details"]["request"] == "approve" for e in refusals)


def test_unevaluated_and_failed_versions_cannot_be_approved(mlflow_resource, registry, audit, recipes, monkeypatch):
    publish(registry, audit, recipes.prompts["support_reply"])
    publish_and_evaluate(mlflow_resource, audit, recipes, recipes.prompts["support_reply_casual"])
    monkeypatch.setenv("MMP_USER", "bob")

    with pytest.raises(ApprovalRefused, match="evaluation is unevaluated"):
        approve(registry, audit, "support_reply", 1)
    with pytest.raises(ApprovalRefused, match="evaluation is failed"):
        approve(registry, audit, "support_reply_casual", 1)
    with pytest.raises(ApprovalRefused, match="has no version 9"):
        approve(registry, audit, "support_reply", 9)
    assert registry.aliases("support_reply_casual") == {"candidate": 1}


def test_approve_then_rollback_restores_previous_production(mlflow_resource, registry, audit, recipes, monkeypatch):
    prompt = recipes.prompts["support_reply"]
    publish_and_evaluate(mlflow_resource, audit, recipes, prompt)
    monkeypatch.setenv("MMP_USER", "bob")
    approve(registry, audit, "support_reply", 1)
    monkeypatch.setenv("MMP_USER", "alice")
    publish_and_evaluate(mlflow_resource, audit, recipes, edited(prompt, "\nKeep it short."))
    monkeypatch.setenv("MMP_USER", "carol")
    approved = approve(registry, audit, "support_reply", 2, approver="carol")
    assert approved.tags["mmp.approved_by"] == "carol"
    assert registry.aliases("support_reply") == {"candidate": 2, "production": 2}

    assert rollback(registry, audit, "support_reply") == (2, 1)
    assert registry.aliases("support_reply")["production"] == 1
    with pytest.raises(ApprovalRefused, match="no earlier production version"):
        rollback(registry, audit, "support_reply")
    assert registry.aliases("support_reply")["production"] == 1
    actions = [e["action"] for e in audit.entries(subject="support_reply")]
    assert actions[-3:] == ["rollback", "alias", "refuse"]


def test_rollback_refuses_when_production_was_moved_outside_mmp(mlflow_resource, registry, audit, recipes, monkeypatch):
    two_approved_versions(mlflow_resource, registry, audit, recipes, monkeypatch)
    registry.set_alias("support_reply", "production", 1)  # someone used the MLflow UI
    with pytest.raises(ApprovalRefused, match="moved outside mmp"):
        rollback(registry, audit, "support_reply")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("alice", "ALICE", True), ("alice", "alice@shop.example", True), ("support-ml", "team:support-ml", True),
     ("bob", "alice@shop.example", False), ("bob", "team:support-ml", False)],
)
def test_identity_matching(a, b, same):
    assert same_identity(a, b) is same


def test_flipping_the_evaluation_tag_or_the_author_tag_changes_nothing(mlflow_resource, registry, audit, recipes, monkeypatch):
    publish_and_evaluate(mlflow_resource, audit, recipes, recipes.prompts["support_reply_casual"])  # its evaluation fails
    registry.tag("support_reply_casual", 1, {"mmp.evaluation": "passed", "mmp.author": "mallory", "mmp.owner": "mallory"})
    monkeypatch.setenv("MMP_USER", "bob")
    seq = next(e["seq"] for e in audit.entries(subject="support_reply_casual") if e["action"] == "evaluate")
    with pytest.raises(ApprovalRefused) as refused:
        approve(registry, audit, "support_reply_casual", 1)
    assert str(refused.value) == (f"support_reply_casual v1: tag mmp.evaluation says 'passed' but the evaluation recorded in "
                                  f"audit entry {seq} says 'failed'; the tag was edited outside mmp, approval refused")
    with pytest.raises(ApprovalRefused, match=r"alice \(approver\) is the author of support_reply_casual v1 \(alice\)"):
        approve(registry, audit, "support_reply_casual", 1, approver="alice")  # the registration record still names alice
    assert "production" not in registry.aliases("support_reply_casual")


def test_rewriting_the_evaluation_entry_and_rehashing_the_chain_is_refused(mlflow_resource, registry, audit, recipes, monkeypatch):
    import json

    from mmp_resources.audit_log import _entry_hash

    publish_and_evaluate(mlflow_resource, audit, recipes, recipes.prompts["support_reply_casual"])
    forged, prev = [], "0" * 64
    for line in audit.path.read_text().splitlines():
        entry = json.loads(line)
        if entry["action"] == "evaluate":
            entry["details"]["verdict"] = "passed"
        entry["prev_hash"], entry["hash"] = prev, None
        entry["hash"] = prev = _entry_hash(entry)
        forged.append(json.dumps(entry, sort_keys=True))
    audit.path.write_text("\n".join(forged) + "\n")
    registry.tag("support_reply_casual", 1, {"mmp.evaluation": "passed"})
    monkeypatch.setenv("MMP_USER", "bob")
    with pytest.raises(ApprovalRefused, match=r"^the audit log fails verification \(.*re-hashed\)"):
        approve(registry, audit, "support_reply_casual", 1)


def test_an_evaluation_line_appended_by_hand_is_not_trusted(mlflow_resource, registry, audit, recipes, monkeypatch):
    outcome = publish_and_evaluate(mlflow_resource, audit, recipes, recipes.prompts["support_reply_casual"])
    forged = audit.append(kind="prompt", subject="support_reply_casual", action="evaluate", version=1, verdict="passed",
                          mlflow_run_id=outcome.run_id)
    registry.tag("support_reply_casual", 1, {"mmp.evaluation": "passed"})
    monkeypatch.setenv("MMP_USER", "bob")
    with pytest.raises(ApprovalRefused) as refused:
        approve(registry, audit, "support_reply_casual", 1)
    assert str(refused.value) == (f"support_reply_casual v1: audit entry {forged['seq']} (evaluate) has no matching anchor "
                                  f"mmp.audit.{forged['seq']} on run {outcome.run_id}: it was not written by mmp where the "
                                  "event happened; approval refused")
