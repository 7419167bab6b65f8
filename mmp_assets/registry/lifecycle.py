"""Promotion and rollback of model versions: alias `champion`, four-eyes approval, an audit trail.

A version may become champion only when its quality gate passed (`gate=passed`, set by the
evaluation) and neither the approver nor the user running the command trained it (`mmp.trainer`).
Each champion is pushed onto a stack kept as a registered-model tag, so rollback is one step back
and promote → rollback → promote leaves the aliases exactly as they were. Every approval, alias
move and refusal is appended to the audit log; nothing here rewrites it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mmp_assets.registry.versions import champion, versions
from mmp_assets.tags import (APPROVAL_REASON, APPROVED_AT, APPROVED_BY, CHAMPION, CHAMPION_HISTORY, GATE, GATE_MESSAGE,
                             MLFLOW_USER, PREVIOUS_CHAMPION, TRAINER, GovernanceClaims)
from mmp_resources.audit_log import AuditLog, Refused, current_user, same_identity


class PromotionRefused(Refused):
    """A lifecycle rule forbids the request; the message names the rule and what to do instead."""


@dataclass(frozen=True)
class ChampionMove:
    """One move of alias `champion`, as the audit log recorded it (`entry`, sequence number and hash included)."""

    name: str
    action: str  # promote | rollback
    from_version: str | None
    to_version: str
    entry: dict


def record_gate(client: MlflowClient, name: str, version: str, passed: bool, message: str) -> None:
    client.set_model_version_tag(name, version, GATE, "passed" if passed else "failed")
    client.set_model_version_tag(name, version, GATE_MESSAGE, message[:4000])


def trainer_of(client: MlflowClient, name: str, version) -> str | None:
    found = client.get_model_version(name, str(version))
    claimed = GovernanceClaims.of(found.tags).trainer
    if claimed:
        return claimed
    return client.get_run(found.run_id).data.tags.get(MLFLOW_USER) if found.run_id else None


def history(client: MlflowClient, name: str) -> list[str]:
    return json.loads(client.get_registered_model(name).tags.get(CHAMPION_HISTORY, "[]"))


def promote(client: MlflowClient, audit: AuditLog, name: str, version, *, approver: str, reason: str) -> ChampionMove:
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
    for key, value in {APPROVED_BY: approver, APPROVED_AT: now, APPROVAL_REASON: reason}.items():
        client.set_model_version_tag(name, version, key, value)
    current = champion(client, name)
    stack = history(client, name) or ([current] if current else [])
    return _move(client, audit, name, [*stack, version], actor, action="promote", why=reason)


def rollback(client: MlflowClient, audit: AuditLog, name: str, *, reason: str = "rollback") -> ChampionMove:
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
        known = ", ".join(r.version for r in _safe_versions(client, name)) or "none"
        return f"model {name!r} has no version {version}; versions: {known}"
    gate = GovernanceClaims.of(found.tags).gate
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


def _move(client: MlflowClient, audit: AuditLog, name: str, stack: list[str], actor: str, *, action: str, why: str) -> ChampionMove:
    before = champion(client, name)
    client.set_registered_model_alias(name, CHAMPION, stack[-1])
    if len(stack) > 1:
        client.set_registered_model_alias(name, PREVIOUS_CHAMPION, stack[-2])
    elif PREVIOUS_CHAMPION in client.get_registered_model(name).aliases:
        client.delete_registered_model_alias(name, PREVIOUS_CHAMPION)
    client.set_registered_model_tag(name, CHAMPION_HISTORY, json.dumps(stack))
    entry = audit.append(kind="model", subject=name, action=action, actor=actor, alias=CHAMPION,
                         from_version=before, to_version=stack[-1], reason=why)
    return ChampionMove(name, action, before, stack[-1], entry)


def _safe_versions(client: MlflowClient, name: str) -> list:
    try:
        return versions(client, name)
    except MlflowException:
        return []
