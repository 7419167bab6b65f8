"""Promotion and rollback of model versions: alias `champion`, four-eyes approval, an audit trail.

A version may become champion only when its quality gate passed and neither the approver nor the
user running the command trained it. Under MLflow auth the approver is the authenticated user
(`mmp_resources.identity`), who also needs EDIT or MANAGE on the registered model. Both facts are re-derived from records written when the event
happened (`mmp_assets.registry.evidence`): the gate from the hash-checked evaluation record, the
trainer from the registration's audit entry. The `gate` and `mmp.trainer` tags are claims: a tag that
disagrees with the record refuses the promotion, and a claimed trainer may not approve either.
The champion stack is replayed from the audit log, so rollback is one step back, promote → rollback →
promote leaves the aliases exactly as they were, and an alias moved outside mmp is noticed. Every
approval, alias move and refusal is appended to the audit log and anchored in MLflow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mmp_assets.registry.evidence import append_anchored, model_anchors, trainer_of, verified_gate
from mmp_assets.registry.registration import incomplete_refusal
from mmp_assets.registry.versions import champion, versions
from mmp_assets.tags import (APPROVAL_REASON, APPROVED_AT, APPROVED_BY, CHAMPION, CHAMPION_HISTORY, MLFLOW_USER,
                             PREVIOUS_CHAMPION, GovernanceClaims)
from mmp_resources.audit_log import AuditLog, Refused, current_user, same_identity
from mmp_resources.identity import Identity, unpermitted


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


def history(audit: AuditLog, name: str) -> list[str]:
    """The champion stack, replayed from the audit log's promote and rollback entries (oldest first)."""
    stack: list[str] = []
    for entry in audit.entries(kind="model", subject=name):
        details = entry["details"]
        if entry["action"] == "promote":
            if not stack and details.get("from_version"):
                stack.append(str(details["from_version"]))
            stack.append(str(details["to_version"]))
        elif entry["action"] == "rollback" and stack:
            stack.pop()
    return stack


def outside_move(client: MlflowClient, audit: AuditLog, name: str) -> str | None:
    """One line when alias `champion` is not where the last audited move put it; None when it is."""
    stack, current = history(audit, name), champion(client, name)
    audited = stack[-1] if stack else None
    if current == audited:
        return None
    return (f"{name}: alias champion is {f'v{current}' if current else 'unset'} but the last move mmp audited "
            f"{f'set v{audited}' if audited else 'is none'}; it was moved outside mmp")


def promote(client: MlflowClient, audit: AuditLog, name: str, version, *, approver: str, reason: str,
            identity: Identity | None = None, permission: str | None = None) -> ChampionMove:
    """Move `champion` to `version` after every rule holds; records and raises PromotionRefused otherwise.

    With an authenticated `identity` (MLflow auth) that user is both the approver and the actor, whatever
    `approver` says, and `permission` (theirs on the registered model, from the auth app) must be EDIT or MANAGE.
    """
    version = str(version)
    authenticated = identity is not None and identity.authenticated
    actor = identity.name if identity is not None else current_user()
    approver = identity.name if authenticated else approver
    verified = {"identity_source": identity.source} if identity is not None else {}
    refusal, trainer = _refusal(client, audit, name, version, approver, actor, reason)
    if authenticated and not (refusal or "").startswith(f"model {name!r} has no version"):
        refusal = unpermitted(identity, permission, "registered_model", name, "approving") or refusal
    if refusal:
        append_anchored(client, audit, name, action="refuse", actor=actor, request="promote", version=version,
                        approver=approver, reason=reason, refusal=refusal, **verified)
        raise PromotionRefused(refusal)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    append_anchored(client, audit, name, action="approve", actor=actor, version=version, approver=approver,
                    trainer=trainer, reason=reason, **verified)
    for key, value in {APPROVED_BY: approver, APPROVED_AT: now, APPROVAL_REASON: reason}.items():
        client.set_model_version_tag(name, version, key, value)
    current = champion(client, name)
    stack = history(audit, name) or ([current] if current else [])
    return _move(client, audit, name, [*stack, version], actor, action="promote", why=reason)


def rollback(client: MlflowClient, audit: AuditLog, name: str, *, reason: str = "rollback", identity: Identity | None = None,
             permission: str | None = None) -> ChampionMove:
    """Move `champion` back to the version it replaced, in one step (under MLflow auth: by a user with EDIT or MANAGE)."""
    actor = identity.name if identity is not None else current_user()
    stack, refusal = history(audit, name), _untrusted_log(client, audit, name)
    try:
        client.get_registered_model(name)
    except MlflowException:
        refusal = f"no registered model {name!r}; materialize {name}/model first"
    moved = None if refusal else outside_move(client, audit, name)
    if refusal is None and len(stack) < 2:
        refusal = f"{name} has no earlier champion to roll back to (history: {stack or 'empty'})"
    elif moved:
        refusal = f"{moved}; rollback refused, promote the version you want with mmp models promote"
    if identity is not None and identity.authenticated and not (refusal or "").startswith("no registered model"):
        refusal = unpermitted(identity, permission, "registered_model", name, "rolling back") or refusal
    if refusal:
        append_anchored(client, audit, name, action="refuse", actor=actor, request="rollback", reason=reason, refusal=refusal)
        raise PromotionRefused(refusal)
    return _move(client, audit, name, stack[:-1], actor, action="rollback", why=reason)


def _untrusted_log(client: MlflowClient, audit: AuditLog, name: str) -> str | None:
    problems = audit.verify(model_anchors(client, name))
    if problems:
        return f"the audit log fails verification ({problems[0]}); nothing it records can be trusted, run mmp audit verify"
    return None


def _refusal(client: MlflowClient, audit: AuditLog, name: str, version: str, approver: str, actor: str,
             reason: str) -> tuple[str | None, str | None]:
    """(why the promotion is refused or None, the trainer re-derived from the registration record)."""
    try:
        found = client.get_model_version(name, version)
    except MlflowException:
        known = ", ".join(r.version for r in _safe_versions(client, name)) or "none"
        return f"model {name!r} has no version {version}; versions: {known}", None
    untrusted = _untrusted_log(client, audit, name)
    if untrusted:
        return untrusted, None
    unfinished = incomplete_refusal(client, audit, name, version)
    if unfinished:
        return f"{unfinished}; promotion refused", None
    claims = GovernanceClaims.of(found.tags)
    gate = verified_gate(client, audit, name, version)
    if gate.problem:
        return f"{name} v{version}: {gate.problem}; promotion refused", None
    if claims.gate is not None and claims.gate != gate.verdict:
        recorded = (f"the evaluation recorded in audit entry {gate.seq} says {gate.verdict!r}" if gate.seq
                    else "no evaluation is recorded in the audit log")
        return f"{name} v{version}: tag gate says {claims.gate!r} but {recorded}; the tag was edited outside mmp, promotion refused", None
    if gate.verdict != "passed":
        shown = gate.verdict + (f" ({gate.message})" if gate.message and gate.verdict == "failed" else "")
        return (f"{name} v{version} quality gate is {shown}; only a version whose gate passed can be "
                f"promoted (materialize {name}/evaluation)"), None
    trainer, source = trainer_of(client, audit, name, version)
    if not trainer:
        return f"{name} v{version} has no registration record ({source} is empty); four-eyes approval cannot be verified", None
    run_user = client.get_run(found.run_id).data.tags.get(MLFLOW_USER) if found.run_id else None
    named = ((trainer, source), (run_user, f"run tag {MLFLOW_USER}"), (claims.trainer, "tag mmp.trainer"))
    for who, role in ((approver, "approver"), (actor, "user running the command")):
        for trained, how in named:  # whoever any record or claim names as trainer may not approve
            if trained and same_identity(who, trained):
                return f"{who} ({role}) trained {name} v{version} (per {how}); a second person must approve", trainer
    if not reason.strip():
        return "a promotion needs a reason (--reason)", trainer
    if champion(client, name) == version:
        return f"{name} v{version} is already the champion", trainer
    return None, trainer


def _move(client: MlflowClient, audit: AuditLog, name: str, stack: list[str], actor: str, *, action: str, why: str) -> ChampionMove:
    before = champion(client, name)
    client.set_registered_model_alias(name, CHAMPION, stack[-1])
    if len(stack) > 1:
        client.set_registered_model_alias(name, PREVIOUS_CHAMPION, stack[-2])
    elif PREVIOUS_CHAMPION in client.get_registered_model(name).aliases:
        client.delete_registered_model_alias(name, PREVIOUS_CHAMPION)
    client.set_registered_model_tag(name, CHAMPION_HISTORY, json.dumps(stack))  # shown only; rollback replays the log
    entry = append_anchored(client, audit, name, action=action, anchor_version=stack[-1], actor=actor, alias=CHAMPION,
                            from_version=before, to_version=stack[-1], reason=why)
    return ChampionMove(name, action, before, stack[-1], entry)


def _safe_versions(client: MlflowClient, name: str) -> list:
    try:
        return versions(client, name)
    except MlflowException:
        return []
