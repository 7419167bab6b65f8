"""Four-eyes approval and rollback of prompt versions, moving alias `production`.

Who the author is: both the recipe owner and the user who registered the version, as the audit
entry written at registration records them (the `mmp.owner`/`mmp.author` tags are claims: whoever
they name may not approve either). Neither may approve, whether named with `--approver` or running
the command. Identities compare case-insensitively, an email also by its local part and a `team:`
owner also by its bare name. In the embedded default they are self-declared (MMP_USER or the OS user):
the audit log makes a false claim visible, it cannot prevent one. Under MLflow auth (`mlflow.auth: basic`)
the author is the authenticated user who published the version, the approver is the authenticated user
running the command (never a typed name), who also needs EDIT or MANAGE on the prompt in the auth app
(`mmp_resources.identity`). The evaluation verdict is the one the audit log recorded
at evaluation time; a `mmp.evaluation` tag that disagrees refuses the approval. Before either is
read, the log is verified against its anchors in MLflow.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mmp_assets.prompts import registry as reg
from mmp_assets.prompts.history import production_stack
from mmp_assets.prompts.registry import PromptRegistry, VersionInfo
from mmp_assets.registry.evidence import not_anchored
from mmp_assets.tags import APPROVED_AT, APPROVED_BY
from mmp_resources.audit_log import AuditLog, Refused, current_user, same_identity
from mmp_resources.identity import Identity, unpermitted


class ApprovalRefused(Refused):
    """The governance rules forbid the request; the message says which rule and how to proceed."""


def approve(registry: PromptRegistry, audit: AuditLog, name: str, version: int, approver: str | None = None, *,
            identity: Identity | None = None, permission: str | None = None) -> VersionInfo:
    """Move `production` to `version`; refuses (and records the refusal) unless every rule holds.

    With an authenticated `identity` (MLflow auth) that user is both the approver and the actor, whatever
    `approver` says, and `permission` (theirs on the prompt, from the auth app) must be EDIT or MANAGE.
    """
    authenticated = identity is not None and identity.authenticated
    actor = identity.name if identity is not None else current_user()
    approver = actor if authenticated else approver or actor
    verified = {"identity_source": identity.source} if identity is not None else {}
    found = registry.version(name, version)
    reason = _refusal(found, name, version, approver, actor, registry, audit)
    if authenticated and found is not None:
        reason = unpermitted(identity, permission, "prompt", name, "approving") or reason
    if reason:
        registry.record(audit, name, action="refuse", actor=actor, request="approve", version=version, approver=approver,
                        reason=reason, **verified)
        raise ApprovalRefused(reason)
    registered = _registration(audit, name, version) or {}
    registry.record(audit, name, action="approve", actor=actor, version=version, approver=approver,
                    author=registered.get("actor"), owner=registered.get("details", {}).get("owner"),
                    evaluation_run_id=found.tags.get(reg.EVALUATION_RUN), **verified)
    registry.tag(name, version, {APPROVED_BY: approver, APPROVED_AT: datetime.now(UTC).isoformat(timespec="seconds")})
    _move_production(registry, audit, name, version, actor, reason="approve")
    return registry.version(name, version)


def _registration(audit: AuditLog, name: str, version: int) -> dict | None:
    """The first registration entry: a version is registered once, a later "register" line cannot re-assign it."""
    found = [e for e in audit.entries(kind="prompt", subject=name) if e["action"] == "register" and e["details"].get("version") == version]
    return found[0] if found else None


def recorded_verdict(registry: PromptRegistry, audit: AuditLog, name: str, version: int) -> tuple[str, int | None, str | None]:
    """(verdict, audit seq, why it cannot be trusted) of the newest evaluation of `name` v`version` in the audit log,
    which must be anchored on its evaluation run; ("unevaluated", None, None) when there is none."""
    found = [e for e in audit.entries(kind="prompt", subject=name) if e["action"] == "evaluate" and e["details"].get("version") == version]
    if not found:
        return "unevaluated", None, None
    entry = found[-1]
    unanchored = not_anchored(registry.client, entry, entry["details"].get("mlflow_run_id"))
    return entry["details"].get("verdict", "unevaluated"), entry["seq"], unanchored


def _untrusted_log(registry: PromptRegistry, audit: AuditLog, name: str) -> str | None:
    problems = audit.verify(registry.anchors(name))
    if problems:
        return f"the audit log fails verification ({problems[0]}); nothing it records can be trusted, run mmp audit verify"
    return None


def _refusal(found: VersionInfo | None, name: str, version: int, approver: str, actor: str, registry: PromptRegistry,
             audit: AuditLog) -> str | None:
    if found is None:
        known = ", ".join(str(v.version) for v in registry.versions(name)) or "none"
        return f"prompt {name!r} has no version {version}; versions: {known}"
    untrusted = _untrusted_log(registry, audit, name)
    if untrusted:
        return untrusted
    registered = _registration(audit, name, version)
    recorded = [registered["actor"], registered["details"].get("owner")] if registered else []
    authors = [a for a in (*recorded, found.tags.get(reg.OWNER), found.tags.get(reg.AUTHOR)) if a]
    for who, role in ((approver, "approver"), (actor, "user running the command")):
        match = next((a for a in authors if same_identity(who, a)), None)
        if match:
            return f"{who} ({role}) is the author of {name} v{version} ({match}); a second person must approve"
    verdict, seq, unanchored = recorded_verdict(registry, audit, name, version)
    if unanchored:
        return f"{name} v{version}: {unanchored}; approval refused"
    claimed = found.tags.get(reg.VERDICT)
    if claimed is not None and claimed != verdict:
        where = f"the evaluation recorded in audit entry {seq} says {verdict!r}" if seq else "no evaluation is recorded in the audit log"
        return f"{name} v{version}: tag {reg.VERDICT} says {claimed!r} but {where}; the tag was edited outside mmp, approval refused"
    if verdict != "passed":
        return (f"{name} v{version} evaluation is {verdict}; only a version whose evaluation passed can be approved "
                f"(materialize prompts/{name}/evaluation and fix its breaches)")
    if production_version(registry, name) == version:
        return f"{name} v{version} already serves as production"
    return None


def rollback(registry: PromptRegistry, audit: AuditLog, name: str, *, identity: Identity | None = None,
             permission: str | None = None) -> tuple[int, int]:
    """Move `production` back to the version it replaced; returns (from, to). Under MLflow auth: by a user with
    EDIT or MANAGE on the prompt."""
    actor = identity.name if identity is not None else current_user()
    verified = {"identity_source": identity.source} if identity is not None else {}
    stack: list[int] = []
    reason = _untrusted_log(registry, audit, name)
    if reason is None:
        stack = production_stack(audit.entries(kind="prompt", subject=name))
        current = production_version(registry, name)
        if len(stack) < 2:
            reason = f"{name} has no earlier production version to roll back to"
        elif current != stack[-1]:
            reason = f"alias production is v{current} in MLflow but v{stack[-1]} per the audit log; it was moved outside mmp"
    if identity is not None and identity.authenticated and registry.exists(name):
        reason = unpermitted(identity, permission, "prompt", name, "rolling back") or reason
    if reason:
        registry.record(audit, name, action="refuse", actor=actor, request="rollback", reason=reason, **verified)
        raise ApprovalRefused(reason)
    registry.record(audit, name, action="rollback", actor=actor, from_version=stack[-1], to_version=stack[-2], **verified)
    _move_production(registry, audit, name, stack[-2], actor, reason="rollback")
    return stack[-1], stack[-2]


def production_version(registry: PromptRegistry, name: str) -> int | None:
    return registry.aliases(name).get(reg.PRODUCTION)


def _move_production(registry: PromptRegistry, audit: AuditLog, name: str, version: int, actor: str, *, reason: str) -> None:
    previous = production_version(registry, name)
    registry.set_alias(name, reg.PRODUCTION, version)
    registry.record(audit, name, action="alias", actor=actor, alias=reg.PRODUCTION, version=version, previous=previous,
                    reason=reason)
