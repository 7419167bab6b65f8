"""Four-eyes approval and rollback of prompt versions, moving alias `production`.

Who the author is: both the recipe owner recorded on the version (`mmp.owner`) and the user who
registered it (`mmp.author`, from `current_user()`). Neither may approve, whether named with
`--approver` or running the command. Identities compare case-insensitively, an email also by its
local part and a `team:` owner also by its bare name. They are self-declared (MMP_USER or the OS
user): the audit log makes a false claim visible, it cannot prevent one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mmp_assets.prompts import registry as reg
from mmp_assets.prompts.history import production_stack
from mmp_assets.prompts.registry import PromptRegistry, VersionInfo
from mmp_assets.tags import APPROVED_AT, APPROVED_BY
from mmp_resources.audit_log import AuditLog, Refused, current_user, same_identity


class ApprovalRefused(Refused):
    """The governance rules forbid the request; the message says which rule and how to proceed."""


def approve(registry: PromptRegistry, audit: AuditLog, name: str, version: int, approver: str | None = None) -> VersionInfo:
    """Move `production` to `version`; refuses (and records the refusal) unless every rule holds."""
    actor = current_user()
    approver = approver or actor
    found = registry.version(name, version)
    reason = _refusal(found, name, version, approver, actor, registry)
    if reason:
        audit.append(kind="prompt", subject=name, action="refuse", actor=actor, request="approve", version=version,
                     approver=approver, reason=reason)
        raise ApprovalRefused(reason)
    audit.append(kind="prompt", subject=name, action="approve", actor=actor, version=version, approver=approver,
                 author=found.tags.get(reg.AUTHOR), owner=found.tags.get(reg.OWNER),
                 evaluation_run_id=found.tags.get(reg.EVALUATION_RUN))
    registry.tag(name, version, {APPROVED_BY: approver, APPROVED_AT: datetime.now(UTC).isoformat(timespec="seconds")})
    _move_production(registry, audit, name, version, actor, reason="approve")
    return registry.version(name, version)


def _refusal(found: VersionInfo | None, name: str, version: int, approver: str, actor: str, registry: PromptRegistry) -> str | None:
    if found is None:
        known = ", ".join(str(v.version) for v in registry.versions(name)) or "none"
        return f"prompt {name!r} has no version {version}; versions: {known}"
    authors = [a for a in (found.tags.get(reg.OWNER), found.tags.get(reg.AUTHOR)) if a]
    for who, role in ((approver, "approver"), (actor, "user running the command")):
        match = next((a for a in authors if same_identity(who, a)), None)
        if match:
            return f"{who} ({role}) is the author of {name} v{version} ({match}); a second person must approve"
    if found.verdict != "passed":
        return (f"{name} v{version} evaluation is {found.verdict}; only a version whose evaluation passed can be approved "
                f"(materialize prompts/{name}/evaluation and fix its breaches)")
    if production_version(registry, name) == version:
        return f"{name} v{version} already serves as production"
    return None


def rollback(registry: PromptRegistry, audit: AuditLog, name: str) -> tuple[int, int]:
    """Move `production` back to the version it replaced; returns (from, to)."""
    actor = current_user()
    reason, stack = None, []
    problems = audit.verify()
    if problems:
        reason = f"the audit log fails verification ({problems[0]}); production history cannot be trusted, run `mmp audit verify`"
    else:
        stack = production_stack(audit.entries(kind="prompt", subject=name))
        current = production_version(registry, name)
        if len(stack) < 2:
            reason = f"{name} has no earlier production version to roll back to"
        elif current != stack[-1]:
            reason = f"alias production is v{current} in MLflow but v{stack[-1]} per the audit log; it was moved outside mmp"
    if reason:
        audit.append(kind="prompt", subject=name, action="refuse", actor=actor, request="rollback", reason=reason)
        raise ApprovalRefused(reason)
    audit.append(kind="prompt", subject=name, action="rollback", actor=actor, from_version=stack[-1], to_version=stack[-2])
    _move_production(registry, audit, name, stack[-2], actor, reason="rollback")
    return stack[-1], stack[-2]


def production_version(registry: PromptRegistry, name: str) -> int | None:
    return registry.aliases(name).get(reg.PRODUCTION)


def _move_production(registry: PromptRegistry, audit: AuditLog, name: str, version: int, actor: str, *, reason: str) -> None:
    previous = production_version(registry, name)
    registry.set_alias(name, reg.PRODUCTION, version)
    audit.append(kind="prompt", subject=name, action="alias", actor=actor, alias=reg.PRODUCTION, version=version,
                 previous=previous, reason=reason)
