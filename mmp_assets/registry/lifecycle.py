"""Promotion and rollback of model versions: alias `champion`, four-eyes approval, an audit trail.

A version may become champion only when its quality gate passed (`gate=passed`, set by the
evaluation) and neither the approver nor the user running the command trained it (`mmp.trainer`).
Each champion is pushed onto a stack kept as a registered-model tag, so rollback is one step back
and promote → rollback → promote leaves the aliases exactly as they were. Every approval, alias
move and refusal is appended to the audit log; nothing here rewrites it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mmp_resources.audit_log import AuditLog, current_user
from mmp_resources.audit_log import Refused, same_identity

CHAMPION, PREVIOUS = "champion", "previous_champion"
GATE, HISTORY, TRAINER = "gate", "mmp.champion_history", "mmp.trainer"


class PromotionRefused(Refused):
    """A lifecycle rule forbids the request; the message names the rule and what to do instead."""


def record_gate(client: MlflowClient, name: str, version: str, passed: bool, message: str) -> None:
    client.set_model_version_tag(name, version, GATE, "passed" if passed else "failed")
    client.set_model_version_tag(name, version, "mmp.gate_message", message[:4000])


def trainer_of(client: MlflowClient, name: str, version) -> str | None:
    found = client.get_model_version(name, str(version))
    if found.tags.get(TRAINER):
        return found.tags[TRAINER]
    return client.get_run(found.run_id).data.tags.get("mlflow.user") if found.run_id else None


def history(client: MlflowClient, name: str) -> list[str]:
    return json.loads(client.get_registered_model(name).tags.get(HISTORY, "[]"))


def champion(client: MlflowClient, name: str) -> str | None:
    found = client.get_registered_model(name).aliases.get(CHAMPION)
    return None if found is None else str(found)


def versions(client: MlflowClient, name: str) -> list[dict]:
    """Every version, newest first, with its aliases, gate verdict, trainer and approval."""
    rows = []
    by_version: dict[str, list[str]] = {}  # search results leave aliases empty; the registered model has them
    for alias, number in client.get_registered_model(name).aliases.items():
        by_version.setdefault(str(number), []).append(alias)
    for v in sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: -int(v.version)):
        rows.append({"version": str(v.version), "aliases": sorted(by_version.get(str(v.version), [])), "gate": v.tags.get(GATE, "not evaluated"),
                     "trainer": v.tags.get(TRAINER, "?"), "approved_by": v.tags.get("mmp.approved_by", ""),
                     "approved_at": v.tags.get("mmp.approved_at", ""), "reason": v.tags.get("mmp.approval_reason", ""),
                     "created": datetime.fromtimestamp(v.creation_timestamp / 1000, UTC).isoformat(timespec="seconds")})
    return rows


def promote(client: MlflowClient, audit: AuditLog, name: str, version, *, approver: str, reason: str) -> dict:
    """Move `champion` to `version` after every rule holds; records and raises PromotionRefused otherwise."""
    actor, version = current_user(), str(version)
    refusal = _refusal(client, name, version, approver, actor, reason)
    if refusal:
        audit.append(kind="model", subject=name, action="refuse", actor=actor, request="promote", version=version,
                     approver=approver, reason=reason, refusal=refusal)
        raise PromotionRefused(refusal)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    audit.append(kind="model", subject=name, action="approve", actor=actor, version=version, approver=approver,
                 trainer=trainer_of(client, name, version), reason=reason)
    for key, value in {"mmp.approved_by": approver, "mmp.approved_at": now, "mmp.approval_reason": reason}.items():
        client.set_model_version_tag(name, version, key, value)
    current = champion(client, name)
    stack = history(client, name) or ([current] if current else [])
    return _move(client, audit, name, [*stack, version], actor, action="promote", why=reason)


def rollback(client: MlflowClient, audit: AuditLog, name: str, *, reason: str = "rollback") -> dict:
    """Move `champion` back to the version it replaced, in one step."""
    actor = current_user()
    stack, current = history(client, name), champion(client, name)
    refusal = None
    if len(stack) < 2:
        refusal = f"{name} has no earlier champion to roll back to (history: {stack or 'empty'})"
    elif current != stack[-1]:
        refusal = f"alias champion is v{current} but mmp promoted v{stack[-1]} last; it was moved outside mmp, fix it by hand"
    if refusal:
        audit.append(kind="model", subject=name, action="refuse", actor=actor, request="rollback", reason=reason, refusal=refusal)
        raise PromotionRefused(refusal)
    return _move(client, audit, name, stack[:-1], actor, action="rollback", why=reason)


def _refusal(client: MlflowClient, name: str, version: str, approver: str, actor: str, reason: str) -> str | None:
    try:
        found = client.get_model_version(name, version)
    except MlflowException:
        known = ", ".join(r["version"] for r in _safe_versions(client, name)) or "none"
        return f"model {name!r} has no version {version}; versions: {known}"
    gate = found.tags.get(GATE)
    if gate != "passed":
        return (f"{name} v{version} quality gate is {gate or 'not evaluated'}; only a version whose gate passed can be "
                f"promoted (materialize {name}/evaluation)")
    trainer = trainer_of(client, name, version)
    if not trainer:
        return f"{name} v{version} records no trainer (tag {TRAINER}); four-eyes approval cannot be verified"
    for who, role in ((approver, "approver"), (actor, "user running the command")):
        if same_identity(who, trainer):
            return f"{who} ({role}) trained {name} v{version}; a second person must approve"
    if not reason.strip():
        return "a promotion needs a reason (--reason)"
    if champion(client, name) == version:
        return f"{name} v{version} is already the champion"
    return None


def _move(client: MlflowClient, audit: AuditLog, name: str, stack: list[str], actor: str, *, action: str, why: str) -> dict:
    before = champion(client, name)
    client.set_registered_model_alias(name, CHAMPION, stack[-1])
    if len(stack) > 1:
        client.set_registered_model_alias(name, PREVIOUS, stack[-2])
    elif PREVIOUS in client.get_registered_model(name).aliases:
        client.delete_registered_model_alias(name, PREVIOUS)
    client.set_registered_model_tag(name, HISTORY, json.dumps(stack))
    return audit.append(kind="model", subject=name, action=action, actor=actor, alias=CHAMPION,
                        from_version=before, to_version=stack[-1], reason=why)


def _safe_versions(client: MlflowClient, name: str) -> list[dict]:
    try:
        return versions(client, name)
    except MlflowException:
        return []
